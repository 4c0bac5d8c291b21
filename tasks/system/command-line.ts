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
import { Type } from '../../lib/vendor/typebox.js';
import { isSecret, Secret } from '../../lib/secret.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { Checked, fail, InstanceOf } from '../options.js';

/** A command: argv words, or a shell script explicitly marked as such. */
export type CommandSpec = readonly string[] | { readonly shell: string };

export type EnvValue = string | Secret;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What is wrong with `spec` as a command (`must be …`); undefined when it is a usable one. */
export function specProblem(spec: unknown): string | undefined {
  if (Array.isArray(spec)) return argvProblem(spec);
  if (typeof spec === 'object' && spec !== null && 'shell' in spec) {
    const problem = scriptProblem((spec as { shell: unknown }).shell);
    return problem && `${problem} (in { shell })`;
  }
  return 'must be an argv array (["systemctl", "restart", "nginx"]) or { shell: "a | b" }';
}

function argvProblem(argv: readonly unknown[]): string | undefined {
  if (argv.length === 0) return 'must be a non-empty argv array';
  for (const [i, word] of argv.entries()) {
    if (isSecret(word))
      return `must be argv without secrets (word #${i + 1} is a Secret; a command line shows in ps and logs): pass it on stdin or in env`;
    if (typeof word !== 'string') return `must be an array of strings, word #${i + 1} is ${typeof word}`;
    if (word.includes('\0')) return `must be free of NUL bytes (word #${i + 1})`;
  }
  if (argv[0] === '') return 'must be an argv whose first word (the program) is not empty';
  return undefined;
}

/** What is wrong with a script you wrote yourself; undefined when nothing is. */
export function scriptProblem(text: unknown): string | undefined {
  if (isSecret(text))
    return 'must be a plain string: a Secret script would show in logs; pass secrets on stdin or in env';
  if (typeof text !== 'string' || text.trim() === '') return 'must be a non-empty script';
  if (text.includes('\0')) return 'must be free of NUL bytes';
  return undefined;
}

/** A command option (`argv` words or `{ shell }`), declared for the primitives' option schemas. */
export const CommandSpecOption = () => Checked<CommandSpec>(specProblem);

/** Environment variables: values are strings or Secrets (names and NULs are checked by checkEnv). */
export const EnvOption = () =>
  Type.Record(
    Type.String(),
    Type.Union([Type.String(), InstanceOf(Secret)], { expected: 'must be a string or a Secret' }),
    { expected: 'must be an object of NAME: value (a string or a Secret)' },
  );

/** Refuses an environment whose names are not shell variable names or whose values hold a NUL. */
export function checkEnv(primitive: string, env: Readonly<Record<string, EnvValue>> | undefined): void {
  for (const [name, value] of Object.entries(env ?? {})) {
    if (!ENV_NAME.test(name)) fail(primitive, 'env', 'must have shell variable names as keys', name);
    if ((isSecret(value) ? value.reveal() : value).includes('\0'))
      fail(primitive, `env.${name}`, 'must not contain a NUL byte', isSecret(value) ? 'a Secret' : value);
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
