/**
 * What goes wrong on a real Proxmox, made to happen in the simulator: slow tasks, a template
 * locked by a backup, a config lock held by someone else, and the CLI killed (SIGKILL) right
 * after a create or a clone request reached the server. Each ends with the whole site converged,
 * every VM exactly once, and every request valid against Proxmox's schema.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { changedTasks, runKilledAt, startSite, summary, VM_NAMES, vmsByName, type Site } from './support.js';

let site: Site | undefined;
afterEach(async () => {
  if (!site) return;
  expect(site.sim.violations, 'every request passes the PVE schema check').toEqual([]);
  expect(site.sim.unhandled, 'only endpoints the simulator implements').toEqual([]);
  await site.close();
  site = undefined;
});

function expectEachVmOnce(s: Site): void {
  const byName = vmsByName(s.sim);
  expect([...byName.keys()].sort()).toEqual([...VM_NAMES].sort());
  for (const [name, vms] of byName) expect(vms, name).toHaveLength(1);
  expect([...s.sim.state.vms.values()].filter((vm) => vm.lock)).toEqual([]);
}

describe('faults on the Proxmox side', () => {
  it('survives slow tasks, a template locked by a backup, a clone that cannot get its lock, and a held config lock', async () => {
    site = await startSite();
    const s = site;
    s.sim.faults.slowTasks({ factor: 3 });
    let backup = false;
    let flock = false;
    s.sim.onRequest((q) => {
      // The first clone of each template meets a lock, taken just before the request is handled.
      if (q.method === 'POST' && q.path === '/nodes/pve1/qemu/9000/clone' && !backup) {
        backup = true;
        void s.sim.faults.lockVm(9000, 1200, { kind: 'config', reason: 'backup' }); // "VM 9000 is locked (backup)"
      }
      if (q.method === 'POST' && q.path === '/nodes/pve1/qemu/9001/clone' && !flock) {
        flock = true;
        void s.sim.faults.lockVm(9001, 1500, { kind: 'flock' }); // the clone task: "can't lock file … got timeout"
      }
    });
    const r = await s.run();
    expect(r.code, summary(r)).toBe(0);
    expect(backup && flock).toBe(true);
    expectEachVmOnce(s);
    // The faults really bit: a 500 answered to a clone, a clone task that failed on its lock.
    expect(s.sim.requests.some((q) => q.status === 500 && q.path.endsWith('/clone'))).toBe(true);
    expect(
      [...s.sim.state.tasks.values()].some(
        (t) => t.type === 'qmclone' && /got timeout/.test(t.exitstatus ?? ''),
      ),
    ).toBe(true);

    // Drift fixed while another process holds the VM's config lock for a while.
    s.sim.state.vms.get(2001)!.config.cores = '2';
    void s.sim.faults.lockVm(2001, 800, { kind: 'flock' });
    const fix = await s.run(['--limit', 'vm-dev-01']);
    expect(fix.code, summary(fix)).toBe(0);
    expect(s.sim.state.vms.get(2001)!.effectiveConfig().cores).toBe('4');
  });

  it('the CLI killed right after a create, then right after a clone: the reruns finish without a duplicate or a lost VM', async () => {
    site = await startSite();
    const s = site;
    // Long enough that the killed run's VM is still being made when the rerun looks for it.
    s.sim.faults.slowTasks({ factor: 20, type: 'qmcreate' });
    s.sim.faults.slowTasks({ factor: 20, type: 'qmclone' });
    const isCreate = (q: { method: string; path: string }) =>
      q.method === 'POST' && q.path === '/nodes/pve1/qemu';
    const isClone = (q: { method: string; path: string }) =>
      q.method === 'POST' && /^\/nodes\/pve1\/qemu\/\d+\/clone$/.test(q.path);

    const first = await runKilledAt(s, isCreate);
    expect(first.signal).toBe('SIGKILL');
    const created = Number(first.killedAt!.params.vmid);
    expect(s.sim.state.vms.get(created)?.lock).toBe('create'); // still being made, not named yet

    const second = await runKilledAt(s, isClone);
    expect(second.signal, second.output.slice(-2000)).toBe('SIGKILL');
    const cloned = Number(second.killedAt!.params.newid);
    expect(s.sim.state.vms.get(cloned)?.lock).toBe('clone');

    const third = await s.run();
    expect(third.code, summary(third)).toBe(0);
    expectEachVmOnce(s);
    // Neither request was sent again for its VM.
    expect(s.sim.requests.filter((q) => isCreate(q) && Number(q.params.vmid) === created)).toHaveLength(1);
    expect(s.sim.requests.filter((q) => isClone(q) && Number(q.params.newid) === cloned)).toHaveLength(1);
    expect(s.sim.requests.filter(isClone)).toHaveLength(5); // four dev VMs and the GPU VM, once each

    const before = s.sim.requests.length;
    const again = await s.run();
    expect(again.code, summary(again)).toBe(0);
    expect(changedTasks(again)).toEqual([]);
    expect(s.writes(before)).toEqual([]);
  });
});
