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
import { defineRole, Type } from '../../lib/define.js';
import { pvePciMapping } from '../../tasks/proxmox/pci-mapping.js';
import {
  cloneAndPower,
  cloneConfig,
  cloneDefaults,
  cloneProperties,
  cloneRefs,
  pveSite,
  withProxmox,
} from '../proxmox-vm.js';

export const gpuVm = defineRole({
  name: 'gpu-vm',
  tags: ['proxmox', 'vms', 'gpu'],
  delegate: 'controller',
  vars: Type.Object({
    ...cloneProperties,
    gpu_mapping: Type.String({
      pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$',
      description: 'Id of the cluster PCI mapping for the GPU (e.g. rtx3090).',
    }),
    gpu_device: Type.String({
      pattern: '^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$',
      description: "The GPU's vendor:device id, e.g. 10de:2204 (RTX 3090); see lspci -nn.",
    }),
    gpu_address: Type.Optional(
      Type.String({
        pattern: '^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(\\.[0-7])?$',
        description: 'PCI address (0000:01:00) when the node has several such GPUs.',
      }),
    ),
    gpu_x_vga: Type.Optional(
      Type.Boolean({
        description:
          "Make the GPU the VM's primary display (x-vga=1). Default false: the console stays on the virtual display, desktops use RDP.",
      }),
    ),
  }),
  hostRefs: cloneRefs,
  defaults: { ...cloneDefaults, vm_memory: 16384, gpu_x_vga: false },
  async apply(ctx) {
    const { vars, inventoryHost: name, host, task } = ctx;
    const site = pveSite(ctx.hostVarsOf('pve_host'), ctx.vars.pve_host);
    const template = ctx.hostVarsOf('vm_template');
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
      await cloneAndPower(ctx, {
        client,
        site,
        template,
        node,
        what: ' with the GPU',
        config: {
          ...base,
          options: {
            ...base.options,
            machine: 'q35',
            bios: 'ovmf',
            cpu: 'host',
            balloon: 0,
            hostpci0: `mapping=${vars.gpu_mapping},pcie=1${vars.gpu_x_vga ? ',x-vga=1' : ''}`,
          },
          disks: {
            ...base.disks,
            efidisk0: {
              storage: vars.vm_storage ?? site.vmStorage,
              options: { efitype: '4m', 'pre-enrolled-keys': 1 },
            },
          },
        },
      });
    });
  },
});
