/**
 * The controller machine: what it is (for the results) and how quiet it is right now (so a figure
 * is only taken when nothing else competes for the CPU).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface Machine {
  cores: number;
  memory_gb: number;
  cpu: string;
  /** `uptime`'s 1, 5 and 15 minute load averages when the benchmark started. */
  load_start: [number, number, number];
}

export function loadAverage(): [number, number, number] {
  const [a = '0', b = '0', c = '0'] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return [Number(a), Number(b), Number(c)];
}

export function machineInfo(): Machine {
  const model = cpus()[0]?.model.trim() || 'unknown';
  return {
    cores: cpus().length,
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpu: model,
    load_start: loadAverage(),
  };
}

/** Busy and total jiffies of all CPUs since boot (the first line of /proc/stat). */
function cpuTimes(): { busy: number; total: number } {
  const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const v = first.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((s, x) => s + x, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Share of the whole machine's CPU time that was busy over the next `ms` (0..1). */
export async function cpuBusy(ms: number): Promise<number> {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
}

export interface Quiet {
  load1: number;
  busy: number;
  waitedS: number;
  /** False when the wait limit was reached while the machine was still busy. */
  quiet: boolean;
}

export interface QuietOptions {
  /** 1-minute load average under which the machine counts as quiet. */
  maxLoad: number;
  /**
   * Share of all CPUs busy over a 3 s window under which the machine counts as quiet even when the
   * load average is higher: the load average trails by about a minute, so right after the
   * benchmark's own Ansible run it is high while nothing runs any more. Other engineers' test
   * suites keep the CPU busy and are waited for.
   */
  maxBusy: number;
  /** Give up waiting after this long (the figure is then taken and marked noisy). */
  maxWaitS: number;
  /**
   * A run during which others (processes outside the benchmark's own tree: the tool and the test
   * hosts) used more than this share of the machine's CPU is noisy, and its turn is retried.
   */
  maxForeign: number;
  log: (line: string) => void;
}

export async function waitQuiet(o: QuietOptions): Promise<Quiet> {
  const started = Date.now();
  let said = false;
  for (;;) {
    const busy = await cpuBusy(3000);
    const [load1] = loadAverage();
    const waitedS = (Date.now() - started) / 1000;
    if (load1 < o.maxLoad || busy < o.maxBusy) return { load1, busy, waitedS, quiet: true };
    if (waitedS > o.maxWaitS) return { load1, busy, waitedS, quiet: false };
    if (!said) {
      o.log(
        `  waiting for a quiet machine (load ${load1.toFixed(2)}, CPU ${(busy * 100).toFixed(0)}% busy)…`,
      );
      said = true;
    }
    await sleep(3000);
  }
}

/** Clock ticks (USER_HZ) of the whole machine: busy and total, all CPUs. */
export function machineTicks(): { busy: number; total: number } {
  return cpuTimes();
}

/**
 * CPU ticks used so far by this process and everything below it — the tool under test, its ssh
 * processes, and the test hosts (their nspawn and every process inside), whose dead processes'
 * time is in their live ancestors' cutime/cstime. A process's subtree total is
 * Σ over live processes (utime + stime + cutime + cstime).
 */
export function ownTreeTicks(alsoMatching?: string): number {
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After `pid (comm) `: state ppid … utime(12th) stime cutime cstime (0-based 11..14).
    const ppid = Number(f[1]);
    const pid = Number(name);
    ticks.set(pid, Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  let sum = 0;
  const queue = [process.pid];
  // Processes that left the tree (Ansible's ControlPersist masters detach to pid 1), by command line.
  if (alsoMatching) {
    for (const pid of ticks.keys()) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(alsoMatching)) queue.push(pid);
      } catch {
        /* gone */
      }
    }
  }
  const counted = new Set<number>();
  while (queue.length) {
    const pid = queue.pop()!;
    if (counted.has(pid)) continue;
    counted.add(pid);
    sum += ticks.get(pid) ?? 0;
    queue.push(...(children.get(pid) ?? []));
  }
  return sum;
}

/** Measures what share of the machine's CPU others (not this process tree) used over an interval. */
export function foreignMeter(alsoMatching?: string): () => number {
  const m0 = machineTicks();
  const o0 = ownTreeTicks(alsoMatching);
  return () => {
    const m1 = machineTicks();
    const o1 = ownTreeTicks(alsoMatching);
    const total = m1.total - m0.total;
    return total > 0 ? Math.max(0, (m1.busy - m0.busy - (o1 - o0)) / total) : 0;
  };
}
