/**
 * Recap honesty in check mode (issue 16 item 8): an action that runs whenever it is asked (a
 * service restart or reload) is reported as what would run — the task skipped, "check mode: would
 * run …" — not as a change found on the host; real differences in the same plan still are.
 * A fake resource stands in for the primitive: this is the contract (lib/resource.ts) alone.
 */
import { describe, expect, it } from 'vitest';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';

function service(plan: Change[]): Resource<string> & { applied: Change[][] } {
  const applied: Change[][] = [];
  return {
    id: 'service app',
    applied,
    read: async () => 'active',
    plan: () => plan,
    apply: async (_host, _current, changes) => void applied.push(changes),
  };
}
const host = (check: boolean) => ({ check }) as Host;
const restart: Change = { field: 'state', from: 'active', to: 'restarted', action: true };
const enable: Change = { field: 'unit file state', from: 'disabled', to: 'enabled' };

describe('check mode reports actions as what would run', () => {
  it('a restart alone: skipped, "would run", nothing applied', async () => {
    const r = service([restart]);
    expect(await converge(host(true), r)).toEqual({
      changed: false,
      skipped: true,
      message: 'check mode: would run service app: state active → restarted',
    });
    expect(r.applied).toEqual([]);
  });
  it('a restart with a real difference: changed for the difference, the restart marked as would run', async () => {
    const r = service([enable, restart]);
    expect(await converge(host(true), r)).toEqual({
      changed: true,
      changes: [
        'service app: unit file state disabled → enabled',
        'service app: state active → restarted (would run)',
      ],
    });
  });
  it('outside check mode a restart runs and is a change, as before', async () => {
    const r = service([restart]);
    expect(await converge(host(false), r)).toEqual({
      changed: true,
      changes: ['service app: state active → restarted'],
    });
    expect(r.applied).toEqual([[restart]]);
  });
});
