/**
 * The NovaStation site: every role over the inventory (inventory/site.yml by default).
 * Run it whole (`npx playbook site.ts`) or one role at a time (`npx playbook site.ts --role dev-vm`).
 * Plays run in order: the Proxmox VM templates, the VMs cloned from them (the development VMs,
 * then the GPU VM), RDP for the Windows VMs' users (through the guest agent), then the baseline
 * on every Linux host. Later issues add the Guacamole and Nginx plays here.
 */
import { definePlaybook } from 'novastation';
import { base, devVm, gpuVm, vmTemplate, windowsRdp } from 'novastation/roles';

export default definePlaybook({
  name: 'NovaStation site',
  plays: [
    { name: 'VM templates on Proxmox VE', hosts: 'vm_templates', roles: [vmTemplate] },
    { name: 'development VMs', hosts: 'dev_vms', roles: [devVm] },
    { name: 'GPU VM', hosts: 'gpu_vms', roles: [gpuVm] },
    { name: 'Windows VMs: RDP with NLA for their users', hosts: 'windows_vms', roles: [windowsRdp] },
    {
      name: 'baseline on every Linux host',
      hosts: 'linux',
      roles: [base],
    },
  ],
});
