/**
 * What the task that is running right now has done. Host handles record here when they run a
 * state-changing command, so a task whose body returns nothing still reports `changed` when it
 * ran one (and `ok` when it only probed). AsyncLocalStorage keeps this per task even when hosts
 * run in parallel in one process.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TaskOutcome, TaskResult } from '../define.js';

export interface TaskScope {
  /** The task's name, for messages (a primitive's refused option names it). */
  name?: string;
  /** State-changing commands run by this task (their text, for -v output). */
  mutations: string[];
  /** Commands skipped because of check mode. */
  skippedInCheck: string[];
}

const storage = new AsyncLocalStorage<TaskScope>();

export function runInTaskScope<T>(scope: TaskScope, fn: () => Promise<T>): Promise<T> {
  return storage.run(scope, fn);
}

export function currentTaskScope(): TaskScope | undefined {
  return storage.getStore();
}

/**
 * A task body's outcome as its result. Nothing returned: `changed` if it ran a state-changing
 * command, `skipped` if check mode stopped one. A result already made (a loop's merged items)
 * keeps its status.
 */
export function toResult(outcome: TaskOutcome | void, scope: TaskScope): TaskResult {
  if (!outcome) {
    if (scope.skippedInCheck.length)
      return {
        status: 'skipped',
        changed: false,
        message: `check mode: would run ${scope.skippedInCheck[0]}`,
      };
    const changed = scope.mutations.length > 0;
    return { status: changed ? 'changed' : 'ok', changed };
  }
  if ('status' in outcome && typeof outcome.status === 'string') return outcome as TaskResult;
  const status: TaskResult['status'] = outcome.skipped ? 'skipped' : outcome.changed ? 'changed' : 'ok';
  return { ...outcome, status };
}
