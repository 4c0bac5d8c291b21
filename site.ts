/**
 * The NovaStation site: every role over the inventory (inventory/site.yml by default).
 * Run it whole (`npx playbook site.ts`) or one role at a time (`npx playbook site.ts --role dev-vm`).
 * Plays run in the order a new site needs them: the Proxmox server itself (IOMMU, vfio, the API
 * token), the VM templates, the VMs cloned from them (the development VMs, then the GPU VM), the
 * baseline on every Linux host, the guests' desktops (xrdp on the Ubuntu VMs, RDP with NLA on the
 * Windows VMs, through the guest agent), then the gateway: Guacamole, and nginx in front of it.
 * A VM's play reads its Proxmox server's variables through `hostRefs` (`pve_host: pve1`), so
 * `--limit vm-dev-01` works without the server in the limit.
 */
import { definePlaybook } from 'novastation';
import {
  base,
  devVm,
  gpuVm,
  guacamole,
  nginx,
  proxmoxHost,
  ubuntuDev,
  vmTemplate,
  windowsRdp,
} from 'novastation/roles';

export default definePlaybook({
  name: 'NovaStation site',
  plays: [
    { name: 'Proxmox VE host: IOMMU, vfio and the API token', hosts: 'proxmox', roles: [proxmoxHost] },
    { name: 'VM templates on Proxmox VE', hosts: 'vm_templates', roles: [vmTemplate] },
    { name: 'development VMs', hosts: 'dev_vms', roles: [devVm] },
    { name: 'GPU VM', hosts: 'gpu_vms', roles: [gpuVm] },
    { name: 'baseline on every Linux host', hosts: 'linux', roles: [base] },
    { name: 'Ubuntu VMs: XFCE desktop over RDP for their users', hosts: 'ubuntu_vms', roles: [ubuntuDev] },
    { name: 'Windows VMs: RDP with NLA for their users', hosts: 'windows_vms', roles: [windowsRdp] },
    { name: 'Guacamole on the gateway', hosts: 'gateway', roles: [guacamole] },
    { name: 'HTTPS front door of Guacamole', hosts: 'gateway', roles: [nginx] },
  ],
});
