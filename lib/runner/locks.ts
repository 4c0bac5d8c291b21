/**
 * Run-wide named locks and throttles for work that must not overlap across hosts (clones of one
 * template on one Proxmox node, a role with `throttle: 2`). In-process: all hosts of a run are
 * driven by this one process.
 */

export class Semaphore {
  #free: number;
  #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = Math.max(1, size);
  }
  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

export class NamedLocks {
  #locks = new Map<string, Semaphore>();
  /** Hold the lock `name` (capacity `size`, 1 = mutual exclusion) while `fn` runs. */
  with<T>(name: string, fn: () => Promise<T>, size = 1): Promise<T> {
    let lock = this.#locks.get(name);
    if (!lock) this.#locks.set(name, (lock = new Semaphore(size)));
    return lock.use(fn);
  }
}
