/**
 * Everything a run reports, as typed events. The runner only emits these; reporters (plain
 * lines, live TTY list, JSON Lines, the run record) only consume them, so every output shows
 * the same facts and masking happens in one place (lib/report/reporter.ts).
 */

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped';

export interface PlayStartEvent {
  type: 'play';
  name: string;
  pattern: string;
  hosts: string[];
}

export interface TaskStartEvent {
  type: 'task-start';
  host: string;
  role: string;
  task: string;
  startedAt: number;
}

export interface TaskEvent {
  type: 'task';
  host: string;
  role: string;
  task: string;
  status: TaskStatus;
  /** Human lines of what changed (or would, in check mode). */
  changes?: string[];
  diff?: string;
  error?: string;
  /** Where a task's exception came from (`file:line:column`, the role's own code first), for -v. */
  errorAt?: string;
  /** The exception's stack, for -vvv. */
  stack?: string;
  message?: string;
  /** A line repeated under the recap ("reboot required: …"). */
  notice?: string;
  handler?: boolean;
  /** A failure the task allowed (`ignoreErrors`): counted as `ignored` (and ok), not failed, as in Ansible. */
  ignored?: boolean;
  /** Epoch ms when the task started: with durationMs, shows which tasks overlapped. */
  startedAt: number;
  durationMs: number;
  /** Remote commands this task sent (for --profile). */
  roundTrips?: number;
}

export interface HostUnreachableEvent {
  type: 'host';
  host: string;
  status: 'unreachable';
  error: string;
}

export interface LogEvent {
  type: 'log';
  host: string;
  message: string;
}

/**
 * A host's recap, counted as Ansible counts it: `ok` is every task that succeeded, changed or
 * not (so ok=4 changed=4 for four changed tasks); `ignored` failures count as ok too, not failed.
 */
export interface HostCounts {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
  /** Absent in run records written before it was counted. */
  ignored?: number;
}

export interface RecapEvent {
  type: 'recap';
  hosts: Record<string, HostCounts>;
  /** Tasks' notices per host, in order (only hosts that have some). */
  notices?: Record<string, string[]>;
  durationMs: number;
}

/**
 * The reads a role sent to a host (lib/host/prefetch.ts): kept in the run record, so the next run
 * can send them all in one round trip when the role starts.
 */
export interface ProbesEvent {
  type: 'probes';
  host: string;
  role: string;
  probes: { command: string; inShell?: boolean }[];
}

export type RunEvent =
  PlayStartEvent | TaskStartEvent | TaskEvent | HostUnreachableEvent | LogEvent | RecapEvent | ProbesEvent;

export interface Reporter {
  event(event: RunEvent): void;
  /** Flush and stop (the TTY renderer stops redrawing). */
  close(): Promise<void>;
}

export function emptyCounts(): HostCounts {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 };
}

/** Adds one task result to a host's counts, Ansible's way (see HostCounts). */
export function countTask(counts: HostCounts, event: Pick<TaskEvent, 'status' | 'ignored'>): void {
  if (event.status === 'failed') {
    if (event.ignored) {
      counts.ignored = (counts.ignored ?? 0) + 1;
      counts.ok++;
    } else counts.failed++;
  } else if (event.status === 'skipped') counts.skipped++;
  else {
    counts.ok++;
    if (event.status === 'changed') counts.changed++;
  }
}
