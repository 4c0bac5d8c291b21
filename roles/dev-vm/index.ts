/**
 * `dev-vm`: a development VM (vm-dev-XX) cloned from a template, on the Proxmox server its
 * `pve_host` names — the Terraform-style "declare it, the tool makes it so", with Proxmox's API:
 *
 * 1. the VM: cloned (full or linked) if missing; CPU, memory, system disk size, first NIC and,
 *    for Ubuntu, cloud-init user, SSH keys and IP config brought to the declared values
 *    (drift corrected with one config change; unsafe changes refused unless vm_allow_unsafe);
 * 2. its power state: started (or shut down) as declared.
 *
 * Runs on the controller for each VM host (`delegate: 'controller'`); clones of one template
 * are serialised (tasks/proxmox/vm.ts).
 */
import { defineRole } from '../../lib/define.js';
import { pveVm } from '../../tasks/proxmox/vm.js';
import { pveVmPower } from '../../tasks/proxmox/power.js';
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

export const devVm = defineRole<CloneVars>({
  name: 'dev-vm',
  tags: ['proxmox', 'vms'],
  delegate: 'controller',
  vars: { type: 'object', properties: cloneProperties, required: ['pve_host', 'vm_template'] },
  hostRefs: { pve_host: pveHostVarsSchema, vm_template: templateRefSchema },
  defaults: cloneDefaults,
  async apply(ctx) {
    const { vars, inventoryHost: name, host, task } = ctx;
    const site = pveSite(ctx.hostVarsOf<PveHostVars>(vars.pve_host));
    const template = ctx.hostVarsOf<TemplateRef>(vars.vm_template);
    await withProxmox(site, ctx.log, async (client) => {
      const vmid = vars.vm_id;
      await task(`${vars.vm_clone} clone of ${vars.vm_template}`, () =>
        pveVm(host, {
          client,
          name,
          ...(vmid !== undefined ? { vmid } : {}),
          node: vars.vm_node ?? site.node,
          source: {
            clone: {
              template: vars.vm_template,
              ...(template.vm_id ? { templateVmid: template.vm_id } : {}),
              full: vars.vm_clone === 'full',
              ...(vars.vm_clone === 'full' ? { storage: vars.vm_storage ?? site.vmStorage } : {}),
            },
          },
          config: cloneConfig(vars, site, template.vm_os),
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
