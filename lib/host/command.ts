/**
 * zx-style tagged templates for remote commands: every interpolated value is quoted for the
 * target's shell by lib/shell/quote.ts, arrays become several words, and a Secret is refused:
 * a secret on a command line is visible to every user of the host through `ps`. Send it on
 * stdin instead (`host.$({ stdin: secret })\`chpasswd\``).
 */
import { isSecret, type Secret } from '../secret.js';
import { quoteFor } from '../shell/quote.js';
import type { CommandResult, ShellType } from '../transport/types.js';

export type CommandValue = string | number | bigint | boolean | readonly (string | number)[];

export interface CommandOptions {
  /** Standard input for the command: how secrets and file contents travel. */
  stdin?: string | Buffer | Secret;
  timeoutMs?: number;
  /** Resolve with the result on a non-zero exit instead of throwing CommandError. */
  nothrow?: boolean;
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

/** A command exited non-zero. The message carries the command and its stderr, never stdin. */
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
}

/** Thrown by a state-changing command in check mode; the task that ran it reports `skipped`. */
export class CheckModeSkip extends Error {
  constructor(readonly command: string) {
    super(`check mode: would run ${command}`);
    this.name = 'CheckModeSkip';
  }
}

export interface CommandRunner {
  (strings: TemplateStringsArray, ...values: unknown[]): Promise<CommandResult>;
  (options: CommandOptions): CommandRunner;
}

/** Makes `$` callable both as a tag and as `$({ options })` returning a tag. */
export function commandRunner(
  execute: (command: string, options: CommandOptions) => Promise<CommandResult>,
  shell: () => ShellType,
  options: CommandOptions = {},
): CommandRunner {
  function run(
    first: TemplateStringsArray | CommandOptions,
    ...values: unknown[]
  ): Promise<CommandResult> | CommandRunner {
    if (Array.isArray(first) && 'raw' in first) {
      return execute(buildCommand(shell(), first as TemplateStringsArray, values), options);
    }
    return commandRunner(execute, shell, { ...options, ...(first as CommandOptions) });
  }
  return run as CommandRunner;
}
