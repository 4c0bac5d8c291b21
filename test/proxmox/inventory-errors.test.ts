/**
 * Bad inventory input for the Proxmox roles is refused before anything is sent: exit 4, every
 * problem named with its file and variable, and the simulator sees no request at all — also for
 * a bad value on pve1, which no play targets (its variables are checked because the VM roles
 * read them through pve_host).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSite, type Site } from './support.js';

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});
beforeEach(() => site.writeInventory());

describe('bad inventory input for the Proxmox roles', () => {
  it('exits 4 naming the file and each bad field, and sends no request', async () => {
    site.writeInventory((inv) => {
      inv.all.children.proxmox.hosts.pve1.pve_fingerprint = 'AA:BB:CC';
      inv.all.children.proxmox_vms.children.dev_vms.hosts['vm-dev-02'].vm_cores = 'four';
      inv.all.children.proxmox_vms.children.gpu_vms.hosts['vm-gpu-01'].gpu_device = 'RTX 3090';
    });
    const r = await site.run();
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      /hosts\.yml:\d+: host pve1 \(read through pve_host\), role \S+: variable pve_fingerprint \(from inventory\) must match pattern/,
    );
    expect(r.stderr).toMatch(
      /hosts\.yml:\d+: host vm-dev-02, role dev-vm: variable vm_cores \(from inventory\) must be integer/,
    );
    expect(r.stderr).toMatch(
      /hosts\.yml:\d+: host vm-gpu-01, role gpu-vm: variable gpu_device \(from inventory\) must match pattern/,
    );
    expect(site.sim.requests).toEqual([]);
  });

  it('refuses a reference to a host that is not in the inventory, and a missing token secret', async () => {
    site.writeInventory((inv) => {
      inv.all.children.proxmox_vms.children.dev_vms.hosts['vm-dev-01'].vm_template = 'tpl-ubuntu-2404';
    });
    const r = await site.run();
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      /hosts\.yml:\d+: host vm-dev-01, role dev-vm: variable vm_template must name a host of the inventory, got "tpl-ubuntu-2404"/,
    );
    const noSecret = await site.run([], { env: { PVE_TOKEN_SECRET: '' } });
    expect(noSecret.code, noSecret.stderr).toBe(4);
    expect(noSecret.stderr).toMatch(
      /hosts\.yml:\d+: variable pve_token_secret: !env PVE_TOKEN_SECRET: environment variable PVE_TOKEN_SECRET is empty/,
    );
    expect(site.sim.requests).toEqual([]);
  });

  it('with --limit on one VM, still resolves the secret of pve1, which is outside the run', async () => {
    const r = await site.run(['--check', '--limit', 'vm-dev-01'], { env: { PVE_TOKEN_SECRET: '' } });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/pve_token_secret: !env PVE_TOKEN_SECRET/);
    expect(site.sim.requests).toEqual([]);
    const ok = await site.run(['--check', '--limit', 'vm-dev-01']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(site.sim.requests.length).toBeGreaterThan(0);
    expect(site.sim.requests.every((q) => q.method === 'GET' && q.auth === 'token')).toBe(true);
  });
});
