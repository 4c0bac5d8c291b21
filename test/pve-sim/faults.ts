/**
 * Faults on demand (`sim.faults`): slow tasks, failing tasks, lock contention, HTTP 500s and
 * dropped connections. Each fault matches by task type / vmid or by request method + path, and
 * most count down (`times`) so a retry after the fault can succeed, as after a real transient.
 */
export interface RequestMatch {
  method?: string;
  /** A substring of, or a RegExp over, the path below /api2/json (e.g. '/qemu/100/clone'). */
  path?: string | RegExp;
}

export interface PveSimFaults {
  /** Stretch task durations: ×factor, or a fixed duration; optionally only one task type (qmclone …). */
  slowTasks(options: { factor?: number; fixedMs?: number; type?: string }): void;
  /** The next `times` (default 1) matching tasks end with this exitstatus (PVE's error text). */
  failTask(options: { exitstatus: string; type?: string; vmid?: number; times?: number }): void;
  /**
   * Someone else holds VM `vmid` for `ms`: kind 'flock' holds the config-file lock (others wait,
   * then "can't lock file … got timeout"); kind 'config' sets `lock: <reason>` in its config
   * ("VM N is locked (<reason>)"), as a backup would.
   */
  lockVm(vmid: number, ms: number, options?: { kind?: 'flock' | 'config'; reason?: string }): Promise<void>;
  /** The next `times` matching requests get HTTP 500 `message`; by default before anything is done. */
  http500(match: RequestMatch, options?: { times?: number; message?: string; afterAction?: boolean }): void;
  /** The next `times` matching requests are acted on, then their connection is destroyed unanswered. */
  dropConnection(match: RequestMatch, options?: { times?: number }): void;
  /** Remove every fault. */
  clear(): void;
}

interface Counted<T> {
  spec: T;
  left: number;
}

export function matches(m: RequestMatch, method: string, path: string): boolean {
  if (m.method && m.method.toUpperCase() !== method) return false;
  if (m.path === undefined) return true;
  return typeof m.path === 'string' ? path.includes(m.path) : m.path.test(path);
}

export class FaultSet implements PveSimFaults {
  private slow: { factor?: number; fixedMs?: number; type?: string }[] = [];
  private failures: Counted<{ exitstatus: string; type?: string; vmid?: number }>[] = [];
  private errors: Counted<{ match: RequestMatch; message: string; afterAction: boolean }>[] = [];
  private drops: Counted<RequestMatch>[] = [];

  constructor(
    private readonly lockHook: (
      vmid: number,
      ms: number,
      kind: 'flock' | 'config',
      reason: string,
    ) => Promise<void>,
  ) {}

  slowTasks(options: { factor?: number; fixedMs?: number; type?: string }): void {
    this.slow.push(options);
  }

  failTask(options: { exitstatus: string; type?: string; vmid?: number; times?: number }): void {
    this.failures.push({ spec: options, left: options.times ?? 1 });
  }

  lockVm(
    vmid: number,
    ms: number,
    options: { kind?: 'flock' | 'config'; reason?: string } = {},
  ): Promise<void> {
    return this.lockHook(vmid, ms, options.kind ?? 'flock', options.reason ?? 'backup');
  }

  http500(
    match: RequestMatch,
    options: { times?: number; message?: string; afterAction?: boolean } = {},
  ): void {
    this.errors.push({
      spec: {
        match,
        message: options.message ?? 'simulated internal error',
        afterAction: !!options.afterAction,
      },
      left: options.times ?? 1,
    });
  }

  dropConnection(match: RequestMatch, options: { times?: number } = {}): void {
    this.drops.push({ spec: match, left: options.times ?? 1 });
  }

  clear(): void {
    this.slow = [];
    this.failures = [];
    this.errors = [];
    this.drops = [];
  }

  // ---- used by the simulator ----

  taskDuration(type: string, baseMs: number): number {
    let ms = baseMs;
    for (const s of this.slow) {
      if (s.type && s.type !== type) continue;
      if (s.fixedMs !== undefined) ms = s.fixedMs;
      if (s.factor !== undefined) ms *= s.factor;
    }
    return ms;
  }

  takeTaskFailure(type: string, id: string): string | undefined {
    const f = this.failures.find(
      (c) =>
        c.left > 0 &&
        (!c.spec.type || c.spec.type === type) &&
        (c.spec.vmid === undefined || String(c.spec.vmid) === id),
    );
    if (!f) return undefined;
    f.left--;
    return f.spec.exitstatus;
  }

  takeHttp500(method: string, path: string, phase: 'before' | 'after'): string | undefined {
    const f = this.errors.find(
      (c) => c.left > 0 && c.spec.afterAction === (phase === 'after') && matches(c.spec.match, method, path),
    );
    if (!f) return undefined;
    f.left--;
    return f.spec.message;
  }

  takeDrop(method: string, path: string): boolean {
    const f = this.drops.find((c) => c.left > 0 && matches(c.spec, method, path));
    if (!f) return false;
    f.left--;
    return true;
  }
}
