/**
 * The Windows install model (state/guest.ts): an answer-file ISO uploaded through the storage
 * upload API, a VM that boots the Windows ISO (its boot prompt answered: boot-prompt.test.ts)
 * with UEFI + TPM 2.0 + VirtIO drivers installs for
 * `windowsInstallMs` and then powers itself off; the next boot answers get-osinfo as Windows.
 * Without TPM 2.0, setup never finishes (the VM keeps running, the agent never answers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerFile, ok, openSim, pressBootKey, SYSPREP_END, task, uploadIso } from './helpers.js';

let t: Awaited<ReturnType<typeof openSim>>;
beforeAll(async () => {
  t = await openSim({ taskMs: 10, windowsInstallMs: 300 });
});
afterAll(() => t.close());

/** The template's answer file ends with sysprep (windows-identity.test.ts has the rest). */
const uploadAnswerIso = (name: string) =>
  uploadIso(t.sim, t.c, name, answerFile({ commands: SYSPREP_END, account: ['admin', 'pw'] }));

const windowsVm = (vmid: number, extra: Record<string, string> = {}) => ({
  vmid,
  name: `win-${vmid}`,
  ostype: 'win11',
  machine: 'q35',
  bios: 'ovmf',
  cpu: 'host',
  memory: '8192',
  agent: '1',
  efidisk0: 'local-lvm:1,efitype=4m,pre-enrolled-keys=1',
  tpmstate0: 'local-lvm:1,version=v2.0',
  scsihw: 'virtio-scsi-single',
  scsi0: 'local-lvm:64',
  ide2: 'local:iso/Win11_24H2_English_x64.iso,media=cdrom',
  sata0: 'local:iso/virtio-win-0.1.262.iso,media=cdrom',
  ide0: 'local:iso/autounattend-9001.iso,media=cdrom',
  net0: 'virtio,bridge=vmbr0',
  ...extra,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Windows install', () => {
  it('uploads the answer-file ISO as a task; the file appears when it ends', async () => {
    await uploadAnswerIso('autounattend-9001.iso');
    const isos = await ok(t.c, 'GET', '/nodes/pve1/storage/local/content', { content: 'iso' });
    expect(isos.map((v: { volid: string }) => v.volid)).toContain('local:iso/autounattend-9001.iso');
  });

  it('installs, powers off, then boots Windows 11 with the agent answering', async () => {
    await task(t.c, 'POST', '/nodes/pve1/qemu', windowsVm(9001));
    await task(t.c, 'POST', '/nodes/pve1/qemu/9001/status/start');
    await pressBootKey(t.sim, t.c, 9001);
    // Setup runs (windowsInstallMs); the agent never answers meanwhile.
    expect(t.sim.state.vm(9001)!.guest.installing).toBe(true);
    expect(t.sim.state.vm(9001)!.guest.agentAt).toBeUndefined();
    while (t.sim.state.vm(9001)!.status === 'running') await sleep(20);
    expect((await ok(t.c, 'GET', '/nodes/pve1/qemu/9001/status/current')).status).toBe('stopped');
    // Generalised by sysprep: this boot is its specialize + OOBE, from the answer file still attached.
    await task(t.c, 'POST', '/nodes/pve1/qemu/9001/status/start');
    while (t.sim.state.vm(9001)!.guest.agentAt === undefined) await sleep(10);
    await sleep(Math.max(0, t.sim.state.vm(9001)!.guest.agentAt! - Date.now()) + 5);
    const os = await ok(t.c, 'GET', '/nodes/pve1/qemu/9001/agent/get-osinfo');
    expect(os.result).toMatchObject({ id: 'mswindows', 'version-id': '11' });
  });

  it('without TPM 2.0 setup never finishes', async () => {
    await task(t.c, 'POST', '/nodes/pve1/qemu', windowsVm(9002, { tpmstate0: 'local-lvm:1,version=v1.2' }));
    await task(t.c, 'POST', '/nodes/pve1/qemu/9002/status/start');
    await pressBootKey(t.sim, t.c, 9002);
    await sleep(450);
    expect((await ok(t.c, 'GET', '/nodes/pve1/qemu/9002/status/current')).status).toBe('running');
    expect(t.sim.state.vm(9002)?.guest.stuck).toMatch(/can't run Windows 11/);
    expect((await t.c.call('GET', '/nodes/pve1/qemu/9002/agent/get-osinfo')).status).toBe(500);
  });

  it('a Windows ISO cannot be downloaded by URL (the user uploads it)', async () => {
    const s = await task(t.c, 'POST', '/nodes/pve1/storage/local/download-url', {
      url: 'https://example.invalid/Win11.iso',
      content: 'iso',
      filename: 'Win11.iso',
    });
    expect(s.exitstatus).toBe('download failed: 404 Not Found');
  });
});
