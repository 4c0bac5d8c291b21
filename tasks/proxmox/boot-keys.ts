/**
 * `pveBootKeys`: presses a key in a VM through the API while it boots, for the "Press any key to
 * boot from CD or DVD" of Microsoft's Windows ISO under UEFI. That prompt waits a few seconds,
 * then gives up and the install never starts; the API cannot see the screen, so, like Packer's
 * `boot_command` and quickemu (Enter five times, a second apart), the key is pressed once a
 * second for the first `windowS` seconds of the VM's uptime (`PUT …/sendkey`, needs VM.Console).
 * Enter is the key: the prompt takes any key, and once Setup runs from the answer file nothing
 * waits for one.
 *
 * The window is measured by the VM's own uptime (`status/current`), so a rerun does not press
 * keys into a VM that booted long ago, and a run that started the VM presses only while it may
 * still be at the prompt. An action (lib/action.ts): check mode reports the keys it would press.
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { convergeAction, type Action } from '../../lib/action.js';
import type { ClusterGuest, ProxmoxClient } from '../../lib/proxmox/index.js';
import { pveGet, pveWrite, sleep, vmPath } from '../../lib/proxmox/requests.js';
import { locateVm } from './vm.js';

export interface PveBootKeysOptions {
  client: ProxmoxClient;
  name: string;
  vmid?: number;
  /** Seconds of uptime during which keys are pressed. */
  windowS: number;
  /** QEMU's key name (default `ret`). */
  key?: string;
  log?(line: string): void;
}

interface BootState {
  guest: ClusterGuest | undefined;
  running: boolean;
  uptime: number;
}

const PRESS_EVERY_MS = 1000;

async function bootState(
  client: ProxmoxClient,
  guest: ClusterGuest,
): Promise<{ running: boolean; uptime: number }> {
  const s = await pveGet<{ status?: string; uptime?: number }>(
    client,
    vmPath(guest.node, guest.vmid, '/status/current'),
  );
  return { running: s?.status === 'running', uptime: s?.uptime ?? 0 };
}

export function pveBootKeysAction(o: PveBootKeysOptions): Action<BootState> {
  const key = o.key ?? 'ret';
  return {
    id: `vm ${o.name}`,
    async read() {
      const guest = await locateVm(o.client, o.name, o.vmid);
      if (!guest || guest.template) return { guest, running: false, uptime: 0 };
      return { guest, ...(await bootState(o.client, guest)) };
    },
    plan: ({ guest, running, uptime }) =>
      !guest || (running && uptime < o.windowS) ? [{ field: 'boot prompt', to: `key ${key}` }] : [],
    whyNot: ({ guest, running, uptime }) =>
      guest?.template
        ? `${o.name} is already a template`
        : !running
          ? `${o.name} is not running`
          : `${o.name} has been up ${uptime} s: past its boot prompt`,
    preview: () => `press ${key} in ${o.name} each second for its first ${o.windowS} s (boot prompt)`,
    apply: async (_host, { guest }) => {
      if (!guest) throw new Error(`${o.name}: no such VM in Proxmox`);
      let presses = 0;
      for (;;) {
        const s = await bootState(o.client, guest);
        if (!s.running || s.uptime >= o.windowS) break;
        await pveWrite(o.client, 'PUT', vmPath(guest.node, guest.vmid, '/sendkey'), { key });
        presses++;
        await sleep(PRESS_EVERY_MS);
      }
      o.log?.(`${o.name}: pressed ${key} ${presses} time(s) while it booted`);
      return {
        changed: presses > 0,
        changes: presses ? [`vm ${o.name}: ${key} pressed ${presses}× at the boot prompt`] : [],
      };
    },
  };
}

export function pveBootKeys(host: Host, o: PveBootKeysOptions): Promise<TaskOutcome> {
  return convergeAction(host, pveBootKeysAction(o));
}
