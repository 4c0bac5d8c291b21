/**
 * Runs one command as a user would (whole process, start to exit) and measures its wall time and
 * the peak memory of its whole process tree on the controller: every ~20 ms the sampler reads the
 * resident set (VmRSS, from /proc/PID/statm) of the command and of all its descendants, summed.
 *
 * Descendants are found through /proc/PID/task/TID/children of every thread of every process
 * already in the tree, plus a full /proc scan every 250 ms for any missed. A process once seen in
 * the tree stays counted while it lives, also after it is re-parented: Ansible's ControlPersist
 * ssh masters detach from their parent but are the tool's own processes.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadAverage } from './machine.js';

const PAGE_KB = 4; // x86-64 / arm64 Linux base pages

export interface Measured {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
  peakMb: number;
  /** Processes seen in the tree over the whole run. */
  processes: number;
  loadBefore: number;
  loadAfter: number;
}

export interface MeasureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  intervalMs?: number;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function rssKb(pid: number): number | undefined {
  const statm = read(`/proc/${pid}/statm`);
  if (statm === undefined) return undefined;
  return Number(statm.split(' ')[1] ?? 0) * PAGE_KB;
}

function childrenOf(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    const text = read(`/proc/${pid}/task/${tid}/children`);
    if (text) for (const c of text.trim().split(/\s+/)) if (c) out.push(Number(c));
  }
  return out;
}

/** pid → ppid of every process on the machine. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    if (!stat) continue;
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses; ppid follows the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    map.set(Number(name), ppid);
  }
  return map;
}

/** Tracks a process tree and its peak summed RSS. */
export class TreeSampler {
  readonly tracked = new Set<number>();
  readonly seen = new Set<number>();
  peakKb = 0;
  #ticks = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    root: number,
    private readonly intervalMs = 20,
  ) {
    this.tracked.add(root);
    this.seen.add(root);
  }

  start(): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  sample(): void {
    this.#ticks++;
    // Discover children of tracked processes (and theirs, within this tick).
    const queue = [...this.tracked];
    while (queue.length) {
      const pid = queue.pop()!;
      for (const c of childrenOf(pid)) {
        if (!this.tracked.has(c)) {
          this.tracked.add(c);
          this.seen.add(c);
          queue.push(c);
        }
      }
    }
    if (this.#ticks % 12 === 0) this.#fullScan();
    let sum = 0;
    for (const pid of this.tracked) {
      const kb = rssKb(pid);
      if (kb === undefined) this.tracked.delete(pid);
      else sum += kb;
    }
    if (sum > this.peakKb) this.peakKb = sum;
  }

  #fullScan(): void {
    const map = parents();
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, ppid] of map) {
        if (!this.tracked.has(pid) && this.tracked.has(ppid)) {
          this.tracked.add(pid);
          this.seen.add(pid);
          grew = true;
        }
      }
    }
  }
}

export function runMeasured(
  command: string,
  args: readonly string[],
  options: MeasureOptions = {},
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const loadBefore = loadAverage()[0];
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) {
      child.once('error', reject);
      return;
    }
    const sampler = new TreeSampler(child.pid, options.intervalMs ?? 20);
    sampler.start();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 900_000);
    child.once('error', (e) => {
      sampler.stop();
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      sampler.stop();
      clearTimeout(timer);
      // Output may still be in the pipes; a detached grandchild (an ssh master) may hold them
      // open, so do not wait for 'close' longer than a moment.
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        resolve({
          code: code ?? (signal ? 128 : -1),
          stdout,
          stderr,
          seconds,
          peakMb: Math.round((sampler.peakKb / 1024) * 10) / 10,
          processes: sampler.seen.size,
          loadBefore,
          loadAfter: loadAverage()[0],
        });
      };
      const late = setTimeout(finish, 500);
      child.once('close', () => {
        clearTimeout(late);
        finish();
      });
    });
  });
}
