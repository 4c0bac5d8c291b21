/**
 * windows-rdp through the real CLI against pve-sim's scripted Windows guest: check mode, the
 * first run, the rerun, drift, a user dropped from the map, a reboot, secrets, and the errors.
 * The steps share one simulator and run in order, as a user's runs would. After each, every
 * command the guest received must have been a well-formed, known script (`windowsViolations`)
 * and every request must have passed the PVE schema check.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeCommand } from '../pve-sim/state/windows.js';
import { changeLines, DEV, GPU, PASSWORDS, startWinSite, summary, type WinSite } from './support.js';

let site: WinSite;
beforeAll(async () => {
  site = await startWinSite();
}, 60_000);
afterAll(async () => {
  await site?.close();
});
afterEach(() => {
  expect(site.sim.windowsViolations, 'every command is a well-formed known script').toEqual([]);
  expect(site.sim.violations, 'every request passes the PVE schema check').toEqual([]);
  expect(site.sim.unhandled).toEqual([]);
});

const logLength = () => ({
  dev: site.sim.state.vms.get(DEV.vmid)!.windows?.log.length ?? 0,
  gpu: site.sim.state.vms.get(GPU.vmid)!.windows?.log.length ?? 0,
});
const RDP = 'S-1-5-32-555';
const ADMINS = 'S-1-5-32-544';
const sidOf = (vmid: number, login: string) => site.win(vmid).users.get(login)!.sid;
const members = (vmid: number, sid: string) =>
  [...site.win(vmid).groups.get(sid)!.members].map(
    (m) => [...site.win(vmid).users.values()].find((u) => u.sid === m)?.login ?? m,
  );

let planned: string[] = [];

describe('windows-rdp against the scripted Windows guest', () => {
  it('check mode sends only the read script and lists the changes', async () => {
    // Dana had an account before she was disabled in the map.
    site.sim.state.vms.get(DEV.vmid)!.windows = undefined;
    const r0 = await site.run(['--check']);
    expect(r0.code, summary(r0)).toBe(0);
    const dev = site.win(DEV.vmid);
    dev.users.set('dana', {
      login: 'dana',
      sid: 'S-1-5-21-1111111111-2222222222-3333333333-1500',
      enabled: true,
      fullName: 'Dana Former',
      password: PASSWORDS.DANA_PW,
      passwordExpires: false,
      profile: true,
    });
    dev.groups.get(RDP)!.members.add('S-1-5-21-1111111111-2222222222-3333333333-1500');
    const before = logLength();

    const r = await site.run(['--check']);
    expect(r.code, summary(r)).toBe(0);
    expect(site.scripts(DEV.vmid, before.dev)).toEqual(['windows-rdp read']);
    expect(site.scripts(GPU.vmid, before.gpu)).toEqual(['windows-rdp read']);
    planned = changeLines(r);
    expect(planned).toEqual(
      [
        `${DEV.name}: Remote Desktop firewall rules: RemoteDesktop-UserMode-In-TCP remote addresses Any → 192.168.10.5, 192.168.1.0/24`,
        `${DEV.name}: Remote Desktop firewall rules: RemoteDesktop-UserMode-In-UDP remote addresses Any → 192.168.10.5, 192.168.1.0/24`,
        `${DEV.name}: group novastation-users: state absent → present`,
        `${DEV.name}: account alice: state absent → present`,
        `${DEV.name}: account alice: member of novastation-users false → true`,
        `${DEV.name}: account alice: member of Remote Desktop Users false → true`,
        `${DEV.name}: account alice: member of Administrators false → true`,
        `${DEV.name}: account bruno: state absent → present`,
        `${DEV.name}: account bruno: member of novastation-users false → true`,
        `${DEV.name}: account bruno: member of Remote Desktop Users false → true`,
        `${DEV.name}: account dana: enabled true → false`,
        `${DEV.name}: account dana: member of novastation-users false → true`,
        `${DEV.name}: account dana: member of Remote Desktop Users true → false`,
        `${DEV.name}: computer name: name ${dev.computer.hostname} → ${DEV.name}`,
        `${GPU.name}: Remote Desktop firewall rules: RemoteDesktop-UserMode-In-TCP remote addresses Any → 192.168.10.5, 192.168.1.0/24`,
        `${GPU.name}: Remote Desktop firewall rules: RemoteDesktop-UserMode-In-UDP remote addresses Any → 192.168.10.5, 192.168.1.0/24`,
        `${GPU.name}: group novastation-users: state absent → present`,
        `${GPU.name}: account alice: state absent → present`,
        `${GPU.name}: account alice: member of novastation-users false → true`,
        `${GPU.name}: account alice: member of Remote Desktop Users false → true`,
        `${GPU.name}: account alice: member of Administrators false → true`,
        `${GPU.name}: computer name: name ${site.win(GPU.vmid).computer.hostname} → ${GPU.name}`,
      ].sort(),
    );
    expect(site.win(DEV.vmid).users.has('alice')).toBe(false);
  });

  it('the first run makes exactly the changes check mode listed, and they are in the guest', async () => {
    const before = logLength();
    const r = await site.run(['--diff']);
    expect(r.code, summary(r)).toBe(0);
    expect(changeLines(r)).toEqual(planned);
    // One read, one apply per changed setting, one read to see they took.
    const dev = site.scripts(DEV.vmid, before.dev);
    expect(dev[0]).toBe('windows-rdp read');
    expect(dev.at(-1)).toBe('windows-rdp read');
    expect(dev.filter((s) => s === 'windows-rdp apply')).toHaveLength(6);

    const w = site.win(DEV.vmid);
    expect(w.fDenyTSConnections).toBe(0);
    expect(w.userAuthentication).toBe(1);
    expect(w.rules.get('RemoteDesktop-UserMode-In-TCP')).toEqual({
      enabled: true,
      remoteAddress: ['192.168.10.5', '192.168.1.0/255.255.255.0'],
    });
    expect(members(DEV.vmid, RDP).sort()).toEqual(['alice', 'bruno']);
    expect(members(DEV.vmid, ADMINS).sort()).toEqual(['Administrator', 'admin', 'alice']);
    expect(w.users.get('alice')).toMatchObject({
      enabled: true,
      fullName: 'Alice Lindqvist',
      password: PASSWORDS.ALICE_PW,
    });
    expect(w.users.get('dana')).toMatchObject({ enabled: false }); // disabled, not deleted
    expect(w.computer.pending).toBe(DEV.name.toUpperCase());
    expect(w.reboots).toBe(0); // win_reboot is false: reported only
    const reboot = r.events.find((e) => e.type === 'task' && e.host === DEV.name && e.task === 'reboot');
    expect(reboot?.message).toMatch(/reboot pending \(computer rename\): set win_reboot: true/);
    const report = r.events.find(
      (e) => e.type === 'task' && e.host === GPU.name && e.task === 'Windows guest',
    );
    expect(report?.message).toMatch(/Windows Professional build 26100; VirtIO guest tools 0\.1\.262/);
    expect(report?.message).toMatch(/GPU driver: NVIDIA GeForce RTX 3090 32\.0\.15\.6094/);
    const chen = r.events.find((e) => e.type === 'task' && e.host === DEV.name && e.task === 'account chen');
    expect(chen).toMatchObject({
      status: 'ok',
      message: expect.stringMatching(/no password in the site model \(SSO only\)/),
    });
    expect(w.users.has('chen')).toBe(false);
    // NLA was already required: read, compared, left alone.
    const nla = r.events.find((e) => e.type === 'task' && e.host === DEV.name && e.task === 'NLA required');
    expect(nla?.status).toBe('ok');
    // --diff shows the setting before and after.
    const rules = r.events.find(
      (e) => e.type === 'task' && e.host === DEV.name && e.task === 'Remote Desktop firewall rules',
    );
    expect(rules?.diff).toContain('-RemoteDesktop-UserMode-In-TCP remote addresses: Any');
    expect(rules?.diff).toContain(
      '+RemoteDesktop-UserMode-In-TCP remote addresses: 192.168.10.5, 192.168.1.0/24',
    );
  });

  it('a second run changes nothing and sends only the read script', async () => {
    const before = logLength();
    const r = await site.run();
    expect(r.code, summary(r)).toBe(0);
    expect(changeLines(r)).toEqual([]);
    expect(site.scripts(DEV.vmid, before.dev)).toEqual(['windows-rdp read']);
    expect(site.scripts(GPU.vmid, before.gpu)).toEqual(['windows-rdp read']);
  });

  it('drift made in the guest is corrected, and only that is changed', async () => {
    const w = site.win(DEV.vmid);
    w.userAuthentication = 0;
    w.fDenyTSConnections = 1;
    w.rules.get('RemoteDesktop-UserMode-In-UDP')!.enabled = false;
    w.rules.get('RemoteDesktop-UserMode-In-TCP')!.remoteAddress = ['Any'];
    w.users.get('bruno')!.password = 'changed-by-hand';
    w.groups.get(ADMINS)!.members.add(sidOf(DEV.vmid, 'bruno'));
    w.users.get('alice')!.enabled = false;
    const check = await site.run(['--check']);
    expect(check.code, summary(check)).toBe(0);
    const r = await site.run();
    expect(r.code, summary(r)).toBe(0);
    expect(changeLines(r)).toEqual(changeLines(check));
    expect(changeLines(r)).toEqual(
      [
        `${DEV.name}: RDP on: fDenyTSConnections 1 → 0`,
        `${DEV.name}: NLA required: UserAuthentication 0 → 1`,
        `${DEV.name}: Remote Desktop firewall rules: RemoteDesktop-UserMode-In-TCP remote addresses Any → 192.168.10.5, 192.168.1.0/24`,
        `${DEV.name}: Remote Desktop firewall rules: RemoteDesktop-UserMode-In-UDP enabled false → true`,
        `${DEV.name}: account alice: enabled false → true`,
        `${DEV.name}: account alice: password → set (from the vault)`,
        `${DEV.name}: account bruno: password → set (from the vault)`,
        `${DEV.name}: account bruno: member of Administrators true → false`,
      ].sort(),
    );
    expect(w.users.get('bruno')!.password).toBe(PASSWORDS.BRUNO_PW);
    expect(members(DEV.vmid, ADMINS)).not.toContain('bruno');
    const again = await site.run();
    expect(changeLines(again)).toEqual([]);
  });

  it('a user dropped from the map is disabled and taken out of the RDP group, not deleted', async () => {
    site.writeInventory((inv) => {
      delete inv.all.vars.site_users.bruno;
    });
    const r = await site.run();
    expect(r.code, summary(r)).toBe(0);
    expect(changeLines(r)).toEqual(
      [
        `${DEV.name}: account bruno (no longer assigned): enabled true → false`,
        `${DEV.name}: account bruno (no longer assigned): member of Remote Desktop Users true → false`,
      ].sort(),
    );
    expect(site.win(DEV.vmid).users.get('bruno')).toMatchObject({ enabled: false });
    expect(members(DEV.vmid, 'S-1-5-32-555')).toEqual(['alice']);
    expect(changeLines(await site.run())).toEqual([]);
  });

  it('an absent user is removed', async () => {
    site.writeInventory((inv) => {
      delete inv.all.vars.site_users.bruno;
      inv.all.vars.site_users.dana.state = 'absent';
    });
    const r = await site.run();
    expect(r.code, summary(r)).toBe(0);
    expect(changeLines(r)).toEqual([`${DEV.name}: account dana: state present → absent`]);
    expect(site.win(DEV.vmid).users.has('dana')).toBe(false);
    expect(changeLines(await site.run())).toEqual([]);
  });

  it('with win_reboot a pending rename is made active by a reboot through the agent', async () => {
    site.writeInventory((inv) => {
      inv.all.children.windows_vms.vars.win_reboot = true;
      delete inv.all.vars.site_users.bruno;
      inv.all.vars.site_users.dana.state = 'absent';
    });
    // A reboot Windows Update wants is reported, never made by the role.
    site.win(GPU.vmid).externalRebootReasons.add('Windows Update');
    site.win(GPU.vmid).computer.active = site.win(GPU.vmid).computer.pending;
    const gpu = await site.run(['--limit', GPU.name]);
    expect(changeLines(gpu)).toEqual([]);
    expect(gpu.events.find((e) => e.type === 'task' && e.task === 'reboot')?.message).toBe(
      'reboot pending (Windows Update)',
    );
    expect(site.win(GPU.vmid).reboots).toBe(0);
    site.win(GPU.vmid).externalRebootReasons.clear();

    const boot = site.win(DEV.vmid).bootTime;
    const check = await site.run(['--check', '--limit', DEV.name]);
    expect(changeLines(check)).toEqual([`${DEV.name}: reboot: computer rename`]);
    const r = await site.run(['--limit', DEV.name]);
    expect(r.code, summary(r)).toBe(0);
    expect(changeLines(r)).toEqual([`${DEV.name}: reboot: computer rename`]);
    const w = site.win(DEV.vmid);
    expect(w.reboots).toBe(1);
    expect(w.bootTime).toBeGreaterThan(boot);
    expect(w.computer.active).toBe(DEV.name.toUpperCase());
    expect(changeLines(await site.run(['--limit', DEV.name]))).toEqual([]);
    site.writeInventory();
  });

  it('no password is on any command line, in any task log or in the output', async () => {
    const leaks: string[] = [];
    for (const pw of Object.values(PASSWORDS)) {
      for (const q of site.sim.requests) {
        const { ['input-data']: _stdin, ...rest } = q.params as Record<string, unknown>;
        if (JSON.stringify([q.path, rest]).includes(pw)) leaks.push(`request ${q.method} ${q.path}`);
        const command = (q.params as { command?: string[] }).command;
        if (Array.isArray(command)) {
          const d = decodeCommand(command);
          if ('script' in d && d.script.includes(pw)) leaks.push(`script ${d.name}`);
        }
      }
      for (const t of site.sim.state.tasks.values())
        if (JSON.stringify(t).includes(pw)) leaks.push(`task ${t.upid}`);
    }
    expect(leaks).toEqual([]);
    // The passwords did travel, on stdin only.
    const stdin = site.sim.requests.filter((q) => typeof q.params['input-data'] === 'string');
    expect(stdin.some((q) => String(q.params['input-data']).includes(PASSWORDS.ALICE_PW))).toBe(true);
    const r = await site.run(['-v', '--diff']);
    for (const pw of Object.values(PASSWORDS)) expect(r.stdout + r.stderr).not.toContain(pw);
  });

  it('a Home edition is refused with a clear error before anything is changed', async () => {
    const w = site.win(GPU.vmid);
    w.editionId = 'Core';
    w.productName = 'Windows 10 Home';
    const before = logLength();
    const r = await site.run(['--limit', GPU.name]);
    expect(r.code).toBe(2);
    const failed = r.events.find((e) => e.type === 'task' && e.status === 'failed');
    expect(failed?.task).toBe('Windows guest');
    expect(failed?.error).toMatch(
      /vm-gpu-01 runs Windows 10 Home \(EditionID Core\): Windows Home has no Remote Desktop server; windows-rdp needs Pro, Enterprise or Education/,
    );
    expect(site.scripts(GPU.vmid, before.gpu)).toEqual(['windows-rdp read']);
    w.editionId = 'Professional';
  });

  it('an agent that never answers is waited for, then a clear error', async () => {
    site.writeInventory((inv) => {
      inv.all.children.windows_vms.vars.win_agent_timeout_s = 1;
    });
    const vm = site.sim.state.vms.get(GPU.vmid)!;
    vm.guest.agentAt = undefined; // qemu-ga never starts
    const r = await site.run(['--limit', GPU.name]);
    expect(r.code).toBe(2);
    const failed = r.events.find((e) => e.type === 'task' && e.status === 'failed');
    expect(failed?.error).toMatch(
      /vm-gpu-01: the QEMU guest agent did not answer within 1 s \(is the VM still booting\? is the QEMU Guest Agent service installed and running/,
    );
    const pings = site.sim.requests.filter(
      (q) => q.path.endsWith(`/${GPU.vmid}/agent/ping`) && q.status === 500,
    );
    expect(pings.length).toBeGreaterThan(1); // waited, not failed at the first answer
    vm.guest.agentAt = Date.now();
    site.writeInventory();
  });

  it('a script that fails reports its exit code and standard error', async () => {
    site.sim.state.guestExec = () => ({ exitcode: 1, err: 'Access is denied. (line 3)\r\n' });
    const r = await site.run(['--limit', DEV.name]);
    site.sim.state.guestExec = undefined;
    expect(r.code).toBe(2);
    const failed = r.events.find((e) => e.type === 'task' && e.status === 'failed');
    expect(failed?.error).toBe(
      `${DEV.name}: PowerShell "windows-rdp read" failed with exit code 1: Access is denied. (line 3)`,
    );
  });
});
