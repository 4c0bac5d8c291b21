/**
 * Windows identity (state/windows-identity.ts): a template generalised by sysprep is cloned
 * cleanly and each clone's first boot takes its name and accounts from the answer file on its CD,
 * with a machine SID of its own; a clone of a Windows that was not generalised is flagged; a
 * generalised clone with no answer file waits in OOBE for a person.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerFile, ok, openSim, pressBootKey, SYSPREP_END, task, uploadIso } from './helpers.js';

let t: Awaited<ReturnType<typeof openSim>>;
beforeAll(async () => {
  t = await openSim({ taskMs: 10, windowsInstallMs: 100, bootMs: 20 });
  await uploadIso(t.sim, t.c, 'tpl-sysprep.iso', answerFile({ commands: SYSPREP_END }));
  await uploadIso(
    t.sim,
    t.c,
    'tpl-plain.iso',
    answerFile({ commands: ['shutdown.exe /s /t 10 /f'], account: ['admin', 'pw'] }),
  );
  await uploadIso(t.sim, t.c, 'tpl-cached.iso', answerFile({ commands: [SYSPREP_END[1]!] }));
  for (const [name, pw] of [
    ['clone-a', 'Pa55-a'],
    ['clone-b', 'Pa55-b'],
  ])
    await uploadIso(
      t.sim,
      t.c,
      `firstboot-${name}.iso`,
      answerFile({ computerName: name, account: ['admin', pw!], commands: ['shutdown.exe /s /t 10 /f'] }),
    );
});
afterAll(() => t.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const vm = (vmid: number) => t.sim.state.vm(vmid)!;
const disk = (vmid: number) => t.sim.state.volumes.get(vm(vmid).config.scsi0!.split(',')[0]!)!;
const untilStopped = async (vmid: number) => {
  while (vm(vmid).status === 'running' && !vm(vmid).guest.stuck) await sleep(10);
};

/** Installs Windows with answer ISO `iso` and converts the VM to a template. */
async function template(vmid: number, iso: string) {
  await task(t.c, 'POST', '/nodes/pve1/qemu', {
    vmid,
    name: `tpl-${vmid}`,
    ostype: 'win11',
    bios: 'ovmf',
    machine: 'q35',
    agent: '1',
    efidisk0: 'local-lvm:1,efitype=4m,pre-enrolled-keys=1',
    tpmstate0: 'local-lvm:1,version=v2.0',
    scsihw: 'virtio-scsi-single',
    scsi0: 'local-lvm:64',
    ide2: 'local:iso/Win11_24H2_English_x64.iso,media=cdrom',
    ide0: 'local:iso/virtio-win-0.1.262.iso,media=cdrom',
    ide1: `local:iso/${iso},media=cdrom`,
    boot: 'order=scsi0;ide2',
    net0: 'virtio,bridge=vmbr0',
  });
  await task(t.c, 'POST', `/nodes/pve1/qemu/${vmid}/status/start`);
  await pressBootKey(t.sim, t.c, vmid);
  await untilStopped(vmid);
  expect(vm(vmid).status).toBe('stopped');
  await ok(t.c, 'PUT', `/nodes/pve1/qemu/${vmid}/config`, { delete: 'ide0,ide1,ide2' });
  await task(t.c, 'POST', `/nodes/pve1/qemu/${vmid}/template`);
}

async function clone(from: number, newid: number, firstBootIso?: string) {
  await task(t.c, 'POST', `/nodes/pve1/qemu/${from}/clone`, { newid, name: `c-${newid}`, full: 1 });
  if (firstBootIso)
    await ok(t.c, 'PUT', `/nodes/pve1/qemu/${newid}/config`, {
      ide1: `local:iso/${firstBootIso},media=cdrom`,
    });
  await task(t.c, 'POST', `/nodes/pve1/qemu/${newid}/status/start`);
  await untilStopped(newid);
}

describe('Windows identity: sysprep, clones, first boot', () => {
  it('sysprep at the end of the install leaves a generalised disk; its clones specialise from their own answer files', async () => {
    await template(9101, 'tpl-sysprep.iso');
    expect(disk(9101).windows).toMatchObject({ state: 'generalized', cachedAnswerFile: false });
    await clone(9101, 9111, 'firstboot-clone-a.iso');
    await clone(9101, 9112, 'firstboot-clone-b.iso');
    expect(t.sim.identityFlags).toEqual([]);
    const a = disk(9111).windows!;
    const b = disk(9112).windows!;
    expect(a).toMatchObject({ state: 'specialized', computerName: 'CLONE-A' });
    expect(a.accounts).toEqual([{ name: 'admin', password: 'Pa55-a', admin: true }]);
    expect(b).toMatchObject({ state: 'specialized', computerName: 'CLONE-B' });
    expect(a.machineSid).not.toBe(b.machineSid);
    expect(vm(9111).status).toBe('stopped'); // the first boot's last command powered it off
  });

  it("the guest shows the clone's identity through the agent's Windows model", async () => {
    await task(t.c, 'POST', '/nodes/pve1/qemu/9111/status/start');
    expect(vm(9111).guest.stuck).toBeUndefined();
    expect(vm(9111).guest.agentAt).toBeTypeOf('number');
  });

  it('a clone of a Windows that was not generalised is flagged: it shares its SID and name', async () => {
    await template(9102, 'tpl-plain.iso');
    expect(disk(9102).windows?.state).toBe('specialized');
    await task(t.c, 'POST', '/nodes/pve1/qemu/9102/clone', { newid: 9121, name: 'dup', full: 1 });
    expect(t.sim.identityFlags).toEqual([
      expect.stringMatching(/^VM 9121 cloned from VM 9102: its Windows was not generalised \(sysprep\)/),
    ]);
    t.sim.state.identityFlags.length = 0;
  });

  it('a generalised clone without an answer file waits in OOBE; one whose template kept its cached answer file uses that', async () => {
    await clone(9101, 9113);
    expect(vm(9113).guest.stuck).toMatch(/OOBE: waiting/);
    expect(vm(9113).guest.agentAt).toBeUndefined();
    await template(9103, 'tpl-cached.iso');
    expect(disk(9103).windows?.cachedAnswerFile).toBe(true);
    await clone(9103, 9131, 'firstboot-clone-a.iso');
    expect(vm(9131).guest.stuck).toMatch(/cached answer file/);
  });
});
