/**
 * The loop form of `task` (Ansible's `loop`, pyinfra's per-item operations): one task, its body
 * run once per item in order. Each item runs in its own task scope, so an item whose body
 * returns nothing is `changed` exactly when it ran a state-changing command, as a plain task is.
 * Every item runs even after one failed (as Ansible does); the task's result merges them:
 * failed if any failed, else changed if any changed, else skipped if all were skipped, else ok.
 * Change lines and errors carry the item's label, `(item=alice) user alice: state → created`.
 */
import type { ItemResult, TaskOutcome, TaskResult } from '../define.js';
import { CheckModeSkip } from '../host/command.js';
import { UnreachableError } from '../transport/types.js';
import { runInTaskScope, toResult, type TaskScope } from './task-scope.js';

export async function runItems<T>(
  name: string,
  items: readonly T[],
  body: (item: T, index: number) => Promise<TaskOutcome | void>,
  label: (item: T, index: number) => string = defaultLabel,
  /** Errors that end the run (unreachable host, Ctrl-C) rather than fail one item. */
  isFatal: (error: unknown) => boolean = (error) => error instanceof UnreachableError,
): Promise<TaskResult> {
  const results: ItemResult[] = [];
  for (const [index, item] of items.entries()) {
    const itemLabel = label(item, index);
    const scope: TaskScope = { name: `${name} (item=${itemLabel})`, mutations: [], skippedInCheck: [] };
    let result: TaskResult;
    try {
      result = toResult(await runInTaskScope(scope, () => body(item, index)), scope);
    } catch (error) {
      if (isFatal(error)) throw error;
      result =
        error instanceof CheckModeSkip
          ? { status: 'skipped', changed: false, message: error.message }
          : {
              status: 'failed',
              changed: false,
              error: error instanceof Error ? error.message : String(error),
            };
    }
    results.push({ ...result, item: itemLabel });
  }
  return mergeItems(results);
}

export function mergeItems(items: ItemResult[]): TaskResult {
  const count = (status: TaskResult['status']) => items.filter((i) => i.status === status).length;
  const prefix = (i: ItemResult) => `(item=${i.item}) `;
  const changes = items.flatMap((i) => (i.changes ?? []).map((line) => prefix(i) + line));
  const diff = items
    .map((i) => i.diff)
    .filter(Boolean)
    .join('\n');
  const failed = items.filter((i) => i.status === 'failed');
  const status: TaskResult['status'] = failed.length
    ? 'failed'
    : count('changed')
      ? 'changed'
      : items.length && count('skipped') === items.length
        ? 'skipped'
        : 'ok';
  const tally = (['changed', 'ok', 'skipped', 'failed'] as const)
    .filter((s) => count(s))
    .map((s) => `${count(s)} ${s}`)
    .join(', ');
  const notes = items.filter((i) => i.message).map((i) => prefix(i) + i.message);
  return {
    status,
    changed: status === 'changed',
    ...(status === 'skipped' ? { skipped: true } : {}),
    ...(changes.length ? { changes } : {}),
    ...(diff ? { diff } : {}),
    ...(failed.length ? { error: failed.map((i) => prefix(i) + i.error).join('; ') } : {}),
    message: [
      `${items.length} ${items.length === 1 ? 'item' : 'items'}${tally ? `: ${tally}` : ''}`,
      ...notes,
    ].join('; '),
    items,
  };
}

function defaultLabel(item: unknown, index: number): string {
  if (typeof item === 'string' || typeof item === 'number') return String(item);
  if (item && typeof item === 'object') {
    for (const key of ['name', 'path', 'unit', 'user'])
      if (typeof (item as Record<string, unknown>)[key] === 'string')
        return (item as Record<string, string>)[key]!;
  }
  return `#${index}`;
}
