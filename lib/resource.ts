/**
 * The one contract every task primitive follows (Chef's load_current_value/converge_if_changed,
 * pyinfra's facts + operations, Terraform's read/plan/apply):
 *
 *   read(host)            → the current state (one round trip where possible)
 *   plan(current)         → the changes, as data (empty: nothing to do)
 *   apply(host, current, changes) → make them
 *
 * `converge` drives it, so check mode (stop after plan), diffs (from current and desired),
 * masking of sensitive content and reporting are the same for every primitive, and no
 * primitive has a check-mode branch of its own.
 */
import type { TaskOutcome } from './define.js';
import type { Host } from './host/host.js';

export interface Change {
  /** What changes: `content`, `mode`, `owner`, `package nginx`. */
  field: string;
  from?: string;
  to: string;
  /**
   * An action, not a difference found on the host: it runs whenever asked (a service restart or
   * reload). In check mode it is reported as what would run — alone, the task is skipped with
   * "check mode: would run …" — so a recap does not count it as a change the host needs.
   */
  action?: boolean;
}

export interface Resource<S> {
  /** `file /etc/motd`, `service nginx`: used in messages. */
  id: string;
  read(host: Host): Promise<S>;
  plan(current: S): Change[];
  apply(host: Host, current: S, changes: Change[]): Promise<void>;
  /** A unified diff of content for --diff; undefined when there is none to show. */
  diff?(current: S): string | undefined;
  /** Content is secret: diffs and change values are not shown. */
  sensitive?: boolean;
}

export async function converge<S>(host: Host, resource: Resource<S>): Promise<TaskOutcome> {
  const current = await resource.read(host);
  const changes = resource.plan(current);
  if (changes.length === 0) return { changed: false };
  const line = (c: Change) => `${resource.id}: ${describeChange(c, resource.sensitive)}`;
  if (host.check && changes.every((c) => c.action))
    return {
      changed: false,
      skipped: true,
      message: `check mode: would run ${changes.map(line).join(', ')}`,
    };
  const diff = resource.sensitive ? undefined : resource.diff?.(current);
  if (!host.check) await resource.apply(host, current, changes);
  const lines = changes.map((c) => (host.check && c.action ? `${line(c)} (would run)` : line(c)));
  return { changed: true, changes: lines, ...(diff ? { diff } : {}) };
}

export function describeChange(change: Change, sensitive = false): string {
  if (sensitive && change.field === 'content') return 'content changed (sensitive, not shown)';
  return change.from === undefined
    ? `${change.field} → ${change.to}`
    : `${change.field} ${change.from} → ${change.to}`;
}
