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
 *
 * Check mode plans against what earlier tasks of the same run would have made (Chef's why-run):
 * a resource that would create something says so (`provides`: a package, a file, a user…), the
 * run remembers it per host, and a later resource whose read finds it missing may plan as if it
 * were there (`assume`), instead of failing ("unit not found" after a planned install). The
 * outcome says when a plan rests on such an assumption.
 */
import type { TaskOutcome } from './define.js';
import type { Host } from './host/host.js';

/**
 * One planned change, as data. `field`, `from` and `to` are what is shown (`mode 0644 → 0600`);
 * a resource's own change type narrows `field` to the names it plans (so a typo in its apply is a
 * compile error) and, where apply acts on `to`, narrows it to the values it plans, each mapped
 * to what apply does by a typed table (a systemctl verb per state), so apply never parses text.
 */
export interface Change<F extends string = string, T extends string = string> {
  /** What changes: `content`, `mode`, `owner`, `package nginx`. */
  field: F;
  from?: string;
  to: T;
  /**
   * An action, not a difference found on the host: it runs whenever asked (a service restart or
   * reload). In check mode it is reported as what would run — alone, the task is skipped with
   * "check mode: would run …" — so a recap does not count it as a change the host needs.
   */
  action?: boolean;
}

/** Something a planned change would create, remembered in check mode for later tasks. */
export type Provision =
  | { kind: 'package'; name: string }
  /** A file written (created or with new content); mode/owner/group when the write sets or keeps them. */
  | { kind: 'file'; path: string; content?: Buffer; mode?: string; owner?: string; group?: string }
  | { kind: 'directory'; path: string }
  /** A user created; `home` its passwd home, `group` its primary group, when known. */
  | { kind: 'user'; name: string; home?: string; group?: string }
  | { kind: 'group'; name: string };

/** What earlier tasks of this run on this host would have created (check mode only). */
export class CheckMemory {
  readonly #items = new Map<string, Provision>();
  add(items: Provision[]): void {
    for (const item of items) this.#items.set(key(item), item);
  }
  has(item: Provision): boolean {
    return this.#items.has(key(item));
  }
  /** The file an earlier task would write at `path`, with its content when known. */
  file(path: string): Extract<Provision, { kind: 'file' }> | undefined {
    const item = this.#items.get(key({ kind: 'file', path }));
    return item?.kind === 'file' ? item : undefined;
  }
  /** The user an earlier task would create. */
  user(name: string): Extract<Provision, { kind: 'user' }> | undefined {
    const item = this.#items.get(key({ kind: 'user', name }));
    return item?.kind === 'user' ? item : undefined;
  }
  /** Packages planned for installation, in the order planned. */
  packages(): string[] {
    return [...this.#items.values()].flatMap((i) => (i.kind === 'package' ? [i.name] : []));
  }
}

const key = (item: Provision): string => `${item.kind} ${'path' in item ? item.path : item.name}`;

// One memory per host handle, which lives for one run: nothing outlives the run.
const memories = new WeakMap<Host, CheckMemory>();

export function checkMemory(host: Host): CheckMemory {
  let memory = memories.get(host);
  if (!memory) memories.set(host, (memory = new CheckMemory()));
  return memory;
}

/** A state read, adjusted for what earlier tasks would have created, and why (for the outcome). */
export interface Assumed<S> {
  current: S;
  because: string;
}

export interface Resource<S, C extends Change = Change> {
  /** `file /etc/motd`, `service nginx`: used in messages. */
  id: string;
  read(host: Host): Promise<S>;
  plan(current: S): C[];
  apply(host: Host, current: S, changes: C[]): Promise<void>;
  /** A unified diff of content for --diff; undefined when there is none to show. */
  diff?(current: S): string | undefined;
  /** Content is secret: diffs and change values are not shown. */
  sensitive?: boolean;
  /** Check mode: what applying `changes` would create, for later tasks of the run to plan against. */
  provides?(current: S, changes: C[]): Provision[];
  /** Check mode: the state as it would be after earlier tasks of the run; undefined when they change nothing here. */
  assume?(current: S, earlier: CheckMemory): Assumed<S> | undefined;
}

export async function converge<S, C extends Change>(
  host: Host,
  resource: Resource<S, C>,
): Promise<TaskOutcome> {
  let current: S = await resource.read(host);
  const assumed = host.check ? resource.assume?.(current, checkMemory(host)) : undefined;
  if (assumed) current = assumed.current;
  const note = assumed
    ? { message: `check mode: planned as if earlier tasks had run (${assumed.because})` }
    : {};
  const changes = resource.plan(current);
  if (changes.length === 0) return { changed: false, ...note };
  const line = (c: Change) => `${resource.id}: ${describeChange(c, resource.sensitive)}`;
  if (host.check && changes.every((c) => c.action))
    return {
      changed: false,
      skipped: true,
      message: `check mode: would run ${changes.map(line).join(', ')}`,
    };
  const diff = resource.sensitive ? undefined : resource.diff?.(current);
  if (host.check) checkMemory(host).add(resource.provides?.(current, changes) ?? []);
  else await resource.apply(host, current, changes);
  const lines = changes.map((c) => (host.check && c.action ? `${line(c)} (would run)` : line(c)));
  return { changed: true, changes: lines, ...(diff ? { diff } : {}), ...note };
}

export function describeChange(change: Change, sensitive = false): string {
  if (sensitive && change.field === 'content') return 'content changed (sensitive, not shown)';
  return change.from === undefined
    ? `${change.field} → ${change.to}`
    : `${change.field} ${change.from} → ${change.to}`;
}
