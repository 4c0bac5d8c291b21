/**
 * Config changes that Proxmox keeps pending on a running VM (issue 16 item 1), through the real
 * CLI against the simulator (its hot-plug rules: test/pve-sim/state/hotplug.ts): memory and
 * cores cannot be hot-plugged, so a change lands in the config's [PENDING] section and the VM
 * keeps running with the old values. The run must say so — in the task, under the recap and in
 * the run record — and keep saying so on later runs without re-sending it; a VLAN tag is
 * hot-plugged; `vm_restart_for_changes: true` applies pending changes with a clean shutdown and a
 * start (never in check mode); declaring the running value again reverts a pending one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CliRun } from '../support/cli.js';
import { changedTasks, startSite, summary, type Site } from './support.js';

const VM = 'vm-dev-01';
const CLONE_TASK = 'full clone of tpl-ubuntu-2204';
const RESTART = ['-e', '{"vm_restart_for_changes": true}'];

let site: Site;
beforeAll(async () => {
  site = await startSite();
  const first = await site.run(['--limit', `tpl-ubuntu-2204,${VM}`]);
  expect(first.code, summary(first)).toBe(0);
}, 120_000);
afterAll(async () => {
  await site?.close();
});
afterEach(() => {
  expect(site.sim.violations, 'every request passes the PVE schema check').toEqual([]);
  expect(site.sim.unhandled, 'only endpoints the simulator implements').toEqual([]);
});

const vm = () => site.sim.state.vms.get(2001)!;
const devVars = (tweak: Record<string, unknown>) =>
  site.writeInventory((inv) => Object.assign(inv.all.children.proxmox_vms.children.dev_vms.hosts[VM], tweak));
const cloneTask = (r: CliRun) =>
  r.events.find((e) => e.type === 'task' && e.host === VM && e.task === CLONE_TASK)!;
const recapNotices = (r: CliRun) => r.events.find((e) => e.type === 'recap')?.notices?.[VM] ?? [];
function lastRecord(): any {
  const runs = join(site.dir, '.novastation', 'runs');
  const latest = readdirSync(runs)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .at(-1)!;
  return JSON.parse(readFileSync(join(runs, latest), 'utf8'));
}
const PENDING_NOTICE =
  /^pending until the VM restarts: cores 4 → 2, memory 8192 → 4096 \(set vm_restart_for_changes: true/;

describe('config changes Proxmox keeps pending until the VM restarts', () => {
  it('are reported pending (task, recap, run record), not applied; a VLAN tag is hot-plugged', async () => {
    expect(vm().status).toBe('running');
    devVars({ vm_memory: 4096, vm_cores: 2, vm_vlan: 20 });
    const before = site.sim.requests.length;
    const r = await site.run(['--limit', VM]);
    expect(r.code, summary(r)).toBe(0);
    expect(site.writes(before).map((w) => `${w.method} ${w.path}`)).toEqual([
      'POST /nodes/pve1/qemu/2001/config',
    ]);
    const task = cloneTask(r);
    expect(task.status).toBe('changed');
    expect(task.changes).toEqual([
      'vm vm-dev-01: cores 4 → 2 (pending until the VM restarts)',
      'vm vm-dev-01: memory 8192 → 4096 (pending until the VM restarts)',
      expect.stringMatching(/^vm vm-dev-01: net0 virtio=.*,bridge=vmbr0 → virtio=.*,tag=20$/),
    ]);
    expect(task.notice).toMatch(PENDING_NOTICE);
    expect(recapNotices(r)).toEqual([task.notice]);
    expect(r.stderr).toMatch(/PLAY RECAP[\s\S]*\nvm-dev-01\s+: pending until the VM restarts: /);
    const recorded = lastRecord().hosts[VM].tasks.find((t: any) => t.task === CLONE_TASK);
    expect(recorded.notice).toBe(task.notice);
    expect(recorded.changes).toEqual(task.changes);

    // The VM still runs with 8192 MiB; Proxmox holds 4096 as pending; the tag is live.
    expect(vm().status).toBe('running');
    expect(vm().config).toMatchObject({ memory: '8192', cores: '4' });
    expect(vm().pending).toMatchObject({ memory: '4096', cores: '2' });
    expect(vm().config.net0).toMatch(/tag=20/);
  });

  it('a second run changes nothing and sends no write, and still reports the pending changes', async () => {
    const before = site.sim.requests.length;
    const r = await site.run(['--limit', VM]);
    expect(r.code, summary(r)).toBe(0);
    expect(changedTasks(r)).toEqual([]);
    expect(site.writes(before)).toEqual([]);
    expect(cloneTask(r).status).toBe('ok');
    expect(cloneTask(r).notice).toMatch(PENDING_NOTICE);
    expect(recapNotices(r)).toEqual([cloneTask(r).notice]);
    expect(lastRecord().hosts[VM].tasks.find((t: any) => t.task === CLONE_TASK).notice).toBe(
      cloneTask(r).notice,
    );
  });

  it('check mode with vm_restart_for_changes says it would restart the VM, and sends no write', async () => {
    const before = site.sim.requests.length;
    const r = await site.run(['--limit', VM, '--check', ...RESTART]);
    expect(r.code, summary(r)).toBe(0);
    expect(site.writes(before)).toEqual([]);
    expect(changedTasks(r)).toEqual([
      {
        host: VM,
        task: CLONE_TASK,
        changes: [
          'vm vm-dev-01: power running → restarted to apply pending changes: cores 4 → 2, memory 8192 → 4096',
        ],
      },
    ]);
    expect(vm().pending).toMatchObject({ memory: '4096', cores: '2' });
  });

  it('vm_restart_for_changes applies them with a clean shutdown and a start; then nothing more', async () => {
    const before = site.sim.requests.length;
    const r = await site.run(['--limit', VM, ...RESTART]);
    expect(r.code, summary(r)).toBe(0);
    expect(site.writes(before).map((w) => `${w.method} ${w.path}`)).toEqual([
      'POST /nodes/pve1/qemu/2001/status/shutdown',
      'POST /nodes/pve1/qemu/2001/status/start',
    ]);
    expect(cloneTask(r).status).toBe('changed');
    expect(cloneTask(r).notice).toBeUndefined();
    expect(recapNotices(r)).toEqual([]);
    expect(vm().status).toBe('running');
    expect(vm().pending).toEqual({});
    expect(vm().config).toMatchObject({ memory: '4096', cores: '2' });

    const again = site.sim.requests.length;
    const rerun = await site.run(['--limit', VM, ...RESTART]);
    expect(rerun.code, summary(rerun)).toBe(0);
    expect(changedTasks(rerun)).toEqual([]);
    expect(site.writes(again)).toEqual([]);
    expect(recapNotices(rerun)).toEqual([]);
  });

  it('declaring the running value again reverts a pending change instead of sending it', async () => {
    devVars({ vm_memory: 6144, vm_cores: 2, vm_vlan: 20 });
    const set = await site.run(['--limit', VM]);
    expect(set.code, summary(set)).toBe(0);
    expect(vm().pending).toEqual({ memory: '6144' });

    devVars({ vm_memory: 4096, vm_cores: 2, vm_vlan: 20 });
    const before = site.sim.requests.length;
    const r = await site.run(['--limit', VM]);
    expect(r.code, summary(r)).toBe(0);
    const writes = site.writes(before);
    expect(writes.map((w) => `${w.method} ${w.path}`)).toEqual(['POST /nodes/pve1/qemu/2001/config']);
    expect(writes[0]!.params).toMatchObject({ revert: 'memory' });
    expect(writes[0]!.params.memory).toBeUndefined();
    expect(cloneTask(r).changes).toEqual(['vm vm-dev-01: memory 6144 → 4096 (pending change reverted)']);
    expect(cloneTask(r).notice).toBeUndefined();
    expect(vm().pending).toEqual({});
    expect(vm().config.memory).toBe('4096');
  });

  it('with vm_restart_for_changes, a change that lands pending is applied by a restart in the same run', async () => {
    devVars({ vm_memory: 4096, vm_cores: 3, vm_vlan: 20 });
    const before = site.sim.requests.length;
    const r = await site.run(['--limit', VM, ...RESTART]);
    expect(r.code, summary(r)).toBe(0);
    expect(site.writes(before).map((w) => `${w.method} ${w.path}`)).toEqual([
      'POST /nodes/pve1/qemu/2001/config',
      'POST /nodes/pve1/qemu/2001/status/shutdown',
      'POST /nodes/pve1/qemu/2001/status/start',
    ]);
    expect(cloneTask(r).changes).toEqual([
      'vm vm-dev-01: cores 2 → 3',
      'vm vm-dev-01: power running → restarted to apply pending changes: cores 2 → 3',
    ]);
    expect(cloneTask(r).notice).toBeUndefined();
    expect(vm()).toMatchObject({ status: 'running', pending: {} });
    expect(vm().config.cores).toBe('3');
  });

  it('a VM declared stopped gets its pending changes from the power step: no restart, no notice', async () => {
    devVars({ vm_memory: 4096, vm_cores: 2, vm_vlan: 20, vm_power: 'stopped' });
    const r = await site.run(['--limit', VM, ...RESTART]);
    expect(r.code, summary(r)).toBe(0);
    expect(cloneTask(r).changes).toEqual([
      'vm vm-dev-01: cores 3 → 2 (pending until the power step stops the VM)',
    ]);
    expect(cloneTask(r).notice).toBeUndefined();
    expect(recapNotices(r)).toEqual([]);
    expect(vm()).toMatchObject({ status: 'stopped', pending: {} });
    expect(vm().config.cores).toBe('2');
    site.writeInventory();
  });
});
