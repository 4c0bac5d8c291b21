/**
 * The guest agent endpoints (qemu-server API2/Qemu/Agent.pm): ping, exec, exec-status,
 * network-get-interfaces, get-osinfo and the generic POST {vmid}/agent. The agent answers only
 * when `agent` is enabled, the VM runs and its OS is up (state/guest.ts), else 500
 * "QEMU guest agent is not running" (or "No QEMU guest agent configured", "VM N is not running").
 * exec runs `sim.state.guestExec` when a test set it, else the scripted Windows guest
 * (state/windows.ts) in a Windows VM, else exits 0 with no output; exec-status reports it exited
 * `taskMs` later.
 */
import { die } from '../http/errors.js';
import type { HandlerContext, Router } from '../router.js';
import { assertAgent, interfaces, osInfo } from '../state/guest.js';
import { windowsExec } from '../state/windows.js';
import { int, loadVm, str } from './common.js';

function agentVm(ctx: HandlerContext) {
  const vm = loadVm(ctx.sim, int(ctx, 'vmid')!, str(ctx, 'node')!);
  assertAgent(ctx.sim, vm);
  return vm;
}

const simple: Record<string, (vm: ReturnType<typeof agentVm>) => unknown> = {
  ping: () => ({}),
  'get-osinfo': (vm) => osInfo(vm),
  'network-get-interfaces': (vm) => interfaces(vm),
};

export function registerAgent(router: Router): void {
  router.add('POST', '/nodes/{node}/qemu/{vmid}/agent/ping', (ctx) => ({
    result: simple.ping!(agentVm(ctx)),
  }));
  router.add('GET', '/nodes/{node}/qemu/{vmid}/agent/get-osinfo', (ctx) => ({
    result: simple['get-osinfo']!(agentVm(ctx)),
  }));
  router.add('GET', '/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces', (ctx) => ({
    result: simple['network-get-interfaces']!(agentVm(ctx)),
  }));
  router.add('POST', '/nodes/{node}/qemu/{vmid}/agent', (ctx) => {
    const vm = agentVm(ctx);
    const fn = simple[str(ctx, 'command')!];
    if (!fn) throw die(`Agent error: command '${str(ctx, 'command')}' is not modelled by pve-sim`);
    return { result: fn(vm) };
  });
  router.add('POST', '/nodes/{node}/qemu/{vmid}/agent/exec', (ctx) => {
    const vm = agentVm(ctx);
    const raw = ctx.params.command;
    const command = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    const input = str(ctx, 'input-data');
    if (!command.length && input === undefined) throw die('command or input-data (or both) required');
    const { state } = ctx.sim;
    const result = state.guestExec
      ? state.guestExec(vm, command, input)
      : vm.guest.os === 'windows'
        ? windowsExec(ctx.sim, vm, command.map(String), input, state.windowsViolations)
        : { exitcode: 0 };
    const pid = vm.guest.nextPid++;
    vm.guest.execs.set(pid, {
      pid,
      command,
      doneAt: ctx.sim.clock.now() + ctx.sim.timing.taskMs,
      exitcode: result.exitcode,
      out: result.out ?? '',
      err: result.err ?? '',
    });
    return { pid };
  });
  router.add('GET', '/nodes/{node}/qemu/{vmid}/agent/exec-status', (ctx) => {
    const vm = agentVm(ctx);
    const rec = vm.guest.execs.get(int(ctx, 'pid')!);
    if (!rec) throw die(`Agent error: Invalid parameter 'pid'`);
    if (ctx.sim.clock.now() < rec.doneAt) return { exited: 0 };
    return {
      exited: 1,
      exitcode: rec.exitcode,
      ...(rec.out ? { 'out-data': rec.out } : {}),
      ...(rec.err ? { 'err-data': rec.err } : {}),
    };
  });
}
