/**
 * The least privileges of the site's API token (README "Proxmox VE"): the whole Proxmox part of
 * the site converges with a token that has only these, and each of them is used by at least one
 * permission check (the simulator evaluates the schema's `permissions` of every endpoint and
 * qemu-server's per-option rules, against `sim.tokenPrivileges`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSite, summary, type Site } from './support.js';

/** Kept in step with the README's table. */
export const LEAST_PRIVILEGES = [
  'VM.Audit',
  'VM.Allocate',
  'VM.Clone',
  'VM.PowerMgmt',
  'VM.Config.CPU',
  'VM.Config.Memory',
  'VM.Config.Disk',
  'VM.Config.CDROM',
  'VM.Config.Network',
  'VM.Config.HWType',
  'VM.Config.Options',
  'VM.Config.Cloudinit',
  'VM.GuestAgent.Audit',
  'VM.GuestAgent.Unrestricted',
  'Datastore.AllocateSpace',
  'Datastore.AllocateTemplate',
  'Datastore.Allocate',
  'Sys.Audit',
  'Sys.AccessNetwork',
  'SDN.Use',
  'Mapping.Modify',
  'Mapping.Use',
];

/** A privilege set that remembers which privileges granted a check. */
class Recording extends Set<string> {
  readonly used = new Set<string>();
  override has(value: string): boolean {
    const granted = super.has(value);
    if (granted && this.used) this.used.add(value);
    return granted;
  }
}

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});

describe('the API token needs only the privileges the README lists', () => {
  it('converges the site with exactly those, each of them used', async () => {
    const granted = new Recording(LEAST_PRIVILEGES);
    site.sim.tokenPrivileges = granted;
    const r = await site.run();
    expect(site.sim.permissionDenials).toEqual([]);
    expect(r.code, summary(r)).toBe(0);
    expect([...granted.used].sort()).toEqual([...LEAST_PRIVILEGES].sort());
    expect(site.sim.violations).toEqual([]);
  });

  it('fails with a clear message when one is missing', async () => {
    site.sim.tokenPrivileges = new Set(LEAST_PRIVILEGES.filter((p) => p !== 'VM.PowerMgmt'));
    site.sim.state.vms.get(2001)!.status = 'stopped';
    const r = await site.run(['--limit', 'vm-dev-01']);
    expect(r.code).toBe(2);
    expect(r.events.find((e) => e.type === 'task' && e.status === 'failed')?.error).toMatch(
      /403 Permission check failed \(\/vms\/2001, VM\.PowerMgmt\)/,
    );
  });
});
