/**
 * `PUT {vmid}/sendkey` (qemu-server API2/Qemu.pm vm_sendkey → QemuServer vm_sendkey): under the
 * config lock, check_lock unless `skiplock` (root only), then QEMU's human-monitor `sendkey
 * <key>`; a stopped VM → "VM N not running". VM.Console is the schema's permission (checked by
 * the server). Returns null. What the key does is the guest's business (state/boot-prompt.ts).
 */
import { die, paramError } from '../http/errors.js';
import type { Router } from '../router.js';
import { keyPressed } from '../state/boot-prompt.js';
import { bool, checkLock, int, loadVm, nodeOrDie, str } from './common.js';

export function registerSendkey(router: Router): void {
  router.add('PUT', '/nodes/{node}/qemu/{vmid}/sendkey', (ctx) => {
    const { sim } = ctx;
    const node = nodeOrDie(sim, str(ctx, 'node'));
    const vmid = int(ctx, 'vmid')!;
    const skiplock = bool(ctx, 'skiplock');
    if (skiplock && ctx.user !== 'root@pam') throw paramError({ skiplock: 'Only root may use this option.' });
    return sim.locks.with(vmid, 'exclusive', sim.timing.lockTimeoutMs.config, () => {
      const vm = loadVm(sim, vmid, node.name);
      if (!skiplock) checkLock(vm);
      if (vm.status !== 'running') throw die(`VM ${vmid} not running`);
      keyPressed(sim, vm, str(ctx, 'key')!);
      return null;
    });
  });
}
