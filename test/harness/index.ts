// Public API of the test-host harness: boot N real Debian 12 hosts (systemd + sshd) reachable
// over SSH, for the project's tests. See README.md beside this file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ensureBase } from './base-image.js';
import { dockerEnv } from './docker-daemon.js';
import { Host } from './host.js';
import { withLock } from './lock.js';
import { APT_ARCHIVES, BASE_DIR, CLIENT_KEY, HOSTS_DIR, STATE_DIR, STATE_LOCK } from './paths.js';
import { run } from './run.js';
import { snapshotUpper as snapshot } from './snapshot.js';
import { allocate, cleanStale, destroyInstance, releaseNetworkIfUnused, writeRecord } from './state.js';
import { testHostSupport } from './support.js';

export { testHostSupport } from './support.js';
export type { Support } from './support.js';

/** Removes leftovers of harness instances whose owner died (e.g. a SIGKILLed test run). */
export function cleanLeftovers(): Promise<string[]> {
  return withLock(STATE_LOCK, () => cleanStale());
}

export interface TestHost {
  /** Short inventory name, also the host's hostname: `h1`, `h2`, … (or with a prefix). */
  name: string;
  address: string;
  port: number;
  user: string;
  /** The overlay's upper dir: everything this host wrote. */
  upperDir: string;
  /** The host's / as seen from the machine (the merged overlay). */
  rootDir: string;
  /** `ssh-ed25519 AAAA…`, generated fresh for this host. */
  hostPublicKey: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface TestHosts {
  readonly runId: string;
  readonly hosts: TestHost[];
  /** The client key installed as root's authorized key on every host (0600). */
  readonly privateKeyFile: string;
  /** A file holding knownHosts(), for `ssh -o UserKnownHostsFile=` or an engine option. */
  readonly knownHostsFile: string;
  /** known_hosts text: one `ADDRESS ssh-ed25519 AAAA…` line per host. */
  knownHosts(): string;
  knownHostsLine(name: string): string;
  /** Ansible-style YAML inventory of all hosts. */
  inventoryYaml(): string;
  host(name: string): TestHost;
  /** Runs `/bin/sh -c cmd` inside the host as root, without SSH (nsenter into its init). */
  exec(name: string, cmd: string): Promise<ExecResult>;
  /** Deterministic listing of what the host changed relative to the base (see snapshot.ts). */
  snapshotUpper(name: string): Promise<string>;
  /** `Accepted publickey` lines in the host's sshd log so far (survives reboots). */
  sshLoginCount(name: string): Promise<number>;
  /** Boots so far: 1 after bootTestHosts, +1 per reboot (also reboots started inside the host). */
  bootCount(name: string): number;
  /** `systemctl reboot` inside; resolves when the host answers SSH again. */
  reboot(name: string): Promise<void>;
  /** Waits until the host answers SSH (e.g. after the engine rebooted it). */
  waitUp(name: string): Promise<void>;
  /** Orderly power-off: the host stops answering. */
  stop(name: string): Promise<void>;
  /** Boots a stopped host again on the same overlay and waits for SSH. */
  start(name: string): Promise<void>;
  /** With the `docker` option: `DOCKER_HOST` for the machine's docker CLI, to reach the host's engine. */
  dockerEnv(name: string): NodeJS.ProcessEnv;
  /** Kills the hosts and removes every trace (processes, mounts, namespaces, folders). Idempotent. */
  teardown(): Promise<void>;
}

export interface BootOptions {
  /** Host name prefix: `h` gives h1, h2, … */
  prefix?: string;
  /** Progress lines (base build, boot). */
  log?: (line: string) => void;
  /**
   * Give every host a Docker engine: the machine's dockerd (Debian's docker.io must be installed
   * on the machine) in the host's network namespace, its socket at /run/docker.sock in the host.
   * See docker-daemon.ts.
   */
  docker?: boolean;
  /**
   * Extra capabilities for every host (systemd-nspawn `--capability`), e.g. `['CAP_NET_ADMIN']`
   * for nftables inside a host: it reaches only that host's own network namespace.
   */
  capabilities?: string[];
}

/** The harness's client key pair, created once (under the state lock) and shared by instances. */
async function ensureClientKey(): Promise<string> {
  if (!existsSync(CLIENT_KEY)) {
    await run('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'novastation-testhosts',
      '-f',
      CLIENT_KEY,
    ]);
  }
  return readFileSync(`${CLIENT_KEY}.pub`, 'utf8');
}

export async function bootTestHosts(count: number, options: BootOptions = {}): Promise<TestHosts> {
  const support = testHostSupport();
  if (!support.ok) throw new Error(`test hosts unavailable: ${support.why}`);
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`bootTestHosts: count must be a positive integer, got ${count}`);
  const prefix = options.prefix ?? 'h';
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(prefix))
    throw new Error(`bootTestHosts: prefix must be a short hostname part, got ${prefix}`);
  const log = options.log ?? (() => {});
  const capabilities = options.capabilities ?? [];
  for (const c of capabilities)
    if (!/^CAP_[A-Z_]+$/.test(c))
      throw new Error(`bootTestHosts: capability must look like CAP_NET_ADMIN, got ${c}`);

  await ensureBase(log);
  mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
  mkdirSync(APT_ARCHIVES, { recursive: true });
  const { record, clientPub } = await withLock(STATE_LOCK, async () => ({
    record: await allocate(count, prefix),
    clientPub: await ensureClientKey(),
  }));
  let torn = false;
  // Pid updates after teardown began must not resurrect the record destroyInstance removes.
  const persist = () => {
    if (!torn) writeRecord(record);
  };
  const machines = record.hosts.map(
    (h) => new Host(h, `${h.name}-${record.runId}`, persist, options.docker, capabilities),
  );
  const byName = new Map(machines.map((m) => [m.name, m]));
  const instanceDir = `${HOSTS_DIR}/${record.runId}`;
  const knownHostsFile = `${instanceDir}/known_hosts`;

  const get = (name: string): Host => {
    const m = byName.get(name);
    if (!m) throw new Error(`no test host named ${name} (have: ${[...byName.keys()].join(', ')})`);
    return m;
  };
  const knownHostsLine = (name: string) => `${get(name).address} ${get(name).hostPublicKey}`;
  const knownHosts = () => machines.map((m) => `${knownHostsLine(m.name)}\n`).join('');

  const teardown = async () => {
    if (torn) return;
    torn = true;
    await Promise.all(machines.map((m) => m.stopDocker())); // its containers are not in the host
    await Promise.all(machines.map((m) => m.kill())); // throwaway overlays need no clean shutdown
    for (const m of machines) m.harvestAptArchives();
    await withLock(STATE_LOCK, async () => {
      await destroyInstance(record.runId, record.hosts);
      await releaseNetworkIfUnused();
    });
  };

  try {
    const started = Date.now();
    await Promise.all(machines.map((m) => m.prepare(clientPub)));
    await Promise.all(machines.map((m) => m.start()));
    log(`${count} test host(s) up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    await teardown();
    throw e;
  }
  mkdirSync(instanceDir, { recursive: true });
  writeFileSync(knownHostsFile, knownHosts());

  const hosts: TestHost[] = machines.map((m) => ({
    name: m.name,
    address: m.address,
    port: 22,
    user: 'root',
    upperDir: m.upperDir,
    rootDir: m.rootDir,
    hostPublicKey: m.hostPublicKey,
  }));

  return {
    runId: record.runId,
    hosts,
    privateKeyFile: CLIENT_KEY,
    knownHostsFile,
    knownHosts,
    knownHostsLine,
    inventoryYaml: () => inventoryYaml(hosts, CLIENT_KEY),
    host: (name) => {
      get(name); // throws a helpful error for unknown names
      return hosts.find((h) => h.name === name)!;
    },
    exec: (name, cmd) => get(name).exec(cmd),
    snapshotUpper: async (name) => snapshot(get(name).upperDir, BASE_DIR, get(name).rootDir),
    sshLoginCount: async (name) => get(name).sshLoginCount(),
    bootCount: (name) => get(name).bootCount,
    reboot: (name) => get(name).reboot(),
    waitUp: (name) => get(name).waitUp(),
    stop: (name) => get(name).stop(),
    start: (name) => get(name).start(),
    dockerEnv: (name) => {
      const paths = get(name).docker;
      if (!paths) throw new Error(`${name} was booted without the docker option`);
      return dockerEnv(paths);
    },
    teardown,
  };
}

/** Ansible YAML inventory; values are JSON-quoted, which is valid YAML. */
export function inventoryYaml(hosts: readonly TestHost[], keyFile: string): string {
  const lines = ['all:', '  hosts:'];
  for (const h of hosts) {
    lines.push(
      `    ${h.name}:`,
      `      ansible_host: ${h.address}`,
      `      ansible_port: ${h.port}`,
      `      ansible_user: ${h.user}`,
      `      ansible_ssh_private_key_file: ${JSON.stringify(keyFile)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
