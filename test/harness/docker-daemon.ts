// A Docker daemon for one test host. dockerd cannot run containers inside a host (the machine's
// cgroup v1 hierarchy is read-only there), so the machine's own dockerd (Debian's docker.io) runs
// in the host's network namespace — published ports and container traffic are the host's — with
// its data, state and socket in the host's folder, and the socket bind-mounted into the host at
// /run/docker.sock. Containers go under one cgroup per host, so a killed run's containers can be
// found and killed by the next one.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { allPids, killHard, parentOf, startTimeOf } from './procs.js';
import { run, sleep } from './run.js';

export const DOCKERD = '/usr/sbin/dockerd';
/** The Docker CLI of the machine's docker.io (not whatever else is first on PATH). */
export const DOCKER_CLI = '/usr/bin/docker';
/** Where the daemon's socket appears inside the host. */
export const HOST_DOCKER_SOCKET = '/run/docker.sock';
const START_TIMEOUT_MS = 60_000;
// Its data is thrown away: a short grace, then the rest is killed and unmounted.
const STOP_TIMEOUT_MS = 5_000;

export interface DockerPaths {
  dir: string;
  socket: string;
  log: string;
  cgroupParent: string;
}

export function dockerPathsOf(hostDir: string, netns: string): DockerPaths {
  const dir = `${hostDir}/docker`;
  return { dir, socket: `${dir}/docker.sock`, log: `${dir}/dockerd.log`, cgroupParent: `/${netns}` };
}

/** `DOCKER_HOST` for the machine-side CLI talking to this daemon. */
export function dockerEnv(paths: DockerPaths): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: `unix://${paths.socket}` };
}

/** Starts dockerd in `netns` and waits until it answers on its socket. */
export async function startDockerDaemon(netns: string, paths: DockerPaths): Promise<ChildProcess> {
  mkdirSync(`${paths.dir}/data`, { recursive: true });
  mkdirSync(`${paths.dir}/exec`, { recursive: true });
  const out = openSync(paths.log, 'a');
  // nsenter --net only: `ip netns exec` would also mount a fresh /sys, hiding the cgroup mounts.
  // --iptables=false/--bridge=none: the machine's firewall and docker0 stay untouched; compose's
  // own bridge networks still work (they live in the host's namespace), with Docker's DNS.
  const proc = spawn(
    'setpriv',
    [
      '--pdeathsig',
      'TERM',
      '--',
      'nsenter',
      `--net=/run/netns/${netns}`,
      '--',
      DOCKERD,
      '--iptables=false',
      '--ip-masq=false',
      '--bridge=none',
      '--storage-driver=overlay2',
      `--data-root=${paths.dir}/data`,
      `--exec-root=${paths.dir}/exec`,
      `--pidfile=${paths.dir}/docker.pid`,
      `--cgroup-parent=${paths.cgroupParent}`,
      `--host=unix://${paths.socket}`,
    ],
    { stdio: ['ignore', out, out], detached: true },
  );
  closeSync(out);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`dockerd for ${netns} exited:\n${logTail(paths)}`);
    if (existsSync(paths.socket)) {
      const r = await run(DOCKER_CLI, ['version', '--format', '{{.Server.Version}}'], {
        env: dockerEnv(paths),
        allowFail: true,
      });
      if (r.exitCode === 0) return proc;
    }
    if (Date.now() > deadline) throw new Error(`dockerd for ${netns} did not answer:\n${logTail(paths)}`);
    await sleep(100);
  }
}

/** Removes every container (so none outlives the daemon), then stops the daemon. */
export async function stopDockerDaemon(proc: ChildProcess | undefined, paths: DockerPaths): Promise<void> {
  if (proc && proc.exitCode === null && existsSync(paths.socket)) {
    const env = dockerEnv(paths);
    const ids = await run(DOCKER_CLI, ['ps', '-aq'], { env, allowFail: true });
    const list = ids.stdout.split('\n').filter(Boolean);
    if (list.length) await run(DOCKER_CLI, ['rm', '-f', ...list], { env, allowFail: true });
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    await Promise.race([exited, sleep(STOP_TIMEOUT_MS)]);
  }
  if (proc?.pid) for (const p of [proc.pid, ...descendantsOf(proc.pid)]) killHard(p);
  await killCgroup(paths.cgroupParent);
}

/** Processes started by the daemon (containerd, shims, docker-proxy), not to be killed with the host. */
export function descendantsOf(pid: number): number[] {
  const all = allPids();
  const out: number[] = [];
  let frontier = [pid];
  while (frontier.length) {
    const next = all.filter((p) => frontier.includes(parentOf(p) ?? -1));
    out.push(...next);
    frontier = next;
  }
  return out;
}

/** Kills whatever still runs in the daemon's container cgroups (a killed run's leftovers) and removes them. */
export async function killCgroup(parent: string): Promise<void> {
  const roots = existsSync('/sys/fs/cgroup')
    ? readdirSync('/sys/fs/cgroup').map((c) => `/sys/fs/cgroup/${c}${parent}`)
    : [];
  for (let round = 0; round < 50; round++) {
    const pids = roots.flatMap((r) => procsUnder(r));
    if (!pids.length) break;
    for (const p of pids) if (startTimeOf(p) !== undefined) killHard(p);
    await sleep(100);
  }
  for (const r of roots) removeCgroupTree(r);
}

function procsUnder(dir: string): number[] {
  if (!existsSync(dir)) return [];
  const own = readNumbers(`${dir}/cgroup.procs`);
  const sub = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => procsUnder(`${dir}/${e.name}`));
  return [...own, ...sub];
}

function readNumbers(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory()) removeCgroupTree(`${dir}/${e.name}`);
  try {
    rmdirSync(dir);
  } catch {
    /* still busy or already gone: the next clean removes it */
  }
}

function logTail(paths: DockerPaths): string {
  try {
    return readFileSync(paths.log, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no dockerd log)';
  }
}
