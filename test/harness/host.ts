// One test host: an overlay on the base root, booted by systemd-nspawn inside its own network
// namespace, supervised so a reboot from inside comes back like a real machine.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import {
  type DockerPaths,
  HOST_DOCKER_SOCKET,
  descendantsOf,
  dockerPathsOf,
  startDockerDaemon,
  stopDockerDaemon,
} from './docker-daemon.js';
import { createHostNet } from './network.js';
import { APT_ARCHIVES, BASE_DIR } from './paths.js';
import { killHard, pidsInNetns, startTimeOf } from './procs.js';
import { type RunResult, run, sleep } from './run.js';
import { waitForSsh } from './ssh-wait.js';
import { type HostRecord, containerInitOf } from './state.js';

/** systemd-nspawn's exit code when the container asked for a reboot. */
const NSPAWN_REBOOT = 133;
const BOOT_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const EXEC_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class Host {
  readonly name: string;
  readonly address: string;
  readonly upperDir: string;
  readonly workDir: string;
  readonly rootDir: string;
  readonly aptUpperDir: string;
  readonly consoleLog: string;
  hostPublicKey = '';
  /** Boots so far (the first boot is 1); a reboot from inside increments it. */
  bootCount = 0;
  private proc: ChildProcess | undefined;
  /** Whether the harness wants the host running: decides what an nspawn exit means. */
  private wanted: 'up' | 'down' = 'down';
  private exitWaiters: Array<() => void> = [];
  /** With the `docker` boot option: the machine-side daemon serving this host (docker-daemon.ts). */
  readonly docker: DockerPaths | undefined;
  private dockerd: ChildProcess | undefined;

  constructor(
    readonly record: HostRecord,
    private readonly machineName: string,
    /** Called when the record changed (nspawn/init pids), so a later run can clean up after us. */
    private readonly persist: () => void,
    withDocker = false,
    /** Extra capabilities for the container (`CAP_NET_ADMIN` lets nftables run inside it). */
    private readonly capabilities: readonly string[] = [],
  ) {
    this.docker = withDocker ? dockerPathsOf(record.dir, record.netns) : undefined;
    this.name = record.name;
    this.address = record.address;
    this.upperDir = `${record.dir}/upper`;
    this.workDir = `${record.dir}/work`;
    this.rootDir = `${record.dir}/root`;
    this.aptUpperDir = `${record.dir}/apt-upper`;
    this.consoleLog = `${record.dir}/console.log`;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  /** Network, overlay and the per-host identity (host key, client key, hostname, machine id). */
  async prepare(clientPublicKey: string): Promise<void> {
    for (const d of [this.upperDir, this.workDir, this.rootDir, this.aptUpperDir])
      mkdirSync(d, { recursive: true });
    await createHostNet(this.record.netns, this.record.veth, this.address);
    await run('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${BASE_DIR},upperdir=${this.upperDir},workdir=${this.workDir}`,
      this.rootDir,
    ]);
    // Written through the merged root, so overlayfs copies parent dirs up with their real metadata.
    const r = this.rootDir;
    await run('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      `root@${this.name}`,
      '-f',
      `${r}/etc/ssh/ssh_host_ed25519_key`,
    ]);
    this.hostPublicKey = readFileSync(`${r}/etc/ssh/ssh_host_ed25519_key.pub`, 'utf8')
      .trim()
      .split(/\s+/)
      .slice(0, 2)
      .join(' ');
    writeFileSync(`${r}/root/.ssh/authorized_keys`, `${clientPublicKey.trim()}\n`, { mode: 0o600 });
    chmodSync(`${r}/root/.ssh`, 0o700);
    writeFileSync(`${r}/etc/hostname`, `${this.name}\n`);
    writeFileSync(
      `${r}/etc/hosts`,
      `127.0.0.1\tlocalhost\n127.0.1.1\t${this.name}\n::1\t\tlocalhost ip6-localhost ip6-loopback\n`,
    );
    writeFileSync(`${r}/etc/machine-id`, `${randomBytes(16).toString('hex')}\n`, { mode: 0o444 });
    // Before the boot: nspawn bind-mounts the daemon's socket, which must exist by then.
    if (this.docker) this.dockerd = await startDockerDaemon(this.record.netns, this.docker);
  }

  /** Stops the host's Docker daemon and removes its containers (before the host is killed). */
  async stopDocker(): Promise<void> {
    if (this.docker) await stopDockerDaemon(this.dockerd, this.docker);
    this.dockerd = undefined;
  }

  /** Boots (if not running) and waits for sshd. */
  async start(): Promise<void> {
    this.wanted = 'up';
    if (!this.proc) this.spawnNspawn();
    await this.waitUp();
  }

  /** Waits until the running host answers SSH (also after a reboot it started itself). */
  async waitUp(timeoutMs = BOOT_TIMEOUT_MS): Promise<void> {
    try {
      await waitForSsh(this.address, 22, timeoutMs, () => this.wanted === 'up');
    } catch (e) {
      throw new Error(
        `${this.name}: ${(e as Error).message}\n--- console (last lines) ---\n${this.consoleTail()}`,
      );
    }
  }

  private spawnNspawn(): void {
    const out = openSync(this.consoleLog, 'a');
    // setpriv --pdeathsig: if the owning process is killed, nspawn gets SIGTERM and shuts the
    // container down instead of leaving it running; the next run removes the rest.
    const proc = spawn(
      'setpriv',
      [
        '--pdeathsig',
        'TERM',
        '--',
        'systemd-nspawn',
        '--quiet',
        `--directory=${this.rootDir}`,
        '--boot',
        `--network-namespace-path=/run/netns/${this.record.netns}`,
        // No system bus on the machine: registering with machined or creating a scope would fail.
        '--register=no',
        '--keep-unit',
        // Unique per instance (nspawn keys some /run paths by machine name); the hostname is the short name.
        `--machine=${this.machineName}`,
        `--hostname=${this.name}`,
        '--link-journal=no',
        '--resolv-conf=copy-host',
        '--timezone=off',
        '--console=read-only',
        // Shared apt archive as a lower layer with a private upper: every host sees what any earlier
        // host downloaded, yet hosts never contend for apt's archive lock (a shared bind mount makes
        // a parallel `apt-get install` on two hosts fail). New .debs are harvested at teardown.
        `--overlay=${APT_ARCHIVES}:${this.aptUpperDir}:/var/cache/apt/archives`,
        // CAP_NET_ADMIN acts on the host's own network namespace only (nftables, routes inside it).
        ...(this.capabilities.length ? [`--capability=${this.capabilities.join(',')}`] : []),
        ...(this.docker ? [`--bind=${this.docker.socket}:${HOST_DOCKER_SOCKET}`] : []),
      ],
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    this.proc = proc;
    this.bootCount++;
    this.record.nspawnPid = proc.pid;
    this.record.nspawnStart = proc.pid ? startTimeOf(proc.pid) : undefined;
    this.record.initPid = undefined;
    this.record.initStart = undefined;
    this.persist();
    proc.once('exit', (code) => this.onExit(proc, code));
  }

  private onExit(proc: ChildProcess, code: number | null): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    // If nspawn itself was killed, the container may run on without it: never let a second boot
    // share the overlay with it. Anything still in the host's network namespace is that container.
    // The Docker daemon shares the namespace but belongs to the machine: it survives a reboot.
    const daemon = this.dockerd?.pid ? [this.dockerd.pid, ...descendantsOf(this.dockerd.pid)] : [];
    for (const p of pidsInNetns(this.record.netns)) if (!daemon.includes(p)) killHard(p);
    this.record.nspawnPid = this.record.nspawnStart = this.record.initPid = this.record.initStart = undefined;
    if (this.wanted === 'up' && code === NSPAWN_REBOOT) {
      this.spawnNspawn(); // comes back on the same overlay, as a real machine would
      return;
    }
    // Powered off from inside, crashed, or stopped by us: it stays down.
    this.wanted = 'down';
    this.persist();
    for (const w of this.exitWaiters.splice(0)) w();
  }

  private waitExit(timeoutMs: number): Promise<boolean> {
    if (!this.proc) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.exitWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  /** The container's init (pid in the machine's namespace), found as nspawn's child. */
  async initPid(): Promise<number> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const nspawn = this.proc?.pid;
      if (nspawn === undefined) throw new Error(`${this.name} is not running`);
      if (
        this.record.initPid &&
        this.record.nspawnPid === nspawn &&
        startTimeOf(this.record.initPid) === this.record.initStart
      ) {
        return this.record.initPid;
      }
      const init = containerInitOf(nspawn);
      if (init) {
        this.record.initPid = init;
        this.record.initStart = startTimeOf(init);
        this.persist();
        return init;
      }
      await sleep(20);
    }
    throw new Error(`${this.name}: container init not found`);
  }

  /** Runs a shell command inside the host without SSH, with a clean root-like environment. */
  async exec(command: string, opts: { timeoutMs?: number } = {}): Promise<RunResult> {
    const pid = await this.initPid();
    return run(
      'nsenter',
      [
        '-t',
        String(pid),
        '-m',
        '-u',
        '-i',
        '-n',
        '-p',
        '-r',
        '-w',
        '--',
        '/usr/bin/env',
        '-i',
        `PATH=${EXEC_PATH}`,
        'HOME=/root',
        'USER=root',
        'LOGNAME=root',
        'LANG=C.UTF-8',
        '/bin/sh',
        '-c',
        command,
      ],
      { allowFail: true, timeoutMs: opts.timeoutMs ?? 300_000 },
    );
  }

  /** `systemctl reboot` inside; resolves once the next boot answers SSH. */
  async reboot(): Promise<void> {
    if (!this.proc) throw new Error(`${this.name} is not running`);
    const before = this.bootCount;
    await this.exec('systemctl reboot'); // its own exit status is moot: the host goes down
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    while (this.bootCount === before) {
      if (this.wanted === 'down') throw new Error(`${this.name} powered off instead of rebooting`);
      if (Date.now() > deadline) throw new Error(`${this.name}: did not reboot`);
      await sleep(50);
    }
    await this.waitUp();
  }

  /** Orderly power-off (nspawn turns SIGTERM into a container shutdown), forced if it hangs. */
  async stop(): Promise<void> {
    this.wanted = 'down';
    if (!this.proc) return;
    this.proc.kill('SIGTERM');
    if (!(await this.waitExit(STOP_TIMEOUT_MS))) await this.kill();
  }

  /** Immediate power cut: SIGKILL to the container's init takes its whole pid namespace down. */
  async kill(): Promise<void> {
    this.wanted = 'down';
    const proc = this.proc;
    if (!proc) return;
    const init = containerInitOf(proc.pid!);
    if (init) process.kill(init, 'SIGKILL');
    else proc.kill('SIGKILL');
    if (!(await this.waitExit(10_000))) proc.kill('SIGKILL');
    await this.waitExit(10_000);
  }

  sshLoginCount(): number {
    const log = `${this.rootDir}/var/log/sshd.log`;
    if (!existsSync(log)) return 0;
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('Accepted publickey')).length;
  }

  /** Moves .debs this host downloaded into the shared archive, so later hosts need not download them. */
  harvestAptArchives(): void {
    if (!existsSync(this.aptUpperDir)) return;
    for (const f of readdirSync(this.aptUpperDir)) {
      if (!f.endsWith('.deb') || existsSync(`${APT_ARCHIVES}/${f}`)) continue;
      try {
        renameSync(`${this.aptUpperDir}/${f}`, `${APT_ARCHIVES}/${f}`); // same file system: atomic
      } catch {
        /* another host harvested the same file first */
      }
    }
  }

  consoleTail(lines = 30): string {
    try {
      return readFileSync(this.consoleLog, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no console log)';
    }
  }
}
