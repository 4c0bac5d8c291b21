/**
 * `pveWaitInstall`: waits until an unattended OS install in a VM has finished. NovaStation's
 * Windows answer file ends with a shutdown, so the signal is the VM powering itself off; an
 * answer file that leaves Windows running is recognised too, by the guest agent (installed by
 * the answer file's last logon command) reporting Windows — the VM is then shut down cleanly.
 *
 * A VM that is already off (or already a template) has finished: the install VM is created and
 * started in one request (`start: 1`), so an existing VM that is off has run its install. This is
 * a wait, not a change of state: in check mode it does not wait.
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { ProxmoxApiError, type ProxmoxClient } from '../../lib/proxmox/index.js';
import { pollUntil, pveGet, vmPath } from '../../lib/proxmox/requests.js';
import { setPower } from './power.js';
import { locateVm } from './vm.js';

export interface PveWaitInstallOptions {
  client: ProxmoxClient;
  name: string;
  vmid?: number;
  /** The guest agent's OS id that means "installed" (`mswindows`, `ubuntu`). */
  osId: string;
  timeoutMs: number;
  log?(line: string): void;
}

async function agentOs(client: ProxmoxClient, node: string, vmid: number): Promise<string | undefined> {
  try {
    const info = await pveGet<{ result?: { id?: string } }>(client, vmPath(node, vmid, '/agent/get-osinfo'));
    return info?.result?.id;
  } catch (error) {
    // "QEMU guest agent is not running" and the like: setup is still going.
    if (error instanceof ProxmoxApiError && error.status === 500) return undefined;
    throw error;
  }
}

export async function pveWaitInstall(host: Host, o: PveWaitInstallOptions): Promise<TaskOutcome> {
  const guest = await locateVm(o.client, o.name, o.vmid);
  if (!guest) {
    if (host.check)
      return {
        changed: false,
        skipped: true,
        message: `check mode: ${o.name} does not exist yet; its install would be waited for`,
      };
    throw new Error(`${o.name}: no such VM in Proxmox`);
  }
  if (guest.template) return { changed: false, message: `${o.name} is already a template` };
  const status = async () =>
    (await pveGet<{ status?: string; agent?: number }>(
      o.client,
      vmPath(guest.node, guest.vmid, '/status/current'),
    )) ?? {};
  if ((await status()).status !== 'running')
    return { changed: false, message: `${o.name} is powered off: its install has finished` };
  if (host.check)
    return {
      changed: false,
      skipped: true,
      message: `check mode: would wait for the install in ${o.name} to finish`,
    };

  o.log?.(
    `${o.name}: waiting for the unattended install to finish (up to ${Math.round(o.timeoutMs / 60_000)} min)`,
  );
  const started = Date.now();
  const how = await pollUntil<'powered off' | 'agent'>(
    async () => {
      const s = await status();
      if (s.status !== 'running') return 'powered off';
      if (s.agent && (await agentOs(o.client, guest.node, guest.vmid)) === o.osId) return 'agent';
      return undefined;
    },
    {
      timeoutMs: o.timeoutMs,
      maxDelayMs: 10_000,
      onTimeout: () =>
        new Error(
          `${o.name}: the install has not finished after ${Math.round(o.timeoutMs / 60_000)} min (see the VM's console in Proxmox)`,
        ),
    },
  );
  if (how === 'agent') await setPower(o.client, guest, 'stopped');
  const took = Math.round((Date.now() - started) / 1000);
  return {
    changed: true,
    changes: [
      `vm ${o.name}: install finished (${how === 'agent' ? `the guest agent reports ${o.osId}; shut down` : 'it powered itself off'}) after ${took} s`,
    ],
  };
}
