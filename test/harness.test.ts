// The test-host harness itself: real Debian hosts, real sshd, the system ssh client.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type TestHosts, bootTestHosts, cleanLeftovers, testHostSupport } from './harness/index.js';
import { BASE_DIR, HOSTS_DIR, INSTANCES_DIR } from './harness/paths.js';

const support = testHostSupport();

interface Ssh {
  code: number;
  stdout: string;
  stderr: string;
}

/** What is left of a run on the machine: namespaces, mounts, processes, folders, its record. */
async function traces(runId: string): Promise<string[]> {
  const found: string[] = [];
  const netns = await new Promise<string>((r) => execFile('ip', ['netns', 'list'], (_e, out) => r(out)));
  for (const l of netns.split('\n')) if (l.includes(runId)) found.push(`netns ${l}`);
  for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n'))
    if (l.includes(`${HOSTS_DIR}/${runId}`)) found.push(`mount ${l}`);
  for (const p of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes(`${HOSTS_DIR}/${runId}/`)) found.push(`process ${p} ${cmd.replace(/\0/g, ' ')}`);
    } catch {
      /* exited */
    }
  }
  if (existsSync(`${HOSTS_DIR}/${runId}`)) found.push(`dir ${HOSTS_DIR}/${runId}`);
  if (existsSync(`${INSTANCES_DIR}/${runId}.json`)) found.push('instance record');
  return found;
}

describe('test-host harness', () => {
  if (!support.ok) {
    // CI must have what real hosts need: there, a missing tool is a failure, not a skip.
    if (process.env.CI === 'true') {
      it('can boot test hosts in CI', () => {
        throw new Error(`test hosts unavailable in CI: ${support.why}`);
      });
    } else {
      console.warn(`test-host harness tests skipped: ${support.why}`);
      it.skip(`test hosts unavailable: ${support.why}`, () => {});
    }
    return;
  }

  let th: TestHosts;
  const ssh = (name: string, cmd: string, knownHosts = th.knownHostsFile): Promise<Ssh> =>
    new Promise((resolve) => {
      const h = th.host(name);
      execFile(
        'ssh',
        [
          '-i',
          th.privateKeyFile,
          '-o',
          'IdentitiesOnly=yes',
          '-o',
          'BatchMode=yes',
          '-o',
          `UserKnownHostsFile=${knownHosts}`,
          '-o',
          'GlobalKnownHostsFile=/dev/null',
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'ConnectTimeout=5',
          '-o',
          'LogLevel=ERROR',
          '-p',
          String(h.port),
          `${h.user}@${h.address}`,
          cmd,
        ],
        { timeout: 60_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 255) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    th = await bootTestHosts(2);
  }, 600_000);
  afterAll(async () => {
    await th?.teardown();
  }, 120_000);

  it('reaches every host over SSH with a fresh host key of its own', async () => {
    for (const h of th.hosts) {
      const r = await ssh(h.name, 'hostname');
      expect(r, r.stderr).toMatchObject({ code: 0, stdout: `${h.name}\n` });
      expect(th.knownHostsLine(h.name)).toBe(`${h.address} ${h.hostPublicKey}`);
    }
    expect(new Set(th.hosts.map((h) => h.hostPublicKey)).size).toBe(th.hosts.length);
    expect(readdirSync(`${BASE_DIR}/etc/ssh`).filter((f) => f.startsWith('ssh_host_'))).toEqual([]);
    // Strict checking means something: h2's key does not vouch for h1.
    const dir = mkdtempSync(join(tmpdir(), 'kh-'));
    try {
      writeFileSync(`${dir}/known_hosts`, `${th.host('h1').address} ${th.host('h2').hostPublicKey}\n`);
      const r = await ssh('h1', 'true', `${dir}/known_hosts`);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/host key/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('runs commands inside a host without SSH', async () => {
    const r = await th.exec('h1', 'hostname; cat /proc/1/comm; echo oops >&2; exit 3');
    expect(r).toEqual({ stdout: 'h1\nsystemd\n', stderr: 'oops\n', exitCode: 3 });
    expect((await th.exec('h2', 'systemctl is-active ssh')).stdout).toBe('active\n');
  }, 60_000);

  it('gives an Ansible YAML inventory of the hosts', () => {
    const inv = parse(th.inventoryYaml()) as { all: { hosts: Record<string, Record<string, unknown>> } };
    expect(Object.keys(inv.all.hosts)).toEqual(['h1', 'h2']);
    expect(inv.all.hosts.h1).toMatchObject({
      ansible_host: th.host('h1').address,
      ansible_user: 'root',
      ansible_ssh_private_key_file: th.privateKeyFile,
    });
  });

  it('snapshots show a file written over SSH, and nothing for a run that wrote nothing', async () => {
    const before1 = await th.snapshotUpper('h1');
    const before2 = await th.snapshotUpper('h2');
    expect((await ssh('h1', 'echo hello > /root/written-by-ssh')).code).toBe(0);
    expect((await ssh('h2', 'cat /etc/os-release >/dev/null')).code).toBe(0); // a login that changes nothing
    const after1 = await th.snapshotUpper('h1');
    const added = after1.split('\n').filter((l) => !before1.split('\n').includes(l));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^root\/written-by-ssh\tfile\t0644\t0:0\t6\t[0-9a-f]{64}\t-$/);
    expect(await th.snapshotUpper('h2')).toBe(before2);
  }, 60_000);

  it('counts SSH logins per host', async () => {
    const n1 = await th.sshLoginCount('h1');
    const n2 = await th.sshLoginCount('h2');
    expect(n1).toBeGreaterThan(0);
    expect((await ssh('h1', 'true')).code).toBe(0);
    expect((await ssh('h1', 'true')).code).toBe(0);
    expect(await th.sshLoginCount('h1')).toBe(n1 + 2);
    expect(await th.sshLoginCount('h2')).toBe(n2);
  }, 60_000);

  it('brings a rebooted host back, as a real machine comes back', async () => {
    // /run is a tmpfs inside the host: a marker there disappears with a reboot, a file on disk stays.
    await th.exec('h1', 'echo up > /run/boot-marker; echo kept > /root/disk-marker');
    expect(th.bootCount('h1')).toBe(1);
    await th.reboot('h1');
    expect(th.bootCount('h1')).toBe(2);
    expect((await th.exec('h1', 'test -e /run/boot-marker')).exitCode).not.toBe(0);
    expect((await th.exec('h1', 'cat /root/disk-marker')).stdout).toBe('kept\n');
    const r = await ssh('h1', 'hostname'); // same host key after the reboot
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'h1\n' });

    // A reboot asked for over SSH (as an engine's reboot task does) comes back too.
    await ssh('h2', 'systemctl reboot');
    for (let i = 0; i < 600 && th.bootCount('h2') < 2; i++) await new Promise((res) => setTimeout(res, 50));
    expect(th.bootCount('h2')).toBe(2);
    await th.waitUp('h2');
    expect((await ssh('h2', 'hostname')).stdout).toBe('h2\n');
  }, 180_000);

  it('stops a host (unreachable) and starts it again on the same disk', async () => {
    await th.exec('h2', 'echo still-here > /root/across-power-off');
    await th.stop('h2');
    expect((await ssh('h2', 'true')).code).not.toBe(0);
    await expect(th.exec('h2', 'true')).rejects.toThrow(/not running/);
    await th.start('h2');
    expect((await ssh('h2', 'cat /root/across-power-off')).stdout).toBe('still-here\n');
  }, 180_000);

  it('cleans up after a killed run', async () => {
    // A separate process boots one host and is SIGKILLed, as a killed test run would be.
    const dir = mkdtempSync(join(tmpdir(), 'harness-kill-'));
    try {
      await build({
        entryPoints: [fileURLToPath(new URL('./harness/index.ts', import.meta.url))],
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile: `${dir}/harness.mjs`,
        logLevel: 'error',
      });
      writeFileSync(
        `${dir}/child.mjs`,
        `import { bootTestHosts } from './harness.mjs';
const th = await bootTestHosts(1, { prefix: 'killed' });
console.log(th.runId);
setInterval(() => {}, 1000);
`,
      );
      const child = spawn(process.execPath, [`${dir}/child.mjs`], { stdio: ['ignore', 'pipe', 'inherit'] });
      const runId = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (b: Buffer) => resolve(b.toString().trim()));
        child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      child.removeAllListeners('exit');
      expect((await traces(runId)).length).toBeGreaterThan(0);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      // Another harness running beside us (a parallel test file) may clean it first: either way
      // nothing of the killed run may be left.
      await cleanLeftovers();
      expect(await traces(runId)).toEqual([]);
      // Our own live hosts were left alone.
      const r = await ssh('h1', 'true');
      expect(r.code, r.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('tears down without leaving a namespace, mount or process', async () => {
    const runId = th.runId;
    expect((await traces(runId)).length).toBeGreaterThan(0);
    await th.teardown();
    expect(await traces(runId)).toEqual([]);
  }, 120_000);
});
