/**
 * VM lifecycle against the simulator: tasks and UPIDs, nextid, create/clone/template/config/
 * resize/delete rules and their PVE errors, config locks while tasks run, the guest agent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, openSim, task, ubuntuVm } from './helpers.js';
import { GUEST_AGENT_SNIPPET } from '../../roles/proxmox-host/snippets.js';
import { addSnippet } from './state/cloud-init.js';
import { parseUpid } from './state/tasks.js';

let t: Awaited<ReturnType<typeof openSim>>;
beforeAll(async () => {
  // A short lock_config timeout (PVE: 10 s) so waiting on a held config lock is quick to test.
  t = await openSim({ taskMs: 20, bootMs: 400, lockTimeoutMs: { config: 150 } });
});
afterAll(() => t.close());

describe('tasks', () => {
  it("a task runs, then stops with OK; its UPID has PVE's format; its log ends with TASK OK", async () => {
    t.sim.faults.slowTasks({ type: 'qmcreate', fixedMs: 300 });
    const upid = await ok(t.c, 'POST', '/nodes/pve1/qemu', { vmid: 200, name: 'plain', memory: '1024' });
    expect(upid).toMatch(
      /^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:qmcreate:200:novastation@pve!site:$/,
    );
    expect(parseUpid(upid)?.type).toBe('qmcreate');
    const running = await ok(t.c, 'GET', `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`);
    expect(running).toMatchObject({ status: 'running', type: 'qmcreate', id: '200', node: 'pve1' });
    expect(running.exitstatus).toBeUndefined();
    expect(await t.c.waitTask('pve1', upid)).toMatchObject({ status: 'stopped', exitstatus: 'OK' });
    t.sim.faults.clear();
    const log = await t.c.call('GET', `/nodes/pve1/tasks/${encodeURIComponent(upid)}/log`);
    expect(log.body.data.at(-1)).toEqual({ n: log.body.total, t: 'TASK OK' });
  });

  it('an unknown task is a 400 on upid', async () => {
    const r = await t.c.call(
      'GET',
      `/nodes/pve1/tasks/${encodeURIComponent('UPID:pve1:00000001:00000001:00000001:qmstart:1:root@pam:')}/status`,
    );
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual({ upid: 'no such task' });
  });
});

describe('nextid and create', () => {
  it('nextid gives the lowest free id and 400s a taken one', async () => {
    await ok(t.c, 'GET', '/cluster/nextid').then((id) => expect(Number(id)).toBe(100));
    const taken = await t.c.call('GET', '/cluster/nextid', { vmid: 200 });
    expect(taken.status).toBe(400);
    expect(taken.body.errors).toEqual({ vmid: 'VM 200 already exists' });
    expect(await ok(t.c, 'GET', '/cluster/nextid', { vmid: 201 })).toBe('201');
  });

  it('create of an existing VMID fails at once; the config shows lock: create while the task runs', async () => {
    const dup = await t.c.call('POST', '/nodes/pve1/qemu', { vmid: 200 });
    expect(dup.status).toBe(500);
    expect(dup.statusText).toBe("unable to create VM 200 - VM 200 already exists on node 'pve1'");
    t.sim.faults.slowTasks({ type: 'qmcreate', fixedMs: 400 });
    const upid = await ok(t.c, 'POST', '/nodes/pve1/qemu', {
      vmid: 202,
      scsi0: 'local-lvm:8',
      efidisk0: 'local-lvm:1,efitype=4m,pre-enrolled-keys=1',
      tpmstate0: 'local-lvm:1,version=v2.0',
      ostype: 'win11',
      machine: 'q35',
    });
    const during = await ok(t.c, 'GET', '/cluster/resources', { type: 'vm' });
    expect(during.find((r: { vmid: number }) => r.vmid === 202)).toMatchObject({ lock: 'create' });
    await t.c.waitTask('pve1', upid);
    t.sim.faults.clear();
    const config = await ok(t.c, 'GET', '/nodes/pve1/qemu/202/config');
    expect(config.efidisk0).toBe('local-lvm:vm-202-disk-0,efitype=4m,pre-enrolled-keys=1,size=4M');
    expect(config.scsi0).toBe('local-lvm:vm-202-disk-1,size=8G');
    expect(config.tpmstate0).toBe('local-lvm:vm-202-disk-2,size=4M,version=v2.0');
    expect(config.machine).toBe('pc-q35-10.1+pve0'); // Windows guests are pinned on create
    expect(config.lock).toBeUndefined();
    expect(config.digest).toMatch(/^[0-9a-f]{40}$/);
  });

  it('import-from needs <storage>:0 and an import/images volume; ISOs need media=cdrom', async () => {
    const bad = await t.c.call('POST', '/nodes/pve1/qemu', {
      vmid: 203,
      scsi0: 'local-lvm:8,import-from=local:iso/virtio-win-0.1.262.iso',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.scsi0).toContain("'import-from' requires special syntax");
    const iso = await t.c.call('POST', '/nodes/pve1/qemu', {
      vmid: 203,
      ide2: 'local:iso/virtio-win-0.1.262.iso',
    });
    expect(iso.body.errors).toEqual({ ide2: "explicit 'media=cdrom' is required for iso images" });
    expect(t.sim.state.vms.has(203)).toBe(false);
  });
});

describe('clone and template', () => {
  it('template refuses a running VM and a template; clone writes lock: clone at once and holds the target lock', async () => {
    await ubuntuVm(t.c, 9000);
    await task(t.c, 'POST', '/nodes/pve1/qemu/9000/status/start');
    const running = await t.c.call('POST', '/nodes/pve1/qemu/9000/template');
    expect(running.statusText).toBe("you can't convert a VM to template if VM is running");
    await task(t.c, 'POST', '/nodes/pve1/qemu/9000/status/stop');
    expect((await task(t.c, 'POST', '/nodes/pve1/qemu/9000/template')).exitstatus).toBe('OK');
    const again = await t.c.call('POST', '/nodes/pve1/qemu/9000/template');
    expect(again.statusText).toBe("you can't convert a template to a template");
    expect((await ok(t.c, 'GET', '/nodes/pve1/qemu/9000/config')).scsi0).toMatch(
      /^local-lvm:base-9000-disk-0,/,
    );

    t.sim.faults.slowTasks({ type: 'qmclone', factor: 50 });
    const upid = await ok(t.c, 'POST', '/nodes/pve1/qemu/9000/clone', { newid: 301, name: 'vm-dev-01' });
    await new Promise((r) => setTimeout(r, 30));
    expect(t.sim.state.vm(301)?.lock).toBe('clone');
    const status = await ok(t.c, 'GET', '/nodes/pve1/qemu/301/status/current');
    expect(status.lock).toBe('clone');
    // The clone task holds lock-301.conf for its whole run: a config write waits, then times out.
    const locked = await t.c.call('PUT', '/nodes/pve1/qemu/301/config', { cores: 4 });
    expect(locked.status).toBe(500);
    expect(locked.statusText).toBe("can't lock file '/var/lock/qemu-server/lock-301.conf' - got timeout");
    const twice = await t.c.call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 301 });
    expect(twice.statusText).toBe('unable to create VM 301: config file already exists');
    expect(await t.c.waitTask('pve1', upid)).toMatchObject({ exitstatus: 'OK' });
    t.sim.faults.clear();
    const config = await ok(t.c, 'GET', '/nodes/pve1/qemu/301/config');
    expect(config.lock).toBeUndefined();
    expect(config.name).toBe('vm-dev-01');
    expect(config.scsi0).toMatch(/^local-lvm:base-9000-disk-0\/vm-301-disk-0,/); // linked: the default for templates
    expect(config.template).toBeUndefined();
    expect(config.net0).not.toBe((await ok(t.c, 'GET', '/nodes/pve1/qemu/9000/config')).net0); // new MAC
  });

  it('a linked clone refuses storage=; a locked clone target times out after 1 s in the task', async () => {
    const linked = await t.c.call('POST', '/nodes/pve1/qemu/9000/clone', {
      newid: 302,
      full: 0,
      storage: 'local-lvm',
    });
    expect(linked.statusText).toBe("parameter 'storage' not allowed for linked clones");
    void t.sim.faults.lockVm(303, 1500);
    const upid = await ok(t.c, 'POST', '/nodes/pve1/qemu/9000/clone', { newid: 303, full: 1 });
    const status = await t.c.waitTask('pve1', upid);
    expect(status.exitstatus).toBe("can't lock file '/var/lock/qemu-server/lock-303.conf' - got timeout");
    expect(t.sim.state.vms.has(303)).toBe(false);
  });

  it('two clones of one template run at the same time (shared source lock)', async () => {
    const [a, b] = await Promise.all([
      ok(t.c, 'POST', '/nodes/pve1/qemu/9000/clone', { newid: 304, name: 'a' }),
      ok(t.c, 'POST', '/nodes/pve1/qemu/9000/clone', { newid: 305, name: 'b' }),
    ]);
    expect((await t.c.waitTask('pve1', a)).exitstatus).toBe('OK');
    expect((await t.c.waitTask('pve1', b)).exitstatus).toBe('OK');
  });
});

describe('config', () => {
  it('PUT is synchronous; a stale digest is refused; delete moves a disk to unused0', async () => {
    const before = await ok(t.c, 'GET', '/nodes/pve1/qemu/304/config');
    expect(
      await ok(t.c, 'PUT', '/nodes/pve1/qemu/304/config', {
        cores: 4,
        scsi1: 'local-lvm:4',
        digest: before.digest,
      }),
    ).toBeNull();
    const stale = await t.c.call('PUT', '/nodes/pve1/qemu/304/config', { cores: 2, digest: before.digest });
    expect(stale.statusText).toBe('checksum mismatch (file change by other user?)');
    await ok(t.c, 'PUT', '/nodes/pve1/qemu/304/config', { delete: 'scsi1' });
    const after = await ok(t.c, 'GET', '/nodes/pve1/qemu/304/config');
    expect(after.cores).toBe(4);
    expect(after.scsi1).toBeUndefined();
    expect(after.unused0).toBe('local-lvm:vm-304-disk-1');
    const bad = await t.c.call('PUT', '/nodes/pve1/qemu/304/config', { delete: 'frobnicate' });
    expect(bad.body.errors).toEqual({ delete: "unknown option 'frobnicate'" });
  });

  it('POST is a qmconfig task; a running VM keeps non-hotplug changes pending', async () => {
    await task(t.c, 'POST', '/nodes/pve1/qemu/305/status/start');
    expect(
      (await task(t.c, 'POST', '/nodes/pve1/qemu/305/config', { memory: '4096', name: 'renamed' }))
        .exitstatus,
    ).toBe('OK');
    const current = await ok(t.c, 'GET', '/nodes/pve1/qemu/305/config', { current: 1 });
    expect(current.memory).toBe('2048');
    expect(current.name).toBe('renamed');
    expect((await ok(t.c, 'GET', '/nodes/pve1/qemu/305/config')).memory).toBe('4096');
    const pending = await ok(t.c, 'GET', '/nodes/pve1/qemu/305/pending');
    expect(pending.find((p: { key: string }) => p.key === 'memory')).toEqual({
      key: 'memory',
      value: '2048',
      pending: '4096',
    });
    await task(t.c, 'POST', '/nodes/pve1/qemu/305/status/stop');
    expect((await ok(t.c, 'GET', '/nodes/pve1/qemu/305/config', { current: 1 })).memory).toBe('4096');
  });

  it('resize grows and refuses to shrink', async () => {
    expect(
      (await task(t.c, 'PUT', '/nodes/pve1/qemu/304/resize', { disk: 'scsi0', size: '32G' })).exitstatus,
    ).toBe('OK');
    expect((await ok(t.c, 'GET', '/nodes/pve1/qemu/304/config')).scsi0).toMatch(/size=32G/);
    const shrink = await t.c.call('PUT', '/nodes/pve1/qemu/304/resize', { disk: 'scsi0', size: '16G' });
    expect(shrink.status).toBe(500);
    expect(shrink.statusText).toBe('shrinking disks is not supported');
  });
});

describe('guest agent and delete', () => {
  it('answers only when enabled, running and booted', async () => {
    // The cloud image's agent comes from cloud-init vendor data (cloud-init.test.ts).
    addSnippet(t.sim.state, 'local', 'agent.yaml', GUEST_AGENT_SNIPPET);
    await ok(t.c, 'PUT', '/nodes/pve1/qemu/304/config', { cicustom: 'vendor=local:snippets/agent.yaml' });
    const stopped = await t.c.call('POST', '/nodes/pve1/qemu/304/agent/ping');
    expect(stopped.statusText).toBe('VM 304 is not running');
    await task(t.c, 'POST', '/nodes/pve1/qemu/304/status/start');
    const early = await t.c.call('GET', '/nodes/pve1/qemu/304/agent/get-osinfo');
    expect(early.statusText).toBe('QEMU guest agent is not running');
    await new Promise((r) => setTimeout(r, t.sim.state.vm(304)!.guest.agentAt! - Date.now() + 5));
    const os = await ok(t.c, 'GET', '/nodes/pve1/qemu/304/agent/get-osinfo');
    expect(os.result).toMatchObject({ id: 'ubuntu', 'version-id': '22.04' });
    const nics = await ok(t.c, 'GET', '/nodes/pve1/qemu/304/agent/network-get-interfaces');
    expect(nics.result[1]['ip-addresses'][0]['ip-address']).toMatch(/^192\.168\.100\./);
    const { pid } = await ok(t.c, 'POST', '/nodes/pve1/qemu/304/agent/exec', {
      command: ['bash', '-c', 'true'],
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(await ok(t.c, 'GET', '/nodes/pve1/qemu/304/agent/exec-status', { pid })).toMatchObject({
      exited: 1,
      exitcode: 0,
    });
  });

  it('delete refuses a running VM, then removes config and volumes', async () => {
    const running = await t.c.call('DELETE', '/nodes/pve1/qemu/304');
    expect(running.statusText).toBe('VM 304 is running - destroy failed');
    await task(t.c, 'POST', '/nodes/pve1/qemu/304/status/stop');
    expect((await task(t.c, 'DELETE', '/nodes/pve1/qemu/304')).exitstatus).toBe('OK');
    expect(t.sim.state.vms.has(304)).toBe(false);
    expect([...t.sim.state.volumes.keys()].filter((v) => v.includes('vm-304-'))).toEqual([]);
  });
});
