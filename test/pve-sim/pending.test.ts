/**
 * Config changes to a running VM (state/hotplug.ts): what Proxmox applies at once, what it keeps
 * pending until the VM stops or starts, the `hotplug` option, `revert`, and that a stop (or a
 * shutdown) applies what is pending.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, openSim, task, ubuntuVm } from './helpers.js';

let t: Awaited<ReturnType<typeof openSim>>;
beforeAll(async () => {
  t = await openSim({ taskMs: 10, bootMs: 20 });
});
afterAll(() => t.close());

type Entry = { key: string; value?: string; pending?: string; delete?: number };
const pending = async (vmid: number): Promise<Entry[]> =>
  (await ok(t.c, 'GET', `/nodes/pve1/qemu/${vmid}/pending`)).filter(
    (e: Entry) => e.pending !== undefined || e.delete !== undefined,
  );
const current = (vmid: number) => ok(t.c, 'GET', `/nodes/pve1/qemu/${vmid}/config`, { current: 1 });
const set = (vmid: number, params: Record<string, string | number>) =>
  task(t.c, 'POST', `/nodes/pve1/qemu/${vmid}/config`, params);

async function running(vmid: number, extra: Record<string, string | number> = {}) {
  await ubuntuVm(t.c, vmid, extra);
  await task(t.c, 'POST', `/nodes/pve1/qemu/${vmid}/status/start`);
}

describe('config changes to a running VM', () => {
  it('keeps cores and memory pending (default hotplug: network,disk,usb); a stop applies them', async () => {
    await running(400);
    expect((await set(400, { cores: 4, memory: '4096' })).exitstatus).toBe('OK');
    expect(await pending(400)).toEqual([
      { key: 'cores', value: '2', pending: '4' },
      { key: 'memory', value: '2048', pending: '4096' },
    ]);
    expect(await current(400)).toMatchObject({ cores: 2, memory: '2048' });
    await task(t.c, 'POST', '/nodes/pve1/qemu/400/status/shutdown');
    expect(await pending(400)).toEqual([]);
    expect(await current(400)).toMatchObject({ cores: 4, memory: '4096' });
  });

  it('hot-plugs memory when the hotplug option has memory (and NUMA is on)', async () => {
    await running(401, { hotplug: 'network,disk,usb,memory', numa: 1 });
    await set(401, { memory: '4096' });
    expect(await pending(401)).toEqual([]);
    expect((await current(401)).memory).toBe('4096');
  });

  it('changes a NIC bridge or tag live; a new model needs network hotplug', async () => {
    await running(402);
    const mac = /=([0-9A-F:]{17})/.exec((await current(402)).net0)![1];
    await set(402, { net0: `virtio=${mac},bridge=vmbr0,tag=20` });
    expect(await pending(402)).toEqual([]);
    await set(402, { hotplug: '0' });
    await set(402, { net0: `virtio=${mac},bridge=vmbr0,tag=30` });
    expect(await pending(402)).toEqual([]);
    expect((await current(402)).net0).toMatch(/tag=30/);
    await set(402, { net0: `e1000=${mac},bridge=vmbr0,tag=30` });
    expect(await pending(402)).toEqual([
      {
        key: 'net0',
        value: `virtio=${mac},bridge=vmbr0,tag=30`,
        pending: `e1000=${mac},bridge=vmbr0,tag=30`,
      },
    ]);
  });

  it('keeps a disk option QEMU cannot change live (discard, iothread, ssd…) pending', async () => {
    await running(403);
    const scsi0 = (await current(403)).scsi0 as string;
    await set(403, { scsi0: `${scsi0.split(',')[0]},discard=on` });
    expect((await pending(403)).map((e) => e.key)).toEqual(['scsi0']);
  });

  it('revert drops a pending value, and deleting a non-hot-pluggable option is pending too', async () => {
    await running(404, { vga: 'std' });
    await set(404, { cores: 8, delete: 'vga' });
    expect((await pending(404)).map((e) => [e.key, e.pending ?? `delete=${e.delete}`])).toEqual([
      ['cores', '8'],
      ['vga', 'delete=1'],
    ]);
    await set(404, { revert: 'cores,vga' });
    expect(await pending(404)).toEqual([]);
    expect(await current(404)).toMatchObject({ cores: 2, vga: 'std' });
  });
});
