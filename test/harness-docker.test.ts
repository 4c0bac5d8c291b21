/**
 * The harness's `docker` option (test/harness/docker-daemon.ts): the machine's dockerd per host,
 * in the host's network namespace, its socket at /run/docker.sock inside the host. Proves the
 * socket answers inside the host, a container's published port is the host's loopback only, and
 * that neither a teardown nor a SIGKILLed run leaves a daemon, a container process or a cgroup.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER_CLI, DOCKERD, dockerPathsOf } from './harness/docker-daemon.js';
import { type TestHosts, bootTestHosts, cleanLeftovers, testHostSupport } from './harness/index.js';
import { BASE_DIR, HOSTS_DIR } from './harness/paths.js';
import { run } from './harness/run.js';

const ready = testHostSupport().ok && existsSync(DOCKERD);
if (!ready && process.env.CI !== 'true')
  console.warn('harness docker tests skipped: no test hosts or no dockerd');

/** The harness's base root as an image (a few seconds): it has sleep and its libraries. */
async function importBaseImage(env: NodeJS.ProcessEnv): Promise<void> {
  await run('sh', ['-c', `tar -C "$1" -c . | ${DOCKER_CLI} import - tiny:1 >/dev/null`, 'sh', BASE_DIR], {
    env,
    timeoutMs: 120_000,
  });
}

/** Processes in the cgroups a host's daemon puts its containers under (any controller). */
function cgroupLeft(netns: string): string[] {
  const out: string[] = [];
  for (const c of ['pids', 'memory', 'cpu', 'devices']) {
    const dir = `/sys/fs/cgroup/${c}/${netns}`;
    if (existsSync(dir)) out.push(dir);
  }
  return out;
}

const alive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

describe.skipIf(!ready && process.env.CI !== 'true')('test-host harness: docker option', () => {
  let th: TestHosts;
  beforeAll(async () => {
    th = await bootTestHosts(1, { prefix: 'dk', docker: true });
    await importBaseImage(th.dockerEnv('dk1'));
  }, 120_000);
  afterAll(async () => {
    await th?.teardown();
  }, 120_000);

  it('answers on /run/docker.sock inside the host; a published port is the host loopback only', async () => {
    expect((await th.exec('dk1', 'test -S /run/docker.sock && echo socket')).stdout).toBe('socket\n');
    const env = th.dockerEnv('dk1');
    // No default bridge (--bridge=none): a user-defined network, as Compose makes one.
    await run(DOCKER_CLI, ['network', 'create', 'net1'], { env });
    await run(
      DOCKER_CLI,
      [
        'run',
        '-d',
        '--name',
        'sleeper',
        '--network',
        'net1',
        '-p',
        '127.0.0.1:18123:18123',
        'tiny:1',
        '/usr/bin/sleep',
        '600',
      ],
      { env },
    );
    const state = await run(DOCKER_CLI, ['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'sleeper'], {
      env,
    });
    expect(state.stdout).toMatch(/^running \d+\n$/);
    // docker-proxy listens in the host's namespace: seen there, not on the machine.
    const listening = await th.exec('dk1', 'cat /proc/net/tcp');
    expect(listening.stdout).toMatch(/0100007F:46CB .* 0A /); // 127.0.0.1:18123 LISTEN
    const machine = readFileSync('/proc/net/tcp', 'utf8');
    expect(machine).not.toMatch(/0100007F:46CB .* 0A /);
  });

  it('teardown removes containers, the daemon, its mounts and cgroups', async () => {
    const env = th.dockerEnv('dk1');
    const pid = Number(
      (await run(DOCKER_CLI, ['inspect', '-f', '{{.State.Pid}}', 'sleeper'], { env })).stdout,
    );
    const host = th.host('dk1');
    const netns = `nsth-${th.runId}-1`;
    expect(cgroupLeft(netns).length).toBeGreaterThan(0);
    await th.teardown();
    expect(alive(pid)).toBe(false);
    expect(cgroupLeft(netns)).toEqual([]);
    expect(existsSync(dockerPathsOf(`${HOSTS_DIR}/${th.runId}/${host.name}`, netns).dir)).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(`${HOSTS_DIR}/${th.runId}`);
  }, 120_000);

  it('a SIGKILLed run leaves no container, daemon or cgroup after the next clean-up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-docker-kill-'));
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
        `import { execFileSync } from 'node:child_process';
import { bootTestHosts } from './harness.mjs';
const th = await bootTestHosts(1, { prefix: 'dkkill', docker: true });
const env = th.dockerEnv('dkkill1');
execFileSync('sh', ['-c', 'tar -C "$1" -c . | ${DOCKER_CLI} import - tiny:1', 'sh', ${JSON.stringify(BASE_DIR)}], { env });
execFileSync(${JSON.stringify(DOCKER_CLI)}, ['run', '-d', '--name', 'sleeper', 'tiny:1', '/usr/bin/sleep', '600'], { env });
const pid = execFileSync(${JSON.stringify(DOCKER_CLI)}, ['inspect', '-f', '{{.State.Pid}}', 'sleeper'], { env }).toString().trim();
console.log(th.runId + ' ' + pid);
setInterval(() => {}, 1000);
`,
      );
      const child = spawn(process.execPath, [`${dir}/child.mjs`], { stdio: ['ignore', 'pipe', 'inherit'] });
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (b: Buffer) => resolve(b.toString().trim()));
        child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      child.removeAllListeners('exit');
      const [runId, pidText] = line.split(' ') as [string, string];
      const pid = Number(pidText);
      expect(alive(pid)).toBe(true);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      await cleanLeftovers();
      expect(alive(pid)).toBe(false);
      expect(cgroupLeft(`nsth-${runId}-1`)).toEqual([]);
      expect(existsSync(`${HOSTS_DIR}/${runId}`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
