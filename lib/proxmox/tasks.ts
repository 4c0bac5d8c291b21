/**
 * Proxmox tasks. Async calls (create, clone, start, download-url, config POST…) answer at once
 * with a UPID and do the work in a worker; success or failure shows only in the task's status.
 * waitForTask polls `/nodes/{node}/tasks/{upid}/status` — the node is the UPID's second field,
 * the UPID is URL-encoded into the path — until `status: stopped`, then succeeds iff
 * `exitstatus` is `OK` or `WARNINGS: n` (what PVE's own status_is_error treats as success).
 * Right after dispatch the task may not be visible yet, which Proxmox answers with 400 (bpg's
 * WaitForTask retries that too), so a 400 before the first good status is polled again for a
 * short while. On failure the task's log is fetched into the ProxmoxTaskError.
 */
import { ProxmoxApiError, ProxmoxTaskError, ProxmoxTaskTimeoutError } from './errors.js';
import { sleep } from './retry.js';

export interface Upid {
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
}

/** `UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:` (pve-common PVE/UPID.pm). */
export function parseUpid(upid: string): Upid {
  const m =
    /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8,}):([0-9A-Fa-f]{8,}):([0-9A-Fa-f]{8,}):([^:\s]+):([^:\s]*):([^:\s]+):$/.exec(
      upid,
    );
  if (!m) throw new TypeError(`not a Proxmox task id (UPID): ${JSON.stringify(upid)}`);
  return {
    node: m[1]!,
    pid: parseInt(m[3]!, 16),
    pstart: parseInt(m[4]!, 16),
    starttime: parseInt(m[5]!, 16),
    type: m[6]!,
    id: m[7]!,
    user: m[8]!,
  };
}

export function isTaskSuccess(exitstatus: string): boolean {
  return exitstatus === 'OK' || /^WARNINGS: \d+$/.test(exitstatus);
}

/** What the task poller needs from the client: one GET returning the whole JSON body. */
export type GetFn = (
  path: string,
  params?: Record<string, unknown>,
) => Promise<{ data?: unknown } | undefined>;

export interface WaitOptions {
  timeoutMs: number;
  /** First poll delay; doubles up to maxPollMs (default 100 ms → 1 s). */
  firstPollMs?: number;
  maxPollMs?: number;
  /** How long a 400 on the status counts as "not visible yet" (default 10 s). */
  notVisibleGraceMs?: number;
  log?: (line: string) => void;
}

export interface TaskResult {
  upid: string;
  exitstatus: string;
}

export async function waitForTask(get: GetFn, upid: string, options: WaitOptions): Promise<TaskResult> {
  const { node } = parseUpid(upid);
  const base = `/nodes/${node}/tasks/${encodeURIComponent(upid)}`;
  const started = Date.now();
  const grace = Math.min(options.notVisibleGraceMs ?? 10_000, options.timeoutMs);
  let delay = options.firstPollMs ?? 100;
  let seen = false;
  for (;;) {
    let status: { status?: string; exitstatus?: string } | undefined;
    try {
      status = (await get(`${base}/status`))?.data as typeof status;
      seen = true;
    } catch (error) {
      const notYetVisible =
        error instanceof ProxmoxApiError && error.status === 400 && !seen && Date.now() - started < grace;
      if (!notYetVisible) throw error;
      options.log?.(`proxmox: task ${upid} not visible yet (400); polling again`);
    }
    if (status?.status === 'stopped') {
      const exitstatus = typeof status.exitstatus === 'string' ? status.exitstatus : 'unexpected status';
      if (isTaskSuccess(exitstatus)) return { upid, exitstatus };
      throw new ProxmoxTaskError(upid, exitstatus, await readTaskLog(get, base));
    }
    const waited = Date.now() - started;
    if (waited >= options.timeoutMs) throw new ProxmoxTaskTimeoutError(upid, waited);
    await sleep(Math.min(delay, options.timeoutMs - waited));
    delay = Math.min(delay * 2, options.maxPollMs ?? 1000);
  }
}

/** A failed task's log lines; a log that cannot be read gives a line saying so, not a second error. */
async function readTaskLog(get: GetFn, base: string): Promise<string[]> {
  try {
    const lines = (await get(`${base}/log`, { start: 0, limit: 10_000 }))?.data;
    if (!Array.isArray(lines)) return [];
    return lines.map((entry: { t?: unknown }) =>
      typeof entry?.t === 'string' ? entry.t : String(entry?.t ?? ''),
    );
  } catch (error) {
    return [`(the task log could not be read: ${error instanceof Error ? error.message : String(error)})`];
  }
}
