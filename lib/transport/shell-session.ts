/**
 * A Connection over one long-lived bash reached through any stdin/stdout/stderr stream triple
 * (a local child process or an SSH exec channel). Commands are queued and sent one at a time;
 * each one's output is cut out of the streams by end markers carrying a per-session random token
 * (see shell-script.ts), so no output can fake the end of a command.
 */
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { MarkerScanner } from './marker-scanner.js';
import { buildCommandPayload, frameMarkers, KILL_GRACE_SECONDS, TIMEOUT_EXIT_CODE } from './shell-script.js';
import type { ShellLaunch } from './shell-launch.js';
import { BecomeError, UnreachableError } from './types.js';
import type { CommandResult, Connection, RunOptions, ShellType } from './types.js';

/** The shell's three streams and how to learn of and cause its end. */
export interface ShellChannel {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Called once when the shell or its transport has ended, with a short reason. */
  onEnd(listener: (reason: string) => void): void;
  /** End it now (kill the process, close the channel). */
  destroy(): void;
}

export interface SessionOptions {
  /** Inventory host name, for UnreachableError. */
  host: string;
  description: string;
  shellType?: ShellType;
  launch: ShellLaunch;
  becomePassword?: string;
  /** How long the shell (and sudo) may take to come up. */
  startTimeoutMs: number;
  /** Runs after the shell has ended, e.g. to close the SSH connection under it. */
  afterClose?: () => Promise<void> | void;
}

/** How long after a command's own timeout (and kill grace) we give up on the whole session. */
const BACKSTOP_MS = 15_000;
/** How long `close()` lets the shell finish and exit before it is destroyed. */
const CLOSE_WAIT_MS = 2_000;

interface Job {
  command: string;
  options: RunOptions;
  resolve: (result: CommandResult) => void;
  reject: (error: Error) => void;
}

interface Running {
  job: Job;
  out: MarkerScanner;
  err: MarkerScanner;
  backstop?: NodeJS.Timeout;
}

/** Start the shell on `channel` and resolve once it is ready for commands. */
export async function startShellSession(channel: ShellChannel, options: SessionOptions): Promise<Connection> {
  const session = new ShellSession(channel, options);
  try {
    await session.handshake();
  } catch (error) {
    // Destroy rather than ask bash to exit: sudo may still be reading a password.
    await session.abort(error as Error);
    throw error;
  }
  return session;
}

class ShellSession implements Connection {
  readonly description: string;
  readonly shellType: ShellType;
  private readonly host: string;
  private readonly token = randomBytes(16).toString('hex');
  private seq = 0;
  private readonly queue: Job[] = [];
  private current: Running | undefined;
  private dead: Error | undefined;
  private closing: Promise<void> | undefined;
  private readonly ended: Promise<void>;
  /** While starting: where stream data and the end go instead of the command machinery. */
  private starting:
    { stdout(chunk: Buffer): void; stderr(chunk: Buffer): void; end(reason: string): void } | undefined;

  constructor(
    private readonly channel: ShellChannel,
    private readonly options: SessionOptions,
  ) {
    this.host = options.host;
    this.description = options.description;
    this.shellType = options.shellType ?? 'sh';
    let markEnded!: () => void;
    this.ended = new Promise((resolve) => (markEnded = resolve));
    channel.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    channel.stderr.on('data', (chunk: Buffer) => this.onStderr(chunk));
    // A write to a shell that has just died fails with EPIPE; its end is reported by onEnd.
    channel.stdin.on('error', () => {});
    channel.onEnd((reason) => {
      markEnded();
      this.starting?.end(reason);
      this.fail(
        this.closing
          ? this.closedError()
          : new UnreachableError(this.host, `${this.description}: the shell ended (${reason})`),
      );
    });
  }

  run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    if (this.closing) return Promise.reject(this.closedError());
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.queue.push({ command, options, resolve, reject });
      this.pump();
    });
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  abort(error: Error): Promise<void> {
    this.fail(error);
    return this.close();
  }

  /** Wait for the ready marker, answering sudo's password prompt once. */
  handshake(): Promise<void> {
    const { launch, becomePassword, startTimeoutMs } = this.options;
    const what = launch.becomeUser ? `sudo to ${launch.becomeUser}` : 'starting bash';
    return new Promise((resolve, reject) => {
      const ready = new MarkerScanner(Buffer.from(launch.readyMarker), false);
      let errors = '';
      let prompts = 0;
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.starting = undefined;
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(
        () =>
          finish(
            new UnreachableError(
              this.host,
              `${this.description}: ${what} did not finish within ${startTimeoutMs} ms${detail(errors, launch)}`,
            ),
          ),
        startTimeoutMs,
      );
      this.starting = {
        stdout: (chunk) => {
          ready.push(chunk);
          if (ready.done) finish();
        },
        stderr: (chunk) => {
          errors += chunk.toString('utf8');
          const seen = launch.sudoPrompt ? errors.split(launch.sudoPrompt).length - 1 : 0;
          if (seen > prompts && seen === 1 && becomePassword !== undefined) {
            // The password goes to sudo's stdin only once sudo has asked, so with NOPASSWD it
            // can never reach bash as a command.
            this.channel.stdin.write(`${becomePassword}\n`);
          } else if (seen > prompts && seen >= 2) {
            const user = launch.becomeUser ?? 'root';
            finish(
              new BecomeError(
                this.host,
                `${this.description}: sudo to ${user} failed: incorrect become password`,
              ),
            );
          }
          prompts = seen;
        },
        end: (reason) =>
          finish(
            new (launch.becomeUser ? BecomeError : UnreachableError)(
              this.host,
              `${this.description}: ${what} failed (${reason})${detail(errors, launch)}`,
            ),
          ),
      };
    });
  }

  private pump(): void {
    if (this.current || this.dead || this.starting) return;
    const job = this.queue.shift();
    if (!job) return;
    const markers = frameMarkers(this.token, ++this.seq);
    let script: string | Buffer;
    try {
      const stdin = job.options.stdin;
      script = buildCommandPayload(job.command, markers, {
        stdin: stdin === undefined ? undefined : Buffer.isBuffer(stdin) ? stdin : Buffer.from(stdin, 'utf8'),
        timeoutMs: job.options.timeoutMs,
        delimiter: `NS_STDIN_${randomBytes(12).toString('hex')}`,
      });
    } catch (error) {
      job.reject(error as Error);
      return this.pump();
    }
    const running: Running = {
      job,
      out: new MarkerScanner(Buffer.from(markers.stdout), true),
      err: new MarkerScanner(Buffer.from(markers.stderr), false),
    };
    const timeoutMs = job.options.timeoutMs;
    if (timeoutMs !== undefined) {
      // bash kills a timed-out command itself; this only fires when bash cannot report back.
      running.backstop = setTimeout(
        () => {
          this.fail(
            new UnreachableError(
              this.host,
              `${this.description}: no answer ${BACKSTOP_MS / 1000} s after a command's ${timeoutMs} ms timeout; connection dropped`,
            ),
          );
        },
        timeoutMs + KILL_GRACE_SECONDS * 1000 + BACKSTOP_MS,
      );
    }
    this.current = running;
    this.channel.stdin.write(script);
  }

  private onStdout(chunk: Buffer): void {
    if (this.starting) return this.starting.stdout(chunk);
    // Output with no command running (a background process left by an earlier one) is dropped.
    if (!this.current) return;
    this.current.out.push(chunk);
    this.finishIfDone();
  }

  private onStderr(chunk: Buffer): void {
    if (this.starting) return this.starting.stderr(chunk);
    if (!this.current) return;
    this.current.err.push(chunk);
    this.finishIfDone();
  }

  private finishIfDone(): void {
    const running = this.current;
    if (!running || !running.out.done || !running.err.done) return;
    clearTimeout(running.backstop);
    this.current = undefined;
    const [code, timed] = running.out.trailer.split(' ');
    const timedOut = timed === '1';
    const stdoutBytes = running.out.output();
    let stderrBytes = running.err.output();
    if (timedOut) {
      const note = `novastation: command timed out after ${running.job.options.timeoutMs} ms and was killed\n`;
      const sep = stderrBytes.length && stderrBytes[stderrBytes.length - 1] !== 0x0a ? '\n' : '';
      stderrBytes = Buffer.concat([stderrBytes, Buffer.from(sep + note)]);
    }
    const result: CommandResult = {
      stdout: stdoutBytes.toString('utf8'),
      stderr: stderrBytes.toString('utf8'),
      exitCode: timedOut ? TIMEOUT_EXIT_CODE : Number(code),
      stdoutBytes,
      stderrBytes,
    };
    if (timedOut) result.timedOut = true;
    running.job.resolve(result);
    this.pump();
  }

  /** The shell is unusable: reject what is running and queued, and everything after. */
  private fail(error: Error): void {
    if (this.dead) return;
    this.dead = error;
    if (this.current) {
      clearTimeout(this.current.backstop);
      this.current.job.reject(error);
      this.current = undefined;
    }
    for (const job of this.queue.splice(0)) job.reject(error);
    this.channel.destroy();
    void this.close();
  }

  private closedError(): UnreachableError {
    return new UnreachableError(this.host, `${this.description}: connection closed`);
  }

  private async shutDown(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(this.closedError());
    if (!this.dead) {
      this.channel.stdin.end('exit 0\n');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.ended,
        new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS))),
      ]);
      clearTimeout(timer);
      this.fail(this.closedError());
    }
    await this.options.afterClose?.();
  }
}

/** sudo's or bash's complaint, without our prompt, for the error message. */
function detail(stderr: string, launch: ShellLaunch): string {
  let text = launch.sudoPrompt ? stderr.split(launch.sudoPrompt).join('') : stderr;
  text = text.replace(/\s+/g, ' ').trim();
  if (text.length > 400) text = `…${text.slice(-400)}`;
  return text ? `: ${text}` : '';
}
