/**
 * `command`: run a command, made idempotent by guards (`creates`, `removes`, `unless`, `onlyIf`,
 * all checked in one round trip), with `changedWhen`/`failedWhen` judging its result.
 *
 * State is "what the guards say"; the plan is "run it" or nothing. In check mode a command is
 * reported skipped ("check mode: would run …") — it cannot be previewed — unless it declares
 * itself `readOnly`, in which case it runs in check mode too and reports ok (see action.ts).
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import { CommandError } from '../../lib/host/command.js';
import type { Host } from '../../lib/host/host.js';
import { Secret } from '../../lib/secret.js';
import { convergeAction, type Action } from '../../lib/action.js';
import { Checked, checkOptions, fail, Flag, InstanceOf, Options } from '../options.js';
import { guardScript, parseGuards, type GuardVerdict } from './command-guards.js';
import {
  checkEnv,
  CommandSpecOption,
  specProblem,
  describeSpec,
  EnvOption,
  prepare,
  scriptProblem,
  type CommandSpec,
} from './command-line.js';
import { HostPath, Milliseconds } from './option-types.js';

/** What `changedWhen`/`failedWhen` see, and what the outcome carries back. */
const CommandRun = Type.Object({ stdout: Type.String(), stderr: Type.String(), exitCode: Type.Number() });
export type CommandRun = Static<typeof CommandRun>;

const Judge = () =>
  Type.Function([CommandRun], Type.Boolean(), {
    expected: 'must be a function of { stdout, stderr, exitCode }',
  });

export const CommandOptions = Options({
  /** The program and its arguments, each word quoted (preferred). */
  argv: Type.Optional(Checked<readonly string[]>((v) => (Array.isArray(v) ? specProblem(v) : ARGV))),
  /** A shell script you wrote yourself (pipes, `set -e`), run by bash; quote values with quotePosix. */
  shell: Type.Optional(Checked<string>(scriptProblem)),
  /** Do not run when this path exists (what the command makes). */
  creates: Type.Optional(HostPath()),
  /** Do not run when this path is absent (what the command removes). */
  removes: Type.Optional(HostPath()),
  /** Do not run when this command succeeds (exit 0). */
  unless: Type.Optional(CommandSpecOption()),
  /** Run only when this command succeeds. */
  onlyIf: Type.Optional(CommandSpecOption()),
  /** Standard input; a Secret is fine (it never reaches a command line). */
  stdin: Type.Optional(
    Type.Union([Type.String(), InstanceOf(Buffer), InstanceOf(Secret)], {
      expected: 'must be a string, a Buffer or a Secret',
    }),
  ),
  /** Environment variables; values are quoted, Secret values travel on stdin (see command-line.ts). */
  env: Type.Optional(EnvOption()),
  /** Working directory (absolute). */
  cwd: Type.Optional(HostPath()),
  /** Changes nothing (a query): runs in check mode too, reports ok. */
  readOnly: Type.Optional(Flag()),
  /** Whether the run changed something. Default: true (false when readOnly). */
  changedWhen: Type.Optional(Judge()),
  /** Whether the run failed. Default: exit code ≠ 0. */
  failedWhen: Type.Optional(Judge()),
  /** Kill the command (and fail) after this long. Applies to the guard probe too. */
  timeoutMs: Type.Optional(Milliseconds()),
});
export type CommandOptions = Static<typeof CommandOptions>;

const ARGV = 'must be an argv array of words, like ["systemctl", "restart", "nginx"]';

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
      const r = await host.probe({ ...timing, nothrow: true, inShell: true })`eval ${guards}`;
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

/** The options' shapes are CommandOptions'; what depends on several of them is checked here. */
function validate(o: CommandOptions): void {
  checkOptions('command', CommandOptions, o);
  if ((o.argv === undefined) === (o.shell === undefined))
    fail(
      'command',
      'give',
      'exactly one of argv (an array of words) or shell (a script you quoted yourself)',
      o.argv === undefined ? 'neither' : 'both',
    );
  checkEnv('command', o.env);
  if (o.readOnly && o.changedWhen)
    fail(
      'command',
      'changedWhen',
      'must not be given with readOnly: true (a read-only command changes nothing)',
      o.changedWhen,
    );
}
