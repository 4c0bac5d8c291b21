/**
 * `pveTemplate`: a VM converted to a template (`POST …/template`, a task in current Proxmox).
 * Proxmox refuses to convert a running VM, so a running one is shut down first. Converting is
 * one-way: a template is never turned back into a VM here.
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import type { ProxmoxClient } from '../../lib/proxmox/index.js';
import { converge, type Resource } from '../../lib/resource.js';
import { pveWrite, vmPath } from '../../lib/proxmox/requests.js';
import { readPower, setPower, type PowerState } from './power.js';

export interface PveTemplateOptions {
  client: ProxmoxClient;
  name: string;
  vmid?: number;
  log?(line: string): void;
}

export function pveTemplateResource(o: PveTemplateOptions): Resource<PowerState> {
  return {
    id: `vm ${o.name}`,
    read: () => readPower(o.client, o.name, o.vmid, o.log),
    plan(current) {
      if (!current.guest) return [{ field: 'template', from: 'absent', to: 'converted' }];
      return current.guest.template
        ? []
        : [{ field: 'template', from: `VM (${current.status})`, to: 'template' }];
    },
    async apply(_host, current) {
      const guest = current.guest;
      if (!guest) throw new Error(`${o.name}: no such VM in Proxmox`);
      if (current.status === 'running') await setPower(o.client, guest, 'stopped');
      await pveWrite(o.client, 'POST', vmPath(guest.node, guest.vmid, '/template'));
    },
  };
}

/**
 * @example
 * await pveTemplate(ctx.host, { client, name: 'tpl-ubuntu-2204' });
 */
export function pveTemplate(host: Host, options: PveTemplateOptions): Promise<TaskOutcome> {
  return converge(host, pveTemplateResource(options));
}
