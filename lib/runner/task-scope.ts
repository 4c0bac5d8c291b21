/**
 * What the task that is running right now has done. Host handles record here when they run a
 * state-changing command, so a task whose body returns nothing still reports `changed` when it
 * ran one (and `ok` when it only probed). AsyncLocalStorage keeps this per task even when hosts
 * run in parallel in one process.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

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
