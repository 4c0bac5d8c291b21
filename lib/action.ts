/**
 * Actions: primitives whose change is *running something* (a command, a reboot) rather than
 * reaching a described state. They keep lib/resource.ts's read → plan contract (read the guards,
 * plan "run it" or nothing), but differ from `converge` in two ways it cannot express:
 *
 * - The outcome comes from running it: a command's `changedWhen` decides `changed` from its
 *   output, so `apply` returns the outcome instead of void.
 * - Check mode cannot preview a run (there is no "after" to diff), so a planned run is reported
 *   `skipped` with "check mode: would …" — not `changed` — unless the action is read-only, in
 *   which case it is safe and runs in check mode too.
 *
 * As in `converge`, the check-mode decision lives here, never in a primitive.
 */
import type { TaskOutcome } from './define.js';
import type { Host } from './host/host.js';
import type { Change } from './resource.js';

export interface Action<S> {
  /** `command 'apt-get' 'update'`, `reboot`: used in messages. */
  id: string;
  read(host: Host): Promise<S>;
  /** Pure: empty when there is nothing to do. */
  plan(current: S): Change[];
  /** Runs it (only when the plan is non-empty, and in check mode only when read-only). */
  apply(host: Host, current: S, changes: Change[]): Promise<TaskOutcome>;
  /** What it would do, for check mode: `run 'apt-get' 'update'`, `reboot`. */
  preview(current: S): string;
  /** Why there is nothing to do, when the plan is empty: `creates: /etc/x exists`. */
  whyNot?(current: S): string | undefined;
  /** Changes nothing (a query): runs in check mode too. */
  readOnly?: boolean;
}

export async function convergeAction<S>(host: Host, action: Action<S>): Promise<TaskOutcome> {
  const current = await action.read(host);
  const changes = action.plan(current);
  if (changes.length === 0) {
    const why = action.whyNot?.(current);
    return { changed: false, ...(why ? { message: why } : {}) };
  }
  if (host.check && !action.readOnly) {
    return { changed: false, skipped: true, message: `check mode: would ${action.preview(current)}` };
  }
  return action.apply(host, current, changes);
}
