/**
 * The least privileges of the site's API token (README "Proxmox VE"): the whole Proxmox part of
 * the site converges with a token that has only these, and each of them is used by at least one
 * permission check (the simulator evaluates the schema's `permissions` of every endpoint and
 * qemu-server's per-option rules, against `sim.tokenPrivileges`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LEAST_PRIVILEGES, LEAST_PRIVILEGE_NAMES } from '../../lib/proxmox/privileges.js';
import { repoRoot } from '../support/cli.js';
import { startSite, summary, type Site } from './support.js';

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

describe('the privilege list is one list', () => {
  it("the README's table and its pveum line say exactly what lib/proxmox/privileges.ts says", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    // The section only, up to the next heading: other sections have tables of their own.
    const heading = '### The API token and its least privileges\n';
    const body = readme.slice(readme.indexOf(heading) + heading.length);
    const next = body.search(/^#{1,3} /m);
    const section = next < 0 ? body : body.slice(0, next);
    const rows = [...section.matchAll(/^\| `([A-Za-z.]+)` \| (.*) \|$/gm)].map((m) => ({
      name: m[1],
      neededFor: m[2],
    }));
    expect(rows).toEqual(LEAST_PRIVILEGES.map((p) => ({ name: p.name, neededFor: p.neededFor })));
    const privs = /pveum role add NovaStation -privs "([^"]+)"/.exec(section)?.[1];
    expect(privs?.split(' ')).toEqual(LEAST_PRIVILEGE_NAMES);
  });
});

describe('the API token needs only the privileges the README lists', () => {
  it('converges the site with exactly those, each of them used', async () => {
    const granted = new Recording(LEAST_PRIVILEGE_NAMES);
    site.sim.tokenPrivileges = granted;
    const r = await site.run();
    expect(site.sim.permissionDenials).toEqual([]);
    expect(r.code, summary(r)).toBe(0);
    expect([...granted.used].sort()).toEqual([...LEAST_PRIVILEGE_NAMES].sort());
    expect(site.sim.violations).toEqual([]);
  });

  it('fails with a clear message when one is missing', async () => {
    site.sim.tokenPrivileges = new Set(LEAST_PRIVILEGE_NAMES.filter((p) => p !== 'VM.PowerMgmt'));
    site.sim.state.vms.get(2001)!.status = 'stopped';
    const r = await site.run(['--limit', 'vm-dev-01']);
    expect(r.code).toBe(2);
    expect(r.events.find((e) => e.type === 'task' && e.status === 'failed')?.error).toMatch(
      /403 Permission check failed \(\/vms\/2001, VM\.PowerMgmt\)/,
    );
  });
});
