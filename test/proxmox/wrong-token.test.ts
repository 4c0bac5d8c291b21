/**
 * A wrong Proxmox token (issue 16 item 6): one authentication attempt per endpoint per run — not
 * one per VM host — and every host that uses the endpoint fails with one message naming the
 * endpoint and the variables to fix.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSite, VM_NAMES, type Site } from './support.js';

let site: Site | undefined;
afterEach(async () => {
  await site?.close();
  site = undefined;
});

describe('a wrong API token', () => {
  it('is tried once per run, and every VM host fails naming the endpoint and pve_token_id / pve_token_secret', async () => {
    site = await startSite();
    const s = site;
    const r = await s.run([], { env: { PVE_TOKEN_SECRET: '00000000-0000-0000-0000-000000000000' } });
    expect(r.code).toBe(2);
    const refused = s.sim.requests.filter((q) => q.status === 401);
    expect(refused, 'one authentication failure in the server log').toHaveLength(1);
    expect(
      s.sim.requests.filter((q) => q.status !== 401),
      'nothing else was sent',
    ).toEqual([]);
    const failed = r.events.filter((e) => e.type === 'task' && e.status === 'failed');
    expect(new Set(failed.map((e) => e.host))).toEqual(new Set(VM_NAMES));
    for (const e of failed) {
      expect(e.error).toContain(`Proxmox VE at ${s.sim.url}`);
      expect(e.error).toContain('the API token novastation@pve!site was refused');
      expect(e.error).toContain('check pve_token_id and pve_token_secret of pve1');
    }
    expect(r.stdout + r.stderr).not.toContain('00000000-0000-0000-0000-000000000000');
  });
});
