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
  message?: string;
  /** A line repeated under the recap ("reboot required: …"). */
  notice?: string;
  handler?: boolean;
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

export interface HostCounts {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
}

export interface RecapEvent {
  type: 'recap';
  hosts: Record<string, HostCounts>;
  /** Tasks' notices per host, in order (only hosts that have some). */
  notices?: Record<string, string[]>;
  durationMs: number;
}

export type RunEvent =
  PlayStartEvent | TaskStartEvent | TaskEvent | HostUnreachableEvent | LogEvent | RecapEvent;

export interface Reporter {
  event(event: RunEvent): void;
  /** Flush and stop (the TTY renderer stops redrawing). */
  close(): Promise<void>;
}

export function emptyCounts(): HostCounts {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
}
