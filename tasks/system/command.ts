/**
 * `command`: run a command, made idempotent by guards (`creates`, `removes`, `unless`, `onlyIf`,
 * all checked in one round trip), with `changedWhen`/`failedWhen` judging its result.
 *
 * State is "what the guards say"; the plan is "run it" or nothing. In check mode a command is
 * reported skipped ("check mode: would run …") — it cannot be previewed — unless it declares
 * itself `readOnly`, in which case it runs in check mode too and reports ok (see action.ts).
 */
import type { TaskOutcome } from '../../lib/define.js';
import { CommandError } from '../../lib/host/command.js';
import type { Host } from '../../lib/host/host.js';
import { isSecret, type Secret } from '../../lib/secret.js';
import { convergeAction, type Action } from '../../lib/action.js';
import { guardScript, parseGuards, type GuardVerdict, type Guards } from './command-guards.js';
import {
  checkEnv,
  checkSpec,
  describeSpec,
  prepare,
  type CommandSpec,
  type EnvValue,
} from './command-line.js';

/** What `changedWhen`/`failedWhen` see, and what the outcome carries back. */
export interface CommandRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface CommandOptions extends Guards {
  /** The program and its arguments, each word quoted (preferred). */
  argv?: readonly string[];
  /** A shell script you wrote yourself (pipes, `set -e`), run by bash; quote values with quotePosix. */
  shell?: string;
  /** Standard input; a Secret is fine (it never reaches a command line). */
  stdin?: string | Buffer | Secret;
  /** Environment variables; values are quoted, Secret values travel on stdin (see command-line.ts). */
  env?: Readonly<Record<string, EnvValue>>;
  /** Working directory (absolute). */
  cwd?: string;
  /** Changes nothing (a query): runs in check mode too, reports ok. */
  readOnly?: boolean;
  /** Whether the run changed something. Default: true (false when readOnly). */
  changedWhen?: (run: CommandRun) => boolean;
  /** Whether the run failed. Default: exit code ≠ 0. */
  failedWhen?: (run: CommandRun) => boolean;
  /** Kill the command (and fail) after this long. Applies to the guard probe too. */
  timeoutMs?: number;
}

/** A command's outcome; `run` is set when it ran. */
export interface CommandOutcome extends TaskOutcome {
  run?: CommandRun;
}

/** The command as an Action (for callers that drive actions themselves). */
export function commandAction(options: CommandOptions): Action<GuardVerdict> {
  validate(options);
  const spec: CommandSpec = options.argv ?? { shell: options.shell! };
  const shown = describeSpec(spec);
  const guards = guardScript(options);
  const timing = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  return {
    id: `command ${shown}`,
    readOnly: options.readOnly === true,
    async read(host) {
      if (guards === undefined) return { run: true };
      const r = await host.probe({ ...timing, nothrow: true })`eval ${guards}`;
      if (r.exitCode !== 0) throw new CommandError(host.name, `command guards for ${shown}`, r);
      return parseGuards(r.stdout, options);
    },
    plan: (verdict) => (verdict.run ? [{ field: 'run', to: shown }] : []),
    preview: () => `run ${shown}`,
    whyNot: (verdict) => (verdict.run ? undefined : verdict.reason),
    async apply(host) {
      const { script, stdin } = prepare(spec, options);
      // A query goes through probe, so the run records no mutation for it.
      const runner = options.readOnly ? host.probe : host.$;
      const r = await runner({
        ...timing,
        nothrow: true,
        ...(stdin !== undefined ? { stdin } : {}),
      })`eval ${script}`;
      const run: CommandRun = { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
      if (r.timedOut)
        throw new CommandError(host.name, `${shown} (timed out after ${options.timeoutMs} ms)`, r);
      const failed = options.failedWhen ? options.failedWhen(run) : run.exitCode !== 0;
      if (failed) throw new CommandError(host.name, options.failedWhen ? `${shown} (failedWhen)` : shown, r);
      const changed = options.changedWhen ? options.changedWhen(run) : !options.readOnly;
      return {
        changed,
        ...(changed ? { changes: [`command ${shown}: ran`] } : {}),
        run,
      } satisfies CommandOutcome;
    },
  };
}

/**
 * Run a command on the host, unless its guards say it is done already.
 *
 * @example
 * await command(host, { argv: ['tar', '-xzf', '/tmp/app.tgz', '-C', '/opt'], creates: '/opt/app/bin/app' });
 * const { run } = await command(host, { argv: ['cat', '/etc/debian_version'], readOnly: true });
 * await command(host, { shell: 'set -o pipefail; curl -fsS "$URL" | tar -xz', env: { URL: url }, cwd: '/opt' });
 */
export function command(host: Host, options: CommandOptions): Promise<CommandOutcome> {
  return convergeAction(host, commandAction(options));
}

function validate(o: CommandOptions): void {
  if (typeof o !== 'object' || o === null)
    throw new TypeError(`command: options must be an object, got ${JSON.stringify(o)}`);
  if ((o.argv === undefined) === (o.shell === undefined)) {
    throw new TypeError(
      'command: give exactly one of option "argv" (an array of words) or option "shell" (a script you quoted yourself)',
    );
  }
  if (o.argv !== undefined) checkSpec('command', 'argv', o.argv);
  if (o.shell !== undefined) checkSpec('command', 'shell', { shell: o.shell });
  for (const key of ['creates', 'removes', 'cwd'] as const) {
    const path = o[key];
    if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) {
      throw new TypeError(`command: option "${key}" must be an absolute path, got ${JSON.stringify(path)}`);
    }
  }
  if (o.unless !== undefined) checkSpec('command', 'unless', o.unless);
  if (o.onlyIf !== undefined) checkSpec('command', 'onlyIf', o.onlyIf);
  checkEnv('command', o.env);
  if (
    o.stdin !== undefined &&
    typeof o.stdin !== 'string' &&
    !Buffer.isBuffer(o.stdin) &&
    !isSecret(o.stdin)
  ) {
    throw new TypeError(
      `command: option "stdin" must be a string, a Buffer or a Secret, got ${typeof o.stdin}`,
    );
  }
  for (const key of ['changedWhen', 'failedWhen'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'function')
      throw new TypeError(`command: option "${key}" must be a function of { stdout, stderr, exitCode }`);
  }
  if (o.readOnly !== undefined && typeof o.readOnly !== 'boolean')
    throw new TypeError(`command: option "readOnly" must be true or false`);
  if (o.readOnly && o.changedWhen)
    throw new TypeError(
      'command: option "changedWhen" contradicts readOnly: a read-only command changes nothing',
    );
  if (o.timeoutMs !== undefined && !(Number.isFinite(o.timeoutMs) && o.timeoutMs > 0)) {
    throw new TypeError(
      `command: option "timeoutMs" must be a positive number of milliseconds, got ${o.timeoutMs}`,
    );
  }
}
