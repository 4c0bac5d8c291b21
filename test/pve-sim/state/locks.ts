/**
 * The per-VM config-file locks of qemu-server (`/var/lock/qemu-server/lock-<vmid>.conf`, flock):
 * exclusive (lock_config / lock_config_full) or shared (lock_config_shared, e.g. the source of a
 * clone of a stopped VM), each with a timeout after which PVE dies with
 * "can't lock file '/var/lock/qemu-server/lock-N.conf' - got timeout" (pve-common Tools.pm
 * lock_file_full). Timeouts as in qemu-server: 10 s default, 5 s create, 1 s clone target.
 */
import { die } from '../http/errors.js';

interface Held {
  exclusive: number; // 0 or 1
  shared: number;
}

export const lockPath = (vmid: number) => `/var/lock/qemu-server/lock-${vmid}.conf`;

export class ConfigLocks {
  private readonly held = new Map<number, Held>();
  private waiters: Array<() => void> = [];

  private state(vmid: number): Held {
    let h = this.held.get(vmid);
    if (!h) this.held.set(vmid, (h = { exclusive: 0, shared: 0 }));
    return h;
  }

  isHeld(vmid: number): boolean {
    const h = this.held.get(vmid);
    return !!h && (h.exclusive > 0 || h.shared > 0);
  }

  /** Takes the lock or rejects with PVE's timeout error (a 500 in a handler, a task error in a worker). */
  async acquire(vmid: number, mode: 'exclusive' | 'shared', timeoutMs: number): Promise<() => void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const h = this.state(vmid);
      const free = mode === 'exclusive' ? h.exclusive === 0 && h.shared === 0 : h.exclusive === 0;
      if (free) {
        if (mode === 'exclusive') h.exclusive = 1;
        else h.shared++;
        let released = false;
        return () => {
          if (released) return;
          released = true;
          if (mode === 'exclusive') h.exclusive = 0;
          else h.shared--;
          const w = this.waiters;
          this.waiters = [];
          w.forEach((f) => f());
        };
      }
      const left = deadline - Date.now();
      if (left <= 0) throw die(`can't lock file '${lockPath(vmid)}' - got timeout`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Runs `fn` under the lock, releasing it afterwards. */
  async with<T>(
    vmid: number,
    mode: 'exclusive' | 'shared',
    timeoutMs: number,
    fn: () => Promise<T> | T,
  ): Promise<T> {
    const release = await this.acquire(vmid, mode, timeoutMs);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
