/**
 * Large files (`npm run bench:files`): one write of a 1, 5, 50 and 100 MB file to a fresh test
 * host through `host.writeFile` — the path every file primitive takes — measuring wall time, the
 * controller's peak RSS during the write, and the processes started on the host (its pid
 * namespace's last pid before and after, less what that read starts). Numbers, not assertions:
 * results go to bench/results/<date>-large-files.{json,md}.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host } from '../lib/host/host.js';
import { openConnection } from '../lib/transport/index.js';
import { packageRoot } from '../lib/package-root.js';
import { bootTestHosts } from '../test/harness/index.js';

const SIZES_MB = [1, 5, 50, 100];

interface Row {
  mb: number;
  seconds: number;
  peakRssMb: number;
  hostProcesses: number;
}

export async function main(argv: string[]): Promise<number> {
  const sizes = argv.includes('--sizes')
    ? argv[argv.indexOf('--sizes') + 1]!.split(',').map(Number)
    : SIZES_MB;
  const th = await bootTestHosts(1, { prefix: 'bigw' });
  const h = th.hosts[0]!;
  const host = new Host({
    name: h.name,
    check: false,
    shellType: 'sh',
    connect: () =>
      openConnection(
        {
          name: h.name,
          kind: 'ssh',
          address: h.address,
          port: h.port,
          user: h.user,
          privateKeyFile: th.privateKeyFile,
          shellType: 'sh',
        },
        {
          knownHostsFile: th.knownHostsFile,
          acceptNewHostKeys: false,
          hostKeyChecking: true,
          connectTimeoutMs: 10_000,
        },
      ),
  });
  const rows: Row[] = [];
  try {
    const lastPid = async () => Number((await host.probe`cat /proc/sys/kernel/ns_last_pid`).stdout.trim());
    const a = await lastPid();
    const overhead = (await lastPid()) - a;
    for (const mb of sizes) {
      // A rendered template is a string in memory; build one of the size asked.
      const line = `line of a large generated configuration file, size ${mb} MB\n`;
      const content = line.repeat(Math.ceil((mb * 1024 * 1024) / line.length)).slice(0, mb * 1024 * 1024);
      global.gc?.();
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const before = await lastPid();
      const t0 = performance.now();
      await host.writeFile(`/var/tmp/large-${mb}`, content);
      const seconds = (performance.now() - t0) / 1000;
      const hostProcesses = (await lastPid()) - before - overhead;
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      const size = (await host.probe`stat -c %s ${`/var/tmp/large-${mb}`}`).stdout.trim();
      if (Number(size) !== content.length) throw new Error(`${mb} MB: the host has ${size} bytes`);
      rows.push({ mb, seconds, peakRssMb: peak / 2 ** 20, hostProcesses });
      process.stderr.write(
        `${mb} MB: ${seconds.toFixed(2)} s, peak RSS ${(peak / 2 ** 20).toFixed(0)} MB, ${hostProcesses} processes\n`,
      );
    }
  } finally {
    await host.close();
    await th.teardown();
  }
  const date = new Date().toISOString().slice(0, 10);
  const base = join(packageRoot(), 'bench/results', `${date}-large-files`);
  writeFileSync(`${base}.json`, JSON.stringify({ date, rows }, null, 2) + '\n');
  writeFileSync(
    `${base}.md`,
    [
      `# Large files, ${date}`,
      '',
      'One `host.writeFile` of a generated file to a fresh Debian 12 test host over SSH (bench/large-files.ts).',
      '',
      '| size | time | controller peak RSS | processes on the host |',
      '|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.mb} MB | ${r.seconds.toFixed(2)} s | ${r.peakRssMb.toFixed(0)} MB | ${r.hostProcesses} |`,
      ),
      '',
    ].join('\n'),
  );
  return 0;
}
