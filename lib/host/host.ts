/**
 * The host handle roles and tasks act through: zx-style commands, facts, and file access on one
 * inventory host, over a connection opened lazily (a role that only talks to an API for this host
 * never logs into it) and kept for the whole run.
 *
 * Two kinds of command, because check mode must be able to trust them:
 * - `host.probe\`…\`` reads state. It always runs, in check mode too.
 * - `host.$\`…\`` may change state. In check mode it does not run: it throws CheckModeSkip and
 *   the task reports `skipped` ("would run …"), so no role can change a host in check mode by
 *   forgetting to look at a flag.
 */
import { Secret } from '../secret.js';
import { UnreachableError, type CommandResult, type Connection, type ShellType } from '../transport/types.js';
import { currentTaskScope } from '../runner/task-scope.js';
import {
  CheckModeSkip,
  CommandError,
  CommandOutput,
  commandRunner,
  durationMs,
  type CommandOptions,
  type CommandRunner,
} from './command.js';
import { FACTS_PROBE, parseFacts, type Facts } from './facts.js';
import { parseStat, statCommand, type FileStat } from './stat.js';
import { quotePosix } from '../shell/quote.js';
import { forwardPort, type PortForward } from './port-forward.js';
import { batchScript, PrefetchedAnswers, ProbeLog, type RecordedProbe } from './prefetch.js';
import {
  atomicWriteResult,
  atomicWriteScript,
  contentDigest,
  type WriteFileOptions,
  type WriteFileResult,
} from './atomic-write.js';

export interface HostInit {
  /** Inventory name. */
  name: string;
  check: boolean;
  shellType: ShellType;
  /** Opens the connection on first use; called at most once. */
  connect: () => Promise<Connection>;
}

export type { WriteFileOptions, WriteFileResult } from './atomic-write.js';
export type { PortForward } from './port-forward.js';

export class Host {
  readonly name: string;
  readonly check: boolean;
  readonly shellType: ShellType;
  /** Commands sent to the host so far (for --profile). */
  roundTrips = 0;
  /** Commands that may change state; skipped in check mode. */
  readonly $: CommandRunner;
  /** Read-only commands; run in check mode too. */
  readonly probe: CommandRunner;

  #connect: () => Promise<Connection>;
  #connection: Promise<Connection> | undefined;
  #facts: Promise<Facts> | undefined;
  readonly #forwards = new Set<PortForward>();
  /** Answers of the last prefetched batch (lib/host/prefetch.ts); dropped at the first write. */
  readonly #prefetched = new PrefetchedAnswers();
  /** The reads sent since the last takeProbeLog(), for the run record. */
  readonly #probeLog = new ProbeLog();
  /** Reads answered from a prefetched batch (for --profile and tests). */
  prefetchHits = 0;

  constructor(init: HostInit) {
    this.name = init.name;
    this.check = init.check;
    this.shellType = init.shellType;
    this.#connect = init.connect;
    const shell = () => this.shellType;
    this.$ = commandRunner((cmd, opts) => this.#execute(cmd, opts, true), shell);
    this.probe = commandRunner((cmd, opts) => this.#execute(cmd, opts, false), shell);
  }

  /** The connection, opened on first use. Rejects with UnreachableError if the host can't be reached. */
  connection(): Promise<Connection> {
    this.#connection ??= this.#connect();
    return this.#connection;
  }

  get connected(): boolean {
    return this.#connection !== undefined;
  }

  /**
   * Drop the connection and open a new one on the next command: after a reboot, the old
   * connection is dead. Facts are gathered again too (a reboot may change them).
   */
  async reconnect(): Promise<void> {
    const old = this.#connection;
    this.#connection = undefined;
    this.#prefetched.clear();
    // Forwards ride on the old connection: they end with it.
    await Promise.all([...this.#forwards].map((f) => f.close()));
    this.#forwards.clear();
    this.#facts = undefined;
    if (old) await (await old.catch(() => null))?.close();
  }

  /** OS, release, arch, hostname, init system, package manager; gathered once, on first call. */
  facts(): Promise<Facts> {
    this.#facts ??= this.#read(FACTS_PROBE, { inShell: true }).then((r) => {
      if (r.exitCode !== 0) throw new CommandError(this.name, 'gather facts', r);
      return parseFacts(r.stdout);
    });
    return this.#facts;
  }

  /** Type, mode, owner, size and SHA-256 of a path in one round trip; null when it does not exist. */
  async stat(path: string): Promise<FileStat | null> {
    const result = await this.#read(statCommand(path), {});
    return parseStat(path, result);
  }

  /** A file's bytes, or null when it does not exist. */
  async readFile(path: string): Promise<Buffer | null> {
    const q = quotePosix(path);
    const r = await this.#read(`if [ -f ${q} ]; then base64 -w0 < ${q}; else exit 3; fi`, {});
    if (r.exitCode === 3) return null;
    if (r.exitCode !== 0) throw new CommandError(this.name, `read ${path}`, r);
    return Buffer.from(r.stdout, 'base64');
  }

  /**
   * Replace a file atomically, in one round trip (lib/host/atomic-write.ts): temp file in the same
   * directory, content checked whole, mode and owner set, optional `validate` and `backup`, then a
   * rename, so readers see the old file or the new one, never a partial one. The temp name starts
   * with a dot and ends in `~`, so no include glob (`*.conf`, `*.list`, sudoers.d, nginx's
   * `sites-enabled/*`) loads it; temps a killed run left are removed by the next write.
   */
  async writeFile(
    path: string,
    content: string | Buffer | Secret,
    options: WriteFileOptions = {},
  ): Promise<WriteFileResult> {
    const script = atomicWriteScript(path, contentDigest(content), options);
    const result = await this.#execute(script, { stdin: content, nothrow: true }, true, `write ${path}`);
    return atomicWriteResult(this.name, path, result, options);
  }

  /**
   * A controller-side port leading to `host:port` as the host sees it (e.g. a service on the
   * host's loopback), over the run's connection to the host; for a local host, the target itself.
   * Changes nothing on the host, so it works in check mode too. Closed with the host at the latest.
   */
  async forwardPort(host: string, port: number): Promise<PortForward> {
    // What goes through the port may change the host (an API call): prefetched reads may be stale.
    this.#prefetched.clear();
    const forward = await forwardPort(await this.connection(), host, port);
    this.#forwards.add(forward);
    return {
      ...forward,
      close: async () => {
        this.#forwards.delete(forward);
        await forward.close();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#forwards].map((f) => f.close()));
    this.#forwards.clear();
    if (this.#connection) await (await this.#connection.catch(() => null))?.close();
  }

  async #execute(
    command: string,
    options: CommandOptions,
    mutates: boolean,
    label = command,
  ): Promise<CommandOutput> {
    const scope = currentTaskScope();
    if (mutates && this.check) {
      scope?.skippedInCheck.push(label);
      throw new CheckModeSkip(label);
    }
    if (mutates) {
      scope?.mutations.push(label);
      this.#prefetched.clear();
    }
    const result = new CommandOutput(
      await (mutates ? this.#run(command, options) : this.#read(command, options)),
    );
    if (result.exitCode !== 0 && !options.nothrow) throw new CommandError(this.name, label, result);
    return result;
  }

  /**
   * Send the reads a role sent last time (`probes`, from the run record; the facts probe among
   * them) in one round trip; their answers serve the same reads until the first write
   * (lib/host/prefetch.ts). Reads the batch did not finish run live.
   */
  async prefetch(probes: readonly RecordedProbe[]): Promise<void> {
    this.#prefetched.clear();
    if (this.shellType !== 'sh' || !probes.length) return;
    const batch = batchScript(probes);
    let answers: (CommandResult | undefined)[];
    try {
      answers = batch.parse(await this.#run(batch.script, {}));
    } catch (error) {
      if (error instanceof UnreachableError) throw error;
      return; // every read runs live
    }
    answers.forEach((answer, i) => {
      if (answer) this.#prefetched.add(probes[i]!.command, answer);
    });
  }

  /** The reads sent (or answered from a batch) since the last call, oldest first. */
  takeProbeLog(): RecordedProbe[] {
    return this.#probeLog.take();
  }

  /** A read: answered from the prefetched batch when it holds the same command, else run live. */
  async #read(command: string, options: CommandOptions): Promise<CommandResult> {
    const plain = options.stdin === undefined && options.input === undefined;
    const timed = options.timeout !== undefined || options.timeoutMs !== undefined;
    if (!plain || timed) return this.#run(command, options);
    // Recorded whether answered or not, so the next run prefetches it again.
    this.#probeLog.add({ command, ...(options.inShell ? { inShell: true } : {}) });
    const answer = this.#prefetched.take(command);
    if (answer) {
      this.prefetchHits++;
      return answer;
    }
    return this.#run(command, options);
  }

  async #run(command: string, options: CommandOptions): Promise<CommandResult> {
    const connection = await this.connection();
    this.roundTrips++;
    const input = options.input ?? options.stdin;
    const stdin = input instanceof Secret ? input.reveal() : input;
    const timeoutMs = options.timeout !== undefined ? durationMs(options.timeout) : options.timeoutMs;
    return connection.run(command, {
      ...(stdin !== undefined ? { stdin } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
  }
}
