/**
 * `pveVmPower`: a VM running or stopped. Starting waits for the start task; stopping asks the
 * guest to shut down (ACPI, or the guest agent when enabled) and forces it off only after
 * `shutdownTimeoutS`, as Proxmox's own shutdown with `forceStop` does. A template has no power
 * state and is refused. In check mode a VM that does not exist yet (its create is only planned)
 * is reported as what would happen to it.
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import type { ClusterGuest, ProxmoxClient } from '../../lib/proxmox/index.js';
import { converge, type Resource } from '../../lib/resource.js';
import { setPower } from '../../lib/proxmox/power.js';
import { pveGet, vmPath } from '../../lib/proxmox/requests.js';
import { locateVm, waitUnlocked } from './vm.js';

export { setPower };

export interface PveVmPowerOptions {
  client: ProxmoxClient;
  name: string;
  vmid?: number;
  state: 'running' | 'stopped';
  /** Seconds the guest gets to shut down before it is forced off (default 180). */
  shutdownTimeoutS?: number;
  log?(line: string): void;
}

export interface PowerState {
  guest?: ClusterGuest;
  status?: string;
}

export async function readPower(
  client: ProxmoxClient,
  name: string,
  vmid?: number,
  log?: (line: string) => void,
): Promise<PowerState> {
  const guest = await locateVm(client, name, vmid);
  if (!guest) return {};
  await waitUnlocked(client, guest, 30 * 60_000, log);
  const current = await pveGet<{ status?: string }>(
    client,
    vmPath(guest.node, guest.vmid, '/status/current'),
  );
  return { guest, status: current?.status ?? 'unknown' };
}

export function pveVmPowerResource(o: PveVmPowerOptions): Resource<PowerState> {
  return {
    id: `vm ${o.name}`,
    read: () => readPower(o.client, o.name, o.vmid, o.log),
    plan(current) {
      // A VM not created yet (check mode) will be created stopped.
      if (!current.guest)
        return o.state === 'stopped' ? [] : [{ field: 'power', from: 'absent', to: o.state }];
      if (current.guest.template) throw new Error(`${o.name} is a template: it cannot be ${o.state}`);
      return current.status === o.state ? [] : [{ field: 'power', from: current.status!, to: o.state }];
    },
    async apply(_host, current) {
      if (!current.guest) throw new Error(`${o.name}: no such VM in Proxmox`);
      await setPower(o.client, current.guest, o.state, o.shutdownTimeoutS);
    },
  };
}

/**
 * @example
 * await pveVmPower(ctx.host, { client, name: 'vm-dev-01', state: 'running' });
 */
export function pveVmPower(host: Host, options: PveVmPowerOptions): Promise<TaskOutcome> {
  return converge(host, pveVmPowerResource(options));
}
