/**
 * Starting and stopping a VM through the API. A stop is a clean one: the guest is asked to shut
 * down (ACPI, or the guest agent when enabled) and forced off only after `shutdownTimeoutS`, as
 * Proxmox's own shutdown with `forceStop` does. Both wait for their task.
 */
import type { ClusterGuest } from './cluster.js';
import type { ProxmoxClient } from './client.js';
import { pveWrite, vmPath } from './requests.js';

export async function setPower(
  client: ProxmoxClient,
  guest: Pick<ClusterGuest, 'node' | 'vmid'>,
  state: 'running' | 'stopped',
  shutdownTimeoutS = 180,
): Promise<void> {
  if (state === 'running') {
    await pveWrite(client, 'POST', vmPath(guest.node, guest.vmid, '/status/start'));
    return;
  }
  await pveWrite(
    client,
    'POST',
    vmPath(guest.node, guest.vmid, '/status/shutdown'),
    { forceStop: 1, timeout: shutdownTimeoutS },
    { timeoutMs: (shutdownTimeoutS + 60) * 1000 },
  );
}
