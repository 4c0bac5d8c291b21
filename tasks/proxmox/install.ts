/**
 * `pveWaitInstall`: waits until an unattended OS install in a VM has finished. NovaStation's
 * Windows answer file ends with a shutdown, so the signal is the VM powering itself off; an
 * answer file that leaves Windows running is recognised too, by the guest agent (installed by
 * the answer file's last logon command) reporting Windows — the VM is then shut down cleanly.
 *
 * A VM that is already off (or already a template) has finished: the install VM is created and
 * started in one request (`start: 1`), so an existing VM that is off has run its install. This is
 * a wait, not a change of state: an action (lib/action.ts), so in check mode it reports the wait
 * it would do and does not wait.
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { convergeAction, type Action } from '../../lib/action.js';
import { ProxmoxApiError, type ClusterGuest, type ProxmoxClient } from '../../lib/proxmox/index.js';
import { pollUntil, pveGet, vmPath } from '../../lib/proxmox/requests.js';
import { setPower } from './power.js';
import { locateVm } from './vm.js';

export interface PveWaitInstallOptions {
  client: ProxmoxClient;
  name: string;
  vmid?: number;
  /**
   * The guest agent's OS id that means "installed" (`mswindows`, `ubuntu`); without it only the
   * VM powering itself off counts (a Windows clone's first boot: its agent may answer in OOBE).
   */
  osId?: string;
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

interface InstallState {
  guest: ClusterGuest | undefined;
  running: boolean;
}

/**
 * The wait as an action of lib/action.ts: read where the VM is and whether it runs, plan a wait
 * only while it runs (or before it exists), and let `convergeAction` decide check mode — it
 * reports the wait it would do and never waits.
 */
export function pveWaitInstallAction(o: PveWaitInstallOptions): Action<InstallState> {
  return {
    id: `vm ${o.name}`,
    async read() {
      const guest = await locateVm(o.client, o.name, o.vmid);
      if (!guest || guest.template) return { guest, running: false };
      const s = await pveGet<{ status?: string }>(
        o.client,
        vmPath(guest.node, guest.vmid, '/status/current'),
      );
      return { guest, running: s?.status === 'running' };
    },
    plan: ({ guest, running }) => (!guest || running ? [{ field: 'install', to: 'finished' }] : []),
    whyNot: ({ guest }) =>
      guest?.template
        ? `${o.name} is already a template`
        : `${o.name} is powered off: its install has finished`,
    preview: ({ guest }) =>
      guest
        ? `wait for the install in ${o.name} to finish`
        : `wait for the install in ${o.name}, which does not exist yet`,
    apply: (_host, { guest }) => {
      if (!guest) throw new Error(`${o.name}: no such VM in Proxmox`);
      return waitForInstall(o, guest);
    },
  };
}

export function pveWaitInstall(host: Host, o: PveWaitInstallOptions): Promise<TaskOutcome> {
  return convergeAction(host, pveWaitInstallAction(o));
}

async function waitForInstall(o: PveWaitInstallOptions, guest: ClusterGuest): Promise<TaskOutcome> {
  const status = async () =>
    (await pveGet<{ status?: string; agent?: number }>(
      o.client,
      vmPath(guest.node, guest.vmid, '/status/current'),
    )) ?? {};
  o.log?.(
    `${o.name}: waiting for the unattended install to finish (up to ${Math.round(o.timeoutMs / 60_000)} min)`,
  );
  const started = Date.now();
  const how = await pollUntil<'powered off' | 'agent'>(
    async () => {
      const s = await status();
      if (s.status !== 'running') return 'powered off';
      if (o.osId && s.agent && (await agentOs(o.client, guest.node, guest.vmid)) === o.osId) return 'agent';
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
