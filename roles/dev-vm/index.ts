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
import {
  cloneAndPower,
  cloneConfig,
  cloneDefaults,
  CloneVarsSchema,
  cloneRefs,
  pveSite,
  withProxmox,
} from '../proxmox-vm.js';

export const devVm = defineRole({
  name: 'dev-vm',
  tags: ['proxmox', 'vms'],
  delegate: 'controller',
  vars: CloneVarsSchema,
  hostRefs: cloneRefs,
  defaults: cloneDefaults,
  async apply(ctx) {
    const site = pveSite(ctx.hostVarsOf('pve_host'), ctx.vars.pve_host);
    const template = ctx.hostVarsOf('vm_template');
    await withProxmox(site, ctx.log, (client) =>
      cloneAndPower(ctx, {
        client,
        site,
        template,
        node: ctx.vars.vm_node ?? site.node,
        config: cloneConfig(ctx.vars, site, template.vm_os),
      }),
    );
  },
});
