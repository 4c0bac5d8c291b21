/**
 * `gpu-vm`: the GPU VM (vm-gpu-01), a clone like `dev-vm` with a GPU passed through:
 *
 * 1. a cluster PCI mapping (`gpu_mapping`) for the GPU the node reports (`gpu_device`,
 *    vendor:device), covering all its functions (the GPU and its HDMI audio): an API token
 *    cannot put a raw PCI address in a VM's config (only root@pam can), but may use a mapping;
 * 2. the VM: cloned if missing, with what passthrough needs — q35, OVMF with an EFI disk,
 *    `cpu: host`, ballooning off (the GPU DMA-maps all guest memory), and
 *    `hostpci0: mapping=<id>,pcie=1[,x-vga=1]` — plus the clone settings of dev-vm;
 * 3. its power state.
 */
import { defineRole } from '../../lib/define.js';
import { pvePciMapping } from '../../tasks/proxmox/pci-mapping.js';
import { pveVmPower } from '../../tasks/proxmox/power.js';
import { pveVm } from '../../tasks/proxmox/vm.js';
import {
  cloneConfig,
  cloneDefaults,
  cloneProperties,
  pveHostVarsSchema,
  pveSite,
  templateRefSchema,
  withProxmox,
  type CloneVars,
  type PveHostVars,
  type TemplateRef,
} from '../proxmox-vm.js';

export interface GpuVmVars extends CloneVars {
  gpu_mapping: string;
  gpu_device: string;
  gpu_address?: string;
  gpu_x_vga: boolean;
}

export const gpuVm = defineRole<GpuVmVars>({
  name: 'gpu-vm',
  tags: ['proxmox', 'vms', 'gpu'],
  delegate: 'controller',
  vars: {
    type: 'object',
    properties: {
      ...cloneProperties,
      gpu_mapping: {
        type: 'string',
        pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$',
        description: 'Id of the cluster PCI mapping for the GPU (e.g. rtx3090).',
      },
      gpu_device: {
        type: 'string',
        pattern: '^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$',
        description: "The GPU's vendor:device id, e.g. 10de:2204 (RTX 3090); see lspci -nn.",
      },
      gpu_address: {
        type: 'string',
        pattern: '^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(\\.[0-7])?$',
        description: 'PCI address (0000:01:00) when the node has several such GPUs.',
      },
      gpu_x_vga: {
        type: 'boolean',
        description:
          "Make the GPU the VM's primary display (x-vga=1). Default false: the console stays on the virtual display, desktops use RDP.",
      },
    },
    required: ['pve_host', 'vm_template', 'gpu_mapping', 'gpu_device'],
  },
  hostRefs: { pve_host: pveHostVarsSchema, vm_template: templateRefSchema },
  defaults: { ...cloneDefaults, vm_memory: 16384, gpu_x_vga: false },
  async apply(ctx) {
    const { vars, inventoryHost: name, host, task } = ctx;
    const site = pveSite(ctx.hostVarsOf<PveHostVars>(vars.pve_host));
    const template = ctx.hostVarsOf<TemplateRef>(vars.vm_template);
    const node = vars.vm_node ?? site.node;
    await withProxmox(site, ctx.log, async (client) => {
      await task(`PCI mapping ${vars.gpu_mapping}`, () =>
        pvePciMapping(host, {
          client,
          id: vars.gpu_mapping,
          node,
          device: vars.gpu_device,
          ...(vars.gpu_address ? { address: vars.gpu_address } : {}),
          description: `GPU of ${name}`,
        }),
      );

      const base = cloneConfig(vars, site, template.vm_os);
      const hostpci = `mapping=${vars.gpu_mapping},pcie=1${vars.gpu_x_vga ? ',x-vga=1' : ''}`;
      const vmid = vars.vm_id;
      await task(`${vars.vm_clone} clone of ${vars.vm_template} with the GPU`, () =>
        pveVm(host, {
          client,
          name,
          ...(vmid !== undefined ? { vmid } : {}),
          node,
          source: {
            clone: {
              template: vars.vm_template,
              ...(template.vm_id ? { templateVmid: template.vm_id } : {}),
              full: vars.vm_clone === 'full',
              ...(vars.vm_clone === 'full' ? { storage: vars.vm_storage ?? site.vmStorage } : {}),
            },
          },
          config: {
            ...base,
            options: {
              ...base.options,
              machine: 'q35',
              bios: 'ovmf',
              cpu: 'host',
              balloon: 0,
              hostpci0: hostpci,
            },
            disks: {
              ...base.disks,
              efidisk0: {
                storage: vars.vm_storage ?? site.vmStorage,
                options: { efitype: '4m', 'pre-enrolled-keys': 1 },
              },
            },
          },
          allowUnsafe: vars.vm_allow_unsafe,
          lock: ctx.lock,
          vmidLock: `vmid:${vars.pve_host}`,
          log: ctx.log,
        }),
      );
      await task(`power ${vars.vm_power}`, () =>
        pveVmPower(host, {
          client,
          name,
          ...(vmid !== undefined ? { vmid } : {}),
          state: vars.vm_power,
          log: ctx.log,
        }),
      );
    });
  },
});
