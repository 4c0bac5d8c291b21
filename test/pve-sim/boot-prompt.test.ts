/**
 * "Press any key to boot from CD or DVD" (state/boot-prompt.ts): Microsoft's Windows ISO under
 * OVMF waits a few seconds for a key before Windows Setup starts; without one the firmware falls
 * through and nothing installs. Keys reach the VM only through `PUT …/sendkey` (VM.Console).
 * The prompt shows `bootPromptMs` after the start and waits `bootPromptWindowMs`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerFile, ok, openSim, SYSPREP_END, task } from './helpers.js';

let t: Awaited<ReturnType<typeof openSim>>;
beforeAll(async () => {
  // A window wide enough for a loaded machine to answer in, short enough to wait out.
  t = await openSim({ taskMs: 10, windowsInstallMs: 100, bootPromptWindowMs: 1000 });
  t.sim.state.volumes.set('local:iso/autounattend-x.iso', {
    volid: 'local:iso/autounattend-x.iso',
    storage: 'local',
    node: 'pve1',
    content: 'iso',
    format: 'iso',
    size: 4096,
    ctime: 0,
    os: 'answer-file',
    data: Buffer.from(answerFile({ commands: SYSPREP_END })), // the install ends powered off
  });
});
afterAll(() => t.close());

const installVm = (vmid: number) =>
  task(t.c, 'POST', '/nodes/pve1/qemu', {
    vmid,
    name: `win-${vmid}`,
    ostype: 'win11',
    machine: 'q35',
    bios: 'ovmf',
    memory: '8192',
    agent: '1',
    efidisk0: 'local-lvm:1,efitype=4m,pre-enrolled-keys=1',
    tpmstate0: 'local-lvm:1,version=v2.0',
    scsihw: 'virtio-scsi-single',
    scsi0: 'local-lvm:64',
    ide2: 'local:iso/Win11_24H2_English_x64.iso,media=cdrom',
    ide0: 'local:iso/virtio-win-0.1.262.iso,media=cdrom',
    ide1: 'local:iso/autounattend-x.iso,media=cdrom',
    boot: 'order=scsi0;ide2',
    net0: 'virtio,bridge=vmbr0',
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const vm = (vmid: number) => t.sim.state.vm(vmid)!;
/** Until the prompt is on the screen (the sim's own clock says when). */
const untilPrompt = async (vmid: number) => {
  while (vm(vmid).guest.bootPrompt && Date.now() < vm(vmid).guest.bootPrompt!.shownAt) await sleep(5);
};
const diskOs = (vmid: number) => t.sim.state.volumes.get(vm(vmid).config.scsi0!.split(',')[0]!)?.os;

describe('the boot prompt of the Windows ISO', () => {
  it('without a key the firmware falls through: setup never starts', async () => {
    await installVm(501);
    await task(t.c, 'POST', '/nodes/pve1/qemu/501/status/start');
    expect(vm(501).guest.bootPrompt).toBeDefined();
    while (!vm(501).guest.stuck) await sleep(10);
    expect(vm(501).guest.stuck).toMatch(/Press any key to boot from CD or DVD/);
    expect(vm(501).guest.installing).toBeFalsy();
    expect(vm(501).status).toBe('running');
    // A key after the prompt has gone changes nothing.
    await ok(t.c, 'PUT', '/nodes/pve1/qemu/501/sendkey', { key: 'ret' });
    expect(vm(501).guest.installing).toBeFalsy();
    expect(diskOs(501)).toBeUndefined();
  });

  it('a key sent through the API while the prompt shows starts setup, which installs', async () => {
    await installVm(502);
    await task(t.c, 'POST', '/nodes/pve1/qemu/502/status/start');
    await untilPrompt(502);
    expect(await ok(t.c, 'PUT', '/nodes/pve1/qemu/502/sendkey', { key: 'ret' })).toBeNull();
    expect(vm(502).guest.installing).toBe(true);
    while (vm(502).status === 'running') await sleep(10);
    expect(diskOs(502)).toBe('windows');
  });

  it('sendkey needs a running VM and VM.Console', async () => {
    const stopped = await t.c.call('PUT', '/nodes/pve1/qemu/502/sendkey', { key: 'ret' });
    expect(stopped.status).toBe(500);
    expect(stopped.statusText).toBe('VM 502 not running');
    t.sim.tokenPrivileges = new Set(['VM.Audit', 'VM.PowerMgmt']);
    try {
      const denied = await t.c.call('PUT', '/nodes/pve1/qemu/501/sendkey', { key: 'ret' });
      expect(denied.status).toBe(403);
      expect(denied.statusText).toMatch(/VM\.Console/);
    } finally {
      t.sim.tokenPrivileges = undefined;
    }
  });
});
