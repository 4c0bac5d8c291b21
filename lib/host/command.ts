/**
 * zx-style tagged templates for remote commands: every interpolated value is quoted for the
 * target's shell by lib/shell/quote.ts, arrays become several words, and a Secret is refused:
 * a secret on a command line is visible to every user of the host through `ps`. Send it on
 * stdin instead (`host.$({ input: secret })\`chpasswd\``).
 *
 * zx's conventions where they fit: options `nothrow`, `timeout` (ms or '30s'), `input` (zx's
 * name for stdin); the result has zx's `stdout`, `stderr`, `exitCode`, `ok`, `text()`,
 * `lines()`, `json()`; a failure throws a CommandError carrying the same fields, as zx throws
 * its ProcessOutput. What does not fit: zx spawns a process per command on this machine, while
 * `host.$` writes to the host's one long-lived shell (a round trip, not a process start), and
 * its output is never echoed (zx's `quiet` is always on; `-v` shows the task, not the output).
 */
import { isSecret, type Secret } from '../secret.js';
import { quoteFor } from '../shell/quote.js';
import type { CommandResult, ShellType } from '../transport/types.js';

export type CommandValue = string | number | bigint | boolean | readonly (string | number)[];

/** A duration as zx takes it: milliseconds, or a string such as `'500ms'`, `'30s'`, `'2m'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h'}`;

export interface CommandOptions {
  /** Standard input for the command: how secrets and file contents travel. */
  stdin?: string | Buffer | Secret;
  /** zx's name for `stdin`. */
  input?: string | Buffer | Secret;
  /** Kill the command after this long (zx's `timeout`); it then fails with exit 124. */
  timeout?: Duration;
  /** The same in milliseconds (the earlier name). */
  timeoutMs?: number;
  /** Resolve with the result on a non-zero exit instead of throwing CommandError. */
  nothrow?: boolean;
  /**
   * The command leaves the shell as it found it: no `exit`, `cd`, `set`, trap or `shopt`, and it
   * sets every variable it reads. A prefetched batch of probes (lib/host/prefetch.ts) may then
   * run it in its own shell instead of a subshell (a process). Live commands always get a subshell.
   */
  inShell?: boolean;
}

export function durationMs(duration: Duration): number {
  if (typeof duration === 'number') return duration;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(duration);
  if (!m)
    throw new TypeError(
      `timeout ${JSON.stringify(duration)}: give milliseconds or '500ms', '30s', '2m', '1h'`,
    );
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** A command's result, shaped like zx's ProcessOutput. */
export class CommandOutput implements CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  readonly stdoutBytes?: Buffer;
  readonly stderrBytes?: Buffer;
  readonly timedOut?: boolean;
  constructor(result: CommandResult) {
    this.stdout = result.stdout;
    this.stderr = result.stderr;
    this.exitCode = result.exitCode;
    if (result.stdoutBytes) this.stdoutBytes = result.stdoutBytes;
    if (result.stderrBytes) this.stderrBytes = result.stderrBytes;
    if (result.timedOut) this.timedOut = true;
  }
  get ok(): boolean {
    return this.exitCode === 0;
  }
  /** stdout without its final newline. */
  text(): string {
    return this.stdout.replace(/\r?\n$/, '');
  }
  /** stdout's lines (no empty last line). */
  lines(): string[] {
    const text = this.text();
    return text === '' ? [] : text.split(/\r?\n/);
  }
  json<T = unknown>(): T {
    return JSON.parse(this.stdout) as T;
  }
  toString(): string {
    return this.stdout;
  }
}

export function buildCommand(shell: ShellType, strings: TemplateStringsArray, values: unknown[]): string {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += quoteValue(shell, value, i) + (strings[i + 1] ?? '');
  });
  return out;
}

function quoteValue(shell: ShellType, value: unknown, index: number): string {
  if (isSecret(value)) {
    throw new TypeError(
      `interpolation #${index + 1} is a secret: secrets must not appear on a command line (ps shows them); pass it as { stdin }`,
    );
  }
  if (Array.isArray(value)) return value.map((v) => quoteValue(shell, v, index)).join(' ');
  if (typeof value === 'string') return quoteFor(shell, value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return quoteFor(shell, String(value));
  throw new TypeError(
    `interpolation #${index + 1} is ${value === null ? 'null' : typeof value}; only strings, numbers, booleans and arrays of them can be quoted`,
  );
}

/**
 * A command exited non-zero. The message carries the command and its stderr, never stdin. Like
 * zx's thrown ProcessOutput it has `exitCode`, `stdout` and `stderr`.
 */
export class CommandError extends Error {
  constructor(
    readonly host: string,
    readonly command: string,
    readonly result: CommandResult,
  ) {
    const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join('\n');
    super(`command failed (exit ${result.exitCode}) on ${host}: ${command}${detail ? `\n${detail}` : ''}`);
    this.name = 'CommandError';
  }
  get exitCode(): number {
    return this.result.exitCode;
  }
  get stdout(): string {
    return this.result.stdout;
  }
  get stderr(): string {
    return this.result.stderr;
  }
}

/** Thrown by a state-changing command in check mode; the task that ran it reports `skipped`. */
export class CheckModeSkip extends Error {
  constructor(readonly command: string) {
    super(`check mode: would run ${command}`);
    this.name = 'CheckModeSkip';
  }
}

export interface CommandRunner {
  (strings: TemplateStringsArray, ...values: unknown[]): Promise<CommandOutput>;
  (options: CommandOptions): CommandRunner;
}

/** Makes `$` callable both as a tag and as `$({ options })` returning a tag. */
export function commandRunner(
  execute: (command: string, options: CommandOptions) => Promise<CommandOutput>,
  shell: () => ShellType,
  options: CommandOptions = {},
): CommandRunner {
  function run(
    first: TemplateStringsArray | CommandOptions,
    ...values: unknown[]
  ): Promise<CommandOutput> | CommandRunner {
    if (Array.isArray(first) && 'raw' in first) {
      return execute(buildCommand(shell(), first as TemplateStringsArray, values), options);
    }
    return commandRunner(execute, shell, { ...options, ...(first as CommandOptions) });
  }
  return run as CommandRunner;
}
