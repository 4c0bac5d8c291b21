/**
 * How a command the caller describes becomes the text the host's shell runs. Shared by
 * `command` (the command and its `unless`/`onlyIf` guards) and `waitFor` (a command to succeed).
 *
 * - argv (preferred): every word is quoted, so no value can become shell syntax. The first word
 *   is always quoted, even when it looks safe: a bare `A=1` would be an assignment and a bare
 *   `if` a keyword, and a quoted word is neither.
 * - `{ shell }`: a script the caller wrote (with the host's quoting), run through `eval` of one
 *   quoted string, so its syntax error fails this command alone instead of the text around it.
 * - Environment: plain values are quoted into `export` lines. A Secret value never enters the
 *   command text (which shows up in logs, errors and -v output): it travels base64-encoded on
 *   stdin, ahead of the caller's own stdin, and a `read` (a builtin, one byte at a time on a pipe,
 *   so it takes only its own line) moves it into the variable before the command starts.
 */
import { isSecret, type Secret } from '../../lib/secret.js';
import { quotePosix } from '../../lib/shell/quote.js';

/** A command: argv words, or a shell script explicitly marked as such. */
export type CommandSpec = readonly string[] | { readonly shell: string };

export type EnvValue = string | Secret;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws a TypeError naming the primitive and the option unless `spec` is a usable command. */
export function checkSpec(primitive: string, option: string, spec: unknown): asserts spec is CommandSpec {
  const bad = (expected: string): never => {
    throw new TypeError(`${primitive}: option "${option}" must be ${expected}`);
  };
  if (Array.isArray(spec)) {
    if (spec.length === 0) bad('a non-empty argv array, got []');
    spec.forEach((word: unknown, i) => {
      if (isSecret(word))
        bad(
          `argv without secrets (word #${i + 1} is a Secret; a command line shows in ps and logs): pass it on stdin or in env`,
        );
      if (typeof word !== 'string') bad(`an array of strings, word #${i + 1} is ${typeof word}`);
      if ((word as string).includes('\0')) bad(`free of NUL bytes (word #${i + 1})`);
    });
    if (spec[0] === '') bad('an argv whose first word (the program) is not empty');
    return;
  }
  if (typeof spec === 'object' && spec !== null && 'shell' in spec) {
    const text = (spec as { shell: unknown }).shell;
    if (isSecret(text))
      bad(
        '{ shell } with a plain string: a Secret script would show in logs; pass secrets on stdin or in env',
      );
    if (typeof text !== 'string' || text.trim() === '')
      bad(`{ shell: "…" } with a non-empty script, got ${JSON.stringify(text)}`);
    if ((text as string).includes('\0')) bad('a script free of NUL bytes');
    return;
  }
  bad(`an argv array (["systemctl", "restart", "nginx"]) or { shell: "a | b" }, got ${JSON.stringify(spec)}`);
}

/** Throws unless `env` is a map of shell variable names to strings or Secrets. */
export function checkEnv(primitive: string, env: unknown): void {
  if (env === undefined) return;
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new TypeError(
      `${primitive}: option "env" must be an object of NAME: value, got ${JSON.stringify(env)}`,
    );
  }
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name))
      throw new TypeError(
        `${primitive}: option "env" has ${JSON.stringify(name)}, which is not a shell variable name`,
      );
    if (!isSecret(value) && typeof value !== 'string') {
      throw new TypeError(
        `${primitive}: option "env.${name}" must be a string or a Secret, got ${typeof value}`,
      );
    }
    if ((isSecret(value) ? value.reveal() : value).includes('\0'))
      throw new TypeError(`${primitive}: option "env.${name}" contains a NUL byte`);
  }
}

/** The command as shell text (no environment). */
export function commandText(spec: CommandSpec): string {
  if (isShell(spec)) return `eval ${quotePosix(spec.shell)}`;
  const [program = '', ...args] = spec;
  return [`'${program.replace(/'/g, `'\\''`)}'`, ...args.map(quotePosix)].join(' ');
}

/** A short, readable form for ids and messages: argv quoted word by word, scripts on one line. */
export function describeSpec(spec: CommandSpec): string {
  const text = isShell(spec) ? spec.shell.trim().replace(/\s*\n\s*/g, '; ') : spec.map(quotePosix).join(' ');
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

export function isShell(spec: CommandSpec): spec is { readonly shell: string } {
  return !Array.isArray(spec);
}

export interface Prepared {
  /** Shell text: exports, cd, the command. Holds no secret. */
  script: string;
  /** What the command's stdin must be: secret env lines, then the caller's stdin. */
  stdin?: string | Buffer | Secret;
}

export interface PrepareOptions {
  env?: Readonly<Record<string, EnvValue>>;
  cwd?: string;
  stdin?: string | Buffer | Secret;
}

/** The script to run and the stdin to send with it. */
export function prepare(spec: CommandSpec, options: PrepareOptions = {}): Prepared {
  const lines: string[] = [];
  const secretLines: string[] = [];
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (isSecret(value)) {
      // The `.` keeps trailing newlines of the value, which $(…) would strip.
      lines.push(
        `IFS= read -r __ns_e || exit 125; ${name}=$(printf '%s' "$__ns_e" | base64 -d; echo .); export ${name}="\${${name}%.}"`,
      );
      secretLines.push(`${Buffer.from(value.reveal()).toString('base64')}\n`);
    } else {
      lines.push(`export ${name}=${quotePosix(value)}`);
    }
  }
  if (secretLines.length) lines.push('unset __ns_e');
  if (options.cwd !== undefined) lines.push(`cd -- ${quotePosix(options.cwd)} || exit`);
  lines.push(commandText(spec));
  const script = lines.join('\n');
  if (!secretLines.length) return options.stdin === undefined ? { script } : { script, stdin: options.stdin };
  const own =
    options.stdin === undefined
      ? Buffer.alloc(0)
      : isSecret(options.stdin)
        ? Buffer.from(options.stdin.reveal())
        : Buffer.from(options.stdin);
  return { script, stdin: Buffer.concat([Buffer.from(secretLines.join('')), own]) };
}
