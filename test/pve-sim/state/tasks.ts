/**
 * Worker tasks (PVE's fork_worker): each gets a UPID
 * `UPID:<node>:<pid 8 hex>:<pstart 8 hex>:<starttime 8 hex>:<type>:<id>:<user>:` (pve-common
 * UPID.pm), runs in the background, writes a log, and ends `stopped` with `exitstatus` "OK" or
 * the error text (PVE logs "TASK ERROR: <msg>"). Durations come from the options, stretched by
 * slow-task faults; a fail-task fault makes a matching task end with the given exitstatus
 * without doing its work.
 */
import type { SimClock } from './clock.js';
import type { FaultSet } from '../faults.js';

export interface SimTask {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
  status: 'running' | 'stopped';
  exitstatus?: string;
  endtime?: number;
  log: string[];
  /** Resolves when the task has stopped (for tests). */
  done: Promise<void>;
}

export interface TaskContext {
  readonly upid: string;
  log(line: string): void;
  /** Waits `ms` of task time (scaled by slow-task faults). */
  work(ms: number): Promise<void>;
}

let pidCounter = 0x1a2b0;
let pstartCounter = 0x5f5e100;

export class TaskRunner {
  constructor(
    private readonly tasks: Map<string, SimTask>,
    private readonly clock: SimClock,
    private readonly faults: FaultSet,
    private readonly baseMs: () => number,
  ) {}

  start(
    node: string,
    type: string,
    id: string | number,
    user: string,
    worker: (t: TaskContext) => Promise<void>,
  ): string {
    const pid = pidCounter++;
    const pstart = (pstartCounter += 37);
    const starttime = this.clock.epoch();
    const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
    const upid = `UPID:${node}:${hex(pid)}:${hex(pstart)}:${hex(starttime)}:${type}:${id}:${user}:`;
    let finish!: () => void;
    const task: SimTask = {
      upid,
      node,
      pid,
      pstart,
      starttime,
      type,
      id: String(id),
      user,
      status: 'running',
      log: [],
      done: new Promise<void>((r) => (finish = r)),
    };
    this.tasks.set(upid, task);
    const ctx: TaskContext = {
      upid,
      log: (line) => void task.log.push(line),
      work: (ms) => new Promise((r) => setTimeout(r, this.faults.taskDuration(type, ms))),
    };
    void (async () => {
      try {
        // An injected failure replaces the work: like a real failed task, it changes nothing.
        const injected = this.faults.takeTaskFailure(type, String(id));
        if (injected) {
          await ctx.work(this.baseMs());
          throw new Error(injected);
        }
        await worker(ctx);
        task.exitstatus = 'OK';
        task.log.push('TASK OK');
      } catch (e) {
        const msg = (e instanceof Error ? e.message : String(e)).replace(/\n+$/, '');
        task.exitstatus = msg.split('\n')[0]!;
        for (const line of msg.split('\n')) task.log.push(line);
        task.log.push(`TASK ERROR: ${msg.split('\n')[0]}`);
      } finally {
        task.status = 'stopped';
        task.endtime = this.clock.epoch();
        finish();
      }
    })();
    return upid;
  }
}

export function parseUpid(
  upid: string,
):
  | { node: string; pid: number; pstart: number; starttime: number; type: string; id: string; user: string }
  | undefined {
  const m =
    /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$/.exec(
      upid,
    );
  if (!m) return undefined;
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
