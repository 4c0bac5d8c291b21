/**
 * One role on one host: its tasks in order, then its notified handlers (once each, in the
 * order the role declares them, never after a failure, never in check mode). A failed task
 * ends the role and the host's run; an unreachable host ends it too.
 */
import type { LoopOptions, Role, RoleContext, TaskOptions, TaskOutcome, TaskResult } from '../define.js';

type ItemBody = (item: unknown, index: number) => Promise<TaskOutcome | void>;
import { CheckModeSkip } from '../host/command.js';
import type { Host } from '../host/host.js';
import { UnreachableError } from '../transport/types.js';
import type { RunState } from './run-state.js';
import { shouldRun } from './tags.js';
import { runItems } from './task-loop.js';
import { runInTaskScope, toResult, type TaskScope } from './task-scope.js';
import { roleSecrets } from '../secrets/store.js';
import { runAsRole } from './current-role.js';
import { errorOrigin, type ErrorOrigin } from './error-origin.js';

/** Ends a role after a task failed (already reported). */
export class RoleFailed extends Error {}
/** Ends a host's run because Ctrl-C was pressed. */
export class Interrupted extends Error {}

export interface RoleRunInput {
  role: Role<any>;
  inventoryHost: string;
  host: Host;
  controller: Host;
  vars: Record<string, unknown>;
  hostVars: Record<string, unknown>;
  /** Variables of other hosts named by the role's `hostRefs` (validated, secrets resolved). */
  refVars?: Record<string, Record<string, unknown>>;
  /** Tags from the play and from the role's use in the play. */
  outerTags: string[];
}

export async function runRole(run: RunState, input: RoleRunInput): Promise<void> {
  const { role, inventoryHost } = input;
  const notified = new Set<string>();
  const baseTags = [...input.outerTags, ...(role.tags ?? [])];

  const execute = async (
    name: string,
    body: () => Promise<TaskOutcome | void>,
    handler: boolean,
    ignoreErrors = false,
  ): Promise<TaskResult> => {
    if (run.signal.aborted) throw new Interrupted();
    const startedAt = Date.now();
    const tripsBefore = input.host.roundTrips + input.controller.roundTrips;
    run.emit({ type: 'task-start', host: inventoryHost, role: role.name, task: name, startedAt });
    const scope: TaskScope = { name, mutations: [], skippedInCheck: [] };
    let result: TaskResult;
    let origin: ErrorOrigin = {};
    try {
      const outcome = await runInTaskScope(scope, body);
      result = toResult(outcome, scope);
    } catch (error) {
      if (error instanceof UnreachableError || error instanceof Interrupted) throw error;
      if (error instanceof CheckModeSkip)
        result = { status: 'skipped', changed: false, message: error.message };
      else if (error instanceof RoleFailed) throw error;
      else {
        result = { status: 'failed', changed: false, error: errorText(error) };
        origin = errorOrigin(error, role.definedAt);
      }
    }
    run.emit({
      type: 'task',
      host: inventoryHost,
      role: role.name,
      task: name,
      status: result.status,
      ...(result.changes?.length ? { changes: result.changes } : {}),
      ...(result.diff ? { diff: result.diff } : {}),
      ...(result.error ? { error: result.error, ...origin } : {}),
      ...(result.status === 'failed' && ignoreErrors ? { ignored: true } : {}),
      ...(result.message ? { message: result.message } : {}),
      ...(result.notice ? { notice: result.notice } : {}),
      ...(handler ? { handler: true } : {}),
      startedAt,
      durationMs: Date.now() - startedAt,
      roundTrips: input.host.roundTrips + input.controller.roundTrips - tripsBefore,
    });
    return result;
  };

  /** Runs the notified handlers, in the role's order, once each (never in check mode). */
  const runHandlers = async (): Promise<void> => {
    for (const [name, handler] of Object.entries(role.handlers ?? {})) {
      if (!notified.has(name)) continue;
      notified.delete(name);
      if (run.options.check) {
        const now = Date.now();
        run.emit({
          type: 'task',
          host: inventoryHost,
          role: role.name,
          task: name,
          status: 'skipped',
          handler: true,
          message: 'check mode: handler not run',
          startedAt: now,
          durationMs: 0,
        });
        continue;
      }
      const result = await execute(name, () => runAsRole(role, () => handler(ctx)), true);
      if (result.status === 'failed') throw new RoleFailed(result.error);
    }
  };

  const ctx: RoleContext<any> = {
    host: input.host,
    controller: input.controller,
    inventoryHost,
    vars: input.vars,
    hostVars: input.hostVars,
    hostVarsOf(refOrName: string) {
      // A hostRefs variable (`'pve_host'`) stands for the host it names; otherwise a host name.
      const isRef =
        Object.hasOwn(role.hostRefs ?? {}, refOrName) && typeof input.vars[refOrName] === 'string';
      const name = isRef ? (input.vars[refOrName] as string) : refOrName;
      const vars = input.refVars?.[name];
      if (!vars) {
        const refs = Object.keys(role.hostRefs ?? {});
        throw new Error(
          `role ${role.name} reads the variables of host ${name}, which none of its hostRefs variables (${refs.join(', ') || 'none declared'}) names for ${inventoryHost}`,
        );
      }
      return vars as any;
    },
    check: run.options.check,
    task: (async (
      name: string,
      bodyOrItems: (() => Promise<TaskOutcome | void>) | readonly unknown[],
      second?: TaskOptions | ItemBody,
      third?: LoopOptions<unknown>,
    ): Promise<TaskResult> => {
      // The loop form, task(name, items, body, options), runs as one task whose body runs each item.
      const loop = Array.isArray(bodyOrItems);
      const options: LoopOptions<unknown> = (loop ? third : (second as TaskOptions | undefined)) ?? {};
      const body = loop
        ? () =>
            runItems(name, bodyOrItems, second as ItemBody, options.label, (error) => {
              return error instanceof UnreachableError || error instanceof Interrupted;
            })
        : (bodyOrItems as () => Promise<TaskOutcome | void>);
      if (!shouldRun([...baseTags, ...(options.tags ?? [])], run.options.tags)) {
        return { status: 'skipped', changed: false, message: 'not selected by tags' };
      }
      const result = await execute(name, body, false, options.ignoreErrors);
      if (result.status === 'failed') {
        if (options.ignoreErrors) return result;
        throw new RoleFailed(result.error);
      }
      if (result.status === 'changed') {
        for (const h of [options.notify ?? []].flat()) {
          if (!role.handlers?.[h]) {
            const error = `task "${name}" notifies handler "${h}", which role ${role.name} does not define`;
            run.emit({
              type: 'task',
              host: inventoryHost,
              role: role.name,
              task: name,
              status: 'failed',
              error,
              startedAt: Date.now(),
              durationMs: 0,
            });
            throw new RoleFailed(error);
          }
          notified.add(h);
        }
      }
      return result;
    }) as RoleContext<any>['task'],
    flushHandlers: () => runHandlers(),
    lock: (name, fn) => run.locks.with(name, fn),
    log(message: string) {
      run.emit({ type: 'log', host: inventoryHost, message });
    },
    secrets: roleSecrets(run.options.secrets, (message) =>
      run.emit({ type: 'log', host: inventoryHost, message }),
    ),
  };

  // The role's reads of the last run, in one round trip; not for the controller (a local shell).
  const remote = input.host !== input.controller;
  const lastProbes = remote ? run.options.lastProbes?.[inventoryHost]?.[role.name] : undefined;
  if (remote) input.host.takeProbeLog(); // what an earlier role sent is that role's
  const recordProbes = (): void => {
    const probes = remote ? input.host.takeProbeLog() : [];
    if (probes.length) run.emit({ type: 'probes', host: inventoryHost, role: role.name, probes });
  };
  try {
    if (lastProbes?.length) await input.host.prefetch(lastProbes);
    await runAsRole(role, () => role.apply(ctx));
  } catch (error) {
    if (error instanceof RoleFailed || error instanceof UnreachableError || error instanceof Interrupted) {
      recordProbes();
      throw error;
    }
    // An error thrown by the role's own code outside any task.
    run.emit({
      type: 'task',
      host: inventoryHost,
      role: role.name,
      task: '(role)',
      status: 'failed',
      error: errorText(error),
      ...errorOrigin(error, role.definedAt),
      startedAt: Date.now(),
      durationMs: 0,
    });
    throw new RoleFailed(errorText(error));
  }

  try {
    await runHandlers();
  } finally {
    recordProbes();
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
