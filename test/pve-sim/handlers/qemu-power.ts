/**
 * status/start (qmstart), status/stop (qmstop), status/shutdown (qmshutdown) — all tasks; the
 * checks PVE makes inside vm_start/vm_stop happen in the task, so they fail the task, not the
 * request: "you can't start a vm if it's a template", "VM N is locked (…)", "VM N already
 * running", "PCI device mapping not found for 'x'", a cicustom snippet that is missing
 * (state/cloud-init.ts). Starting applies pending changes.
 * Shutdown: a guest that ignores ACPI (no OS up) times out unless forceStop=1 (simplified:
 * the timeout is 3 task steps, not `timeout` seconds).
 */
import type { SimCore } from '../core.js';
import { paramError } from '../http/errors.js';
import type { Router } from '../router.js';
import { checkSnippets } from '../state/cloud-init.js';
import { applyPendingOnStop, bootGuest, resetGuest } from '../state/guest.js';
import type { SimVm } from '../state/model.js';
import type { TaskContext } from '../state/tasks.js';
import { bool, checkLock, int, loadVm, nodeOrDie, str } from './common.js';

export async function startVm(sim: SimCore, vm: SimVm, t: TaskContext, skiplock = false): Promise<void> {
  await sim.locks.with(vm.vmid, 'exclusive', sim.timing.lockTimeoutMs.config, async () => {
    if (vm.template) throw new Error("you can't start a vm if it's a template");
    if (!skiplock) checkLock(vm);
    if (vm.status === 'running') throw new Error(`VM ${vm.vmid} already running`);
    for (const [k, v] of Object.entries(vm.config)) {
      const mapping = /^hostpci\d+$/.test(k) ? /(?:^|,)mapping=([^,]+)/.exec(v)?.[1] : undefined;
      if (!mapping) continue;
      const m = sim.state.mappings.get(mapping);
      if (!m || !m.map.some((e) => new RegExp(`(^|,)node=${vm.node}(,|$)`).test(e)))
        throw new Error(`PCI device mapping not found for '${mapping}'`);
    }
    applyPendingOnStop(vm);
    checkSnippets(sim, vm);
    await t.work(sim.timing.taskMs);
    vm.status = 'running';
    vm.startedAt = sim.clock.now();
    bootGuest(sim, vm);
  });
}

async function stopVm(
  sim: SimCore,
  vm: SimVm,
  t: TaskContext,
  shutdown: boolean,
  force: boolean,
  skiplock: boolean,
): Promise<void> {
  await sim.locks.with(vm.vmid, 'exclusive', sim.timing.lockTimeoutMs.config, async () => {
    if (!skiplock) checkLock(vm);
    if (vm.status !== 'running') return; // PVE: nothing to do
    if (shutdown && vm.guest.agentAt === undefined && !vm.guest.os) {
      await t.work(sim.timing.taskMs * 3);
      if (!force) throw new Error('VM quit/powerdown failed - got timeout');
      t.log('VM still running - terminating now with SIGTERM');
    } else {
      await t.work(sim.timing.taskMs * (shutdown ? 2 : 1));
    }
    vm.status = 'stopped';
    vm.startedAt = undefined;
    resetGuest(vm);
    applyPendingOnStop(vm);
  });
}

export function registerPower(router: Router): void {
  const rootOnly = (user: string, flag: boolean | undefined, name: string) => {
    if (flag && user !== 'root@pam') throw paramError({ [name]: 'Only root may use this option.' });
  };
  router.add('POST', '/nodes/{node}/qemu/{vmid}/status/start', (ctx) => {
    const node = nodeOrDie(ctx.sim, str(ctx, 'node'));
    const vm = loadVm(ctx.sim, int(ctx, 'vmid')!, node.name);
    rootOnly(ctx.user, bool(ctx, 'skiplock'), 'skiplock');
    return ctx.sim.tasks.start(node.name, 'qmstart', vm.vmid, ctx.user, (t) =>
      startVm(ctx.sim, vm, t, bool(ctx, 'skiplock')),
    );
  });
  router.add('POST', '/nodes/{node}/qemu/{vmid}/status/stop', (ctx) => {
    const node = nodeOrDie(ctx.sim, str(ctx, 'node'));
    const vm = loadVm(ctx.sim, int(ctx, 'vmid')!, node.name);
    rootOnly(ctx.user, bool(ctx, 'skiplock'), 'skiplock');
    return ctx.sim.tasks.start(node.name, 'qmstop', vm.vmid, ctx.user, (t) =>
      stopVm(ctx.sim, vm, t, false, true, !!bool(ctx, 'skiplock')),
    );
  });
  router.add('POST', '/nodes/{node}/qemu/{vmid}/status/shutdown', (ctx) => {
    const node = nodeOrDie(ctx.sim, str(ctx, 'node'));
    const vm = loadVm(ctx.sim, int(ctx, 'vmid')!, node.name);
    rootOnly(ctx.user, bool(ctx, 'skiplock'), 'skiplock');
    return ctx.sim.tasks.start(node.name, 'qmshutdown', vm.vmid, ctx.user, (t) =>
      stopVm(ctx.sim, vm, t, true, !!bool(ctx, 'forceStop'), !!bool(ctx, 'skiplock')),
    );
  });
}
