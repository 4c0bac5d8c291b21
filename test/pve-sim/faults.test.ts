/**
 * Faults on demand: slow tasks, failing tasks, config-lock and flock contention, HTTP 500s
 * (before anything is done), and dropped connections (the work is done, the answer is lost).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, openSim, task, ubuntuVm } from './helpers.js';

let t: Awaited<ReturnType<typeof openSim>>;
beforeAll(async () => {
  t = await openSim({ taskMs: 10, lockTimeoutMs: { config: 200 } });
  await ubuntuVm(t.c, 500);
});
afterAll(() => t.close());

describe('faults', () => {
  it('slow tasks: a fixed duration for one task type', async () => {
    t.sim.faults.slowTasks({ type: 'qmstart', fixedMs: 250 });
    const t0 = Date.now();
    await task(t.c, 'POST', '/nodes/pve1/qemu/500/status/start');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    t.sim.faults.clear();
    await task(t.c, 'POST', '/nodes/pve1/qemu/500/status/stop');
  });

  it('a failing task ends with the given exitstatus and TASK ERROR in its log, having done nothing', async () => {
    t.sim.faults.failTask({
      type: 'qmstart',
      vmid: 500,
      exitstatus: 'start failed: QEMU exited with code 1',
    });
    const upid = await ok(t.c, 'POST', '/nodes/pve1/qemu/500/status/start');
    expect((await t.c.waitTask('pve1', upid)).exitstatus).toBe('start failed: QEMU exited with code 1');
    const log = await ok(t.c, 'GET', `/nodes/pve1/tasks/${encodeURIComponent(upid)}/log`);
    expect(log.at(-1).t).toBe('TASK ERROR: start failed: QEMU exited with code 1');
    // The failed start changed nothing; the fault was for one task only.
    expect(t.sim.state.vm(500)?.status).toBe('stopped');
    expect((await task(t.c, 'POST', '/nodes/pve1/qemu/500/status/start')).exitstatus).toBe('OK');
    await task(t.c, 'POST', '/nodes/pve1/qemu/500/status/stop');
  });

  it('a config lock held by someone else: "VM N is locked (backup)" until it ends', async () => {
    await t.sim.faults.lockVm(500, 150, { kind: 'config', reason: 'backup' });
    const r = await t.c.call('PUT', '/nodes/pve1/qemu/500/config', { cores: 3 });
    expect(r.status).toBe(500);
    expect(r.statusText).toBe('VM 500 is locked (backup)');
    await new Promise((res) => setTimeout(res, 200));
    expect((await t.c.call('PUT', '/nodes/pve1/qemu/500/config', { cores: 3 })).status).toBe(200);
  });

  it('lock-file contention: a write waits for the lock, or times out', async () => {
    await t.sim.faults.lockVm(500, 100);
    const waited = await t.c.call('PUT', '/nodes/pve1/qemu/500/config', { cores: 4 });
    expect(waited.status).toBe(200);
    await t.sim.faults.lockVm(500, 400);
    const timedOut = await t.c.call('PUT', '/nodes/pve1/qemu/500/config', { cores: 5 });
    expect(timedOut.statusText).toBe("can't lock file '/var/lock/qemu-server/lock-500.conf' - got timeout");
  });

  it('HTTP 500 N times on matching requests, before anything is done', async () => {
    t.sim.faults.http500({ method: 'POST', path: '/qemu/500/clone' }, { times: 2, message: 'proxy error' });
    for (let i = 0; i < 2; i++) {
      const r = await t.c.call('POST', '/nodes/pve1/qemu/500/clone', { newid: 501 });
      expect(r.status).toBe(500);
      expect(r.statusText).toBe('proxy error');
    }
    expect(t.sim.state.vms.has(501)).toBe(false);
    expect((await task(t.c, 'POST', '/nodes/pve1/qemu/500/clone', { newid: 501 })).exitstatus).toBe('OK');
  });

  it('a dropped connection: the clone was started, the answer never arrives', async () => {
    t.sim.faults.dropConnection({ method: 'POST', path: '/clone' });
    await expect(t.c.call('POST', '/nodes/pve1/qemu/500/clone', { newid: 502 })).rejects.toThrow();
    await t.sim.idle();
    expect(t.sim.state.vm(502)?.config.name).toBe('Copy-of-VM-ubuntu-500');
    expect(
      t.sim.requests
        .filter((r) => r.path.endsWith('/clone') && r.params.newid === '502')
        .map((r) => r.status),
    ).toEqual([0]);
  });
});
