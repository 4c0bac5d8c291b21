/**
 * Atomic writes under fire (issue 3, "done means"):
 *  - a controller SIGKILLed at random points of a write loop (a child process writing files over
 *    SSH through the real `file` primitive) leaves every file exactly old or new — checked after
 *    each kill AND continuously by a watcher inside the host hashing the files in a tight loop;
 *    the next run removes any stray temp;
 *  - a stray temp left by a killed write (made deterministically: the real write script killed
 *    mid-transfer) is not loaded by sudo (sudoers.d), systemd (a *.conf drop-in dir), apt
 *    (sources.list.d) or an nginx-style `sites-enabled/*` glob — each with a positive control
 *    showing that the same bytes under a real name ARE loaded, so the test can fail.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atomicWriteScript, contentDigest, TEMP_NAME } from '../../lib/host/atomic-write.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { file } from '../../tasks/files/file.js';
import { packageRoot } from '../../lib/package-root.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle } from '../support/prove.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipHosts)('atomic writes under SIGKILL', () => {
  let f: HostFixture;
  let name: string;
  let bundle: string;
  beforeAll(async () => {
    f = await bootFixture(1, 'tkill');
    name = f.hosts.hosts[0]!.name;
    const dir = join(packageRoot(), 'node_modules/.cache/novastation-tests');
    mkdirSync(dir, { recursive: true });
    bundle = join(dir, `write-loop-${process.pid}.mjs`);
    await build({
      entryPoints: [join(packageRoot(), 'test/tasks/fixtures/write-loop.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile: bundle,
      logLevel: 'warning',
    });
  });
  afterAll(async () => {
    if (bundle) rmSync(bundle, { force: true });
    await f?.hosts.teardown();
  });

  const sh = async (cmd: string) => {
    const r = await f.hosts.exec(name, cmd);
    expect(r.exitCode, `${cmd}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const strays = async (dir: string) =>
    (await sh(`ls -A ${dir}`)).split('\n').filter((n) => TEMP_NAME.test(n));

  /**
   * The real write script for `path`, run by bash as the session runs it, killed (SIGKILL, so no
   * trap runs) after it received only the first bytes of `content` — what a killed controller
   * can leave behind. Returns the stray.
   */
  async function killedWrite(
    path: string,
    content: string,
    cut = Math.ceil(content.length / 2),
  ): Promise<{ stray: string; partial: string }> {
    const script = atomicWriteScript(path, contentDigest(content));
    const dir = path.slice(0, path.lastIndexOf('/'));
    const before = await strays(dir);
    const partial = content.slice(0, cut);
    await sh(
      [
        'set -e; rm -f /run/ns-fifo; mkfifo /run/ns-fifo',
        `bash --noprofile --norc -c ${quotePosix(script)} < /run/ns-fifo > /dev/null 2>&1 & pid=$!`,
        'exec 3> /run/ns-fifo',
        `printf %s ${quotePosix(partial)} >&3`,
        'sleep 0.3; kill -KILL $pid; exec 3>&-; wait $pid || true; rm -f /run/ns-fifo',
      ].join('\n'),
    );
    const made = (await strays(dir)).filter((s) => !before.includes(s));
    expect(made, 'the killed write left its temp').toHaveLength(1);
    const stray = `${dir}/${made[0]}`;
    expect(await sh(`cat '${stray}'`), 'the stray holds the bytes received before the kill').toBe(partial);
    return { stray, partial };
  }

  it('a stray temp from a killed write is loaded by no reader of the directory; the next write removes it', async () => {
    // sudo: sudoers.d is read by @includedir, which skips names with a dot or ending in ~.
    const { stray: sudoStray } = await killedWrite(
      '/etc/sudoers.d/ns-ops',
      '%sudo ALL=(ALL:ALL) NOPASSWD: /usr/bin/true\n',
      14,
    ); // `%sudo ALL=(ALL`: a syntax error
    expect(await sh('visudo -c')).not.toContain('ns-ops');
    await sh(`cp '${sudoStray}' /etc/sudoers.d/ns-control; chmod 0440 /etc/sudoers.d/ns-control`);
    expect(
      (await f.hosts.exec(name, 'visudo -c')).exitCode,
      'control: the same bytes under a real name break sudo',
    ).not.toBe(0);
    await sh('rm /etc/sudoers.d/ns-control');

    // systemd: drop-in directories load *.conf only.
    await sh('mkdir -p /etc/systemd/journald.conf.d');
    const { stray: dropStray } = await killedWrite(
      '/etc/systemd/journald.conf.d/ns-kill.conf',
      '[Journal]\nStorage=volatile\n',
    );
    await sh(`cp '${dropStray}' /etc/systemd/journald.conf.d/ns-control.conf`);
    const config = await sh('systemd-analyze cat-config systemd/journald.conf');
    expect(config, 'control: a real *.conf is listed').toContain(
      '# /etc/systemd/journald.conf.d/ns-control.conf',
    );
    expect(config).not.toContain('.ns-kill.conf.ns-');
    await sh('rm /etc/systemd/journald.conf.d/ns-control.conf');

    // apt: sources.list.d loads *.list and *.sources only.
    const { stray: aptStray } = await killedWrite(
      '/etc/apt/sources.list.d/ns-kill.list',
      'deb http://deb.example.org/debian bookworm main\n',
    ); // no suite: malformed
    await sh('apt-cache policy > /dev/null');
    await sh(`cp '${aptStray}' /etc/apt/sources.list.d/ns-control.list`);
    const control = await f.hosts.exec(name, 'apt-cache policy');
    expect(
      control.exitCode !== 0 || /Malformed/.test(control.stderr),
      'control: the same bytes as *.list break apt',
    ).toBe(true);
    await sh('rm /etc/apt/sources.list.d/ns-control.list');

    // nginx: `include sites-enabled/*;` is a glob(3), which skips dotfiles.
    await sh('mkdir -p /etc/ns-nginx/sites-enabled; echo "server {}" > /etc/ns-nginx/sites-enabled/site');
    const { stray: siteStray } = await killedWrite(
      '/etc/ns-nginx/sites-enabled/site',
      'server { listen 8080; }\n',
    );
    expect(await sh('cd /etc/ns-nginx/sites-enabled && printf "%s\\n" *')).toBe('site\n');
    expect(await sh(`test -e '${siteStray}' && echo stray present`)).toBe('stray present\n');

    // The next write of each file removes its stray.
    const host = hostHandle(f, name);
    try {
      await file(host, {
        path: '/etc/sudoers.d/ns-ops',
        content: '%sudo ALL=(ALL:ALL) NOPASSWD: /usr/bin/true\n',
        mode: '0440',
        validate: 'visudo -cf %s',
      });
      await file(host, { path: '/etc/systemd/journald.conf.d/ns-kill.conf', content: '[Journal]\n' });
      await file(host, { path: '/etc/apt/sources.list.d/ns-kill.list', content: '# none\n' });
      await file(host, { path: '/etc/ns-nginx/sites-enabled/site', content: 'server {}\n' });
    } finally {
      await host.close();
    }
    for (const dir of [
      '/etc/sudoers.d',
      '/etc/systemd/journald.conf.d',
      '/etc/apt/sources.list.d',
      '/etc/ns-nginx/sites-enabled',
    ]) {
      expect(await strays(dir), dir).toEqual([]);
    }
  });

  it(
    'a controller SIGKILLed at random points leaves each file old or new, never partial; the next run cleans up',
    { timeout: 300_000 },
    async () => {
      const files = [
        // Small: its content travels in a here-document; large: through `head -c` (over 32 KiB).
        {
          path: '/etc/systemd/journald.conf.d/ns-loop.conf',
          a: Buffer.from(`[Journal]\n${'# A\n'.repeat(1500)}`),
          b: Buffer.from(`[Journal]\n${'# B\n'.repeat(900)}`),
        },
        { path: '/srv/ns-loop/big.bin', a: randomBytes(120_000), b: randomBytes(90_000) },
      ];
      await sh('mkdir -p /etc/systemd/journald.conf.d /srv/ns-loop');
      const setup = hostHandle(f, name);
      try {
        for (const x of files) await file(setup, { path: x.path, content: x.a, mode: '0644' });
      } finally {
        await setup.close();
      }
      const allowed = new Set(files.flatMap((x) => [`${sha(x.a)}  ${x.path}`, `${sha(x.b)}  ${x.path}`]));

      // Inside the host, hash both files in a tight loop for the whole test: any partial or missing
      // file at any moment shows up as a line that is not one of the four allowed.
      await sh('rm -f /run/ns-stop');
      const watcher = f.hosts.exec(
        name,
        `while [ ! -e /run/ns-stop ]; do sha256sum ${files.map((x) => x.path).join(' ')} 2>&1; done | sort | uniq -c`,
      );

      const h = f.hosts.host(name);
      // The contents are megabytes: the child reads its configuration from a file, not argv.
      const config = join(f.dir, 'write-loop.json');
      writeFileSync(
        config,
        JSON.stringify({
          address: h.address,
          port: h.port,
          user: h.user,
          privateKeyFile: f.hosts.privateKeyFile,
          knownHostsFile: f.knownHosts,
          files: files.map((x) => ({ path: x.path, a: x.a.toString('base64'), b: x.b.toString('base64') })),
        }),
      );
      let rounds = 0;
      const observed = new Set<string>();
      // At least 6 kills, and more (up to 16) until both files were seen in both states: on a busy
      // machine a round can take seconds.
      for (let k = 0; k < 16 && (k < 6 || observed.size < 4); k++) {
        const child = spawn(process.execPath, [bundle, config, String(k % 2)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
        const deadline = Date.now() + 60_000;
        // After the first round (which may change nothing: the file may already hold that content),
        // a random point of the loop.
        while (!out.includes('wrote 0\n')) {
          if (Date.now() > deadline || child.exitCode !== null)
            throw new Error(`write loop did not run: ${err}`);
          await sleep(10);
        }
        await sleep(Math.floor(Math.random() * 1000));
        child.kill('SIGKILL');
        await exited;
        expect(err, 'the loop itself never failed').toBe('');
        rounds += (out.match(/^wrote /gm) ?? []).length;
        await sleep(300); // the remote shell finishes (or abandons) the command it was in
        for (const line of (await sh(`sha256sum ${files.map((x) => x.path).join(' ')}`)).trim().split('\n')) {
          expect(allowed.has(line), `after kill ${k + 1}: ${line}`).toBe(true);
          observed.add(line);
        }
      }
      await sh('touch /run/ns-stop');
      const seen = (await watcher).stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().replace(/^\d+ /, ''));
      for (const line of seen) expect(allowed.has(line), `watcher saw ${line}`).toBe(true);
      // The loop really alternated A/B for both files while it was watched (else this proves nothing).
      expect(new Set([...seen, ...observed]).size, `rounds written: ${rounds}`).toBe(4);

      // The next run: each file written once more; no stray temp is left anywhere.
      const host = hostHandle(f, name);
      try {
        for (const x of files) await file(host, { path: x.path, content: x.a, mode: '0644' });
      } finally {
        await host.close();
      }
      expect(await strays('/etc/systemd/journald.conf.d')).toEqual([]);
      expect(await strays('/srv/ns-loop')).toEqual([]);
      for (const x of files) expect(await sh(`sha256sum ${x.path}`)).toBe(`${sha(x.a)}  ${x.path}\n`);
    },
  );
});
