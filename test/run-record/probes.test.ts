/**
 * The reads each role sent (issue 21's prefetch) in the run record, and lastProbesOf finding the
 * newest record of the same playbook: what the next run sends in one round trip per role.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastProbesOf, runRecordReporter } from '../../lib/report/run-record.js';

describe('probes in the run record', () => {
  it('keeps each role’s reads per host, and the next run finds the newest record of its playbook', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-probes-'));
    const runs = join(dir, 'runs');
    const inventory = join(dir, 'hosts.yml');
    writeFileSync(inventory, 'all:\n  hosts:\n    h1: {}\n');
    const options = { check: false, diff: false };
    const record = (playbook: string, command: string, at: string) => {
      const r = runRecordReporter({
        dir: runs,
        playbook: join(dir, playbook),
        options,
        inventoryFiles: [inventory],
        now: () => new Date(at),
      });
      r.event({ type: 'probes', host: 'h1', role: 'base', probes: [{ command, inShell: true }] });
      return r.finish(0);
    };
    expect(lastProbesOf(runs, join(dir, 'site.ts'))).toEqual({});
    await record('site.ts', 'echo old', '2025-01-01T00:00:00Z');
    await record('site.ts', 'echo new', '2025-01-02T00:00:00Z');
    await record('other.ts', 'echo other', '2025-01-03T00:00:00Z');
    expect(lastProbesOf(runs, join(dir, 'site.ts'))).toEqual({
      h1: { base: [{ command: 'echo new', inShell: true }] },
    });
    expect(lastProbesOf(runs, join(dir, 'other.ts')).h1?.base?.[0]?.command).toBe('echo other');
    expect(lastProbesOf(join(dir, 'none'), join(dir, 'site.ts'))).toEqual({});
  });
});
