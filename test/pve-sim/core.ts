/**
 * The simulator's shared parts, handed to every handler: state, clock, locks, tasks, faults,
 * resolved timing options and the permission set of the API token.
 */
import type { ApiSchema } from './schema/load.js';
import { SimClock } from './state/clock.js';
import { ConfigLocks } from './state/locks.js';
import type { PveSimState } from './state/model.js';
import { TaskRunner } from './state/tasks.js';
import { FaultSet } from './faults.js';
import { die } from './http/errors.js';

export interface SimTiming {
  /** Base duration of a task step (create, start, clone …). */
  taskMs: number;
  /** How long a Windows install runs before the VM powers itself off. */
  windowsInstallMs: number;
  /** From start until a guest agent answers (Ubuntu cloud image, installed Windows). */
  bootMs: number;
  /** From start until the Windows ISO shows "Press any key to boot from CD or DVD". */
  bootPromptMs: number;
  /** How long that prompt waits for a key (real: about 5 s). */
  bootPromptWindowMs: number;
  /** qemu-server lock timeouts: lock_config 10 s, create 5 s, clone target / source 1 s. */
  lockTimeoutMs: { config: number; create: number; clone: number };
  /** Delay of every 401 (PVE: 3 s). */
  authFailureDelayMs: number;
}

export class SimCore {
  readonly clock = new SimClock();
  readonly locks = new ConfigLocks();
  readonly faults: FaultSet;
  readonly tasks: TaskRunner;
  /** Privileges of the API token; undefined = all (PVE's Administrator role). */
  tokenPrivileges: Set<string> | undefined;
  readonly permissionDenials: { user: string; method: string; path: string; detail: string }[] = [];

  constructor(
    readonly schema: ApiSchema,
    readonly state: PveSimState,
    readonly timing: SimTiming,
  ) {
    this.faults = new FaultSet((vmid, ms, kind, reason) => this.holdVm(vmid, ms, kind, reason));
    this.tasks = new TaskRunner(state.tasks, this.clock, this.faults, () => this.timing.taskMs);
  }

  hasPrivilege(user: string, priv: string): boolean {
    if (user === 'root@pam' || !user.includes('!')) return true;
    return !this.tokenPrivileges || this.tokenPrivileges.has(priv);
  }

  private async holdVm(vmid: number, ms: number, kind: 'flock' | 'config', reason: string): Promise<void> {
    if (kind === 'flock') {
      const release = await this.locks.acquire(vmid, 'exclusive', 60_000);
      setTimeout(release, ms);
      return;
    }
    const vm = this.state.vm(vmid);
    if (!vm) throw die(`Configuration file 'nodes/?/qemu-server/${vmid}.conf' does not exist`);
    vm.config.lock = reason;
    setTimeout(() => {
      if (vm.config.lock === reason) delete vm.config.lock;
    }, ms);
  }
}
