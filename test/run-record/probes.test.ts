/**
 * The reads each role sent (issue 21's prefetch) in the run record, and lastProbesOf finding the
 * newest record of the same playbook: what the next run sends in one round trip per role.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastProbesOf, readRunRecord, runRecordReporter } from '../../lib/report/run-record.js';

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

  it('keeps each distinct command once, only in the final record, and still reads older records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-probes-'));
    const runs = join(dir, 'runs');
    const inventory = join(dir, 'hosts.yml');
    writeFileSync(inventory, 'all:\n  hosts:\n    h1: {}\n    h2: {}\n');
    const playbook = join(dir, 'site.ts');
    const r = runRecordReporter({
      dir: runs,
      playbook,
      options: { check: false, diff: false },
      inventoryFiles: [inventory],
    });
    const shared = `cat /etc/motd ${'x'.repeat(2000)}`;
    r.event({
      type: 'probes',
      host: 'h1',
      role: 'base',
      probes: [{ command: shared, inShell: true }, { command: 'echo h1' }],
    });
    r.event({
      type: 'probes',
      host: 'h2',
      role: 'base',
      probes: [{ command: 'echo h2' }, { command: shared, inShell: true }],
    });
    r.event({
      type: 'task',
      host: 'h1',
      role: 'base',
      task: 't',
      status: 'ok',
      startedAt: Date.now(),
      durationMs: 1,
    } as never);
    // The write made as the run goes (a killed run's record) holds the tasks, not the reads.
    await new Promise((done) => setTimeout(done, 50));
    const during = readRunRecord(
      join(
        runs,
        readdirSync(runs).find((n) => n.endsWith('.json'))!,
      ),
    );
    expect(during.status).toBe('incomplete');
    expect(during.probeCommands).toBeUndefined();
    expect(Object.values(during.hosts).some((h) => h.probes)).toBe(false);
    const path = await r.finish(0);
    const text = readFileSync(path, 'utf8');
    expect(text.split('x'.repeat(2000)).length - 1).toBe(1); // the long command once
    const record = readRunRecord(path);
    expect(record.probeCommands).toEqual([shared, 'echo h1', 'echo h2']);
    expect(record.hosts.h2?.probes).toEqual({ base: [{ command: 2 }, { command: 0, inShell: true }] });
    expect(lastProbesOf(runs, playbook)).toEqual({
      h1: { base: [{ command: shared, inShell: true }, { command: 'echo h1' }] },
      h2: { base: [{ command: 'echo h2' }, { command: shared, inShell: true }] },
    });
    // A record written before the table existed holds the commands themselves.
    const old = {
      ...record,
      id: 'zzz',
      probeCommands: undefined,
      hosts: { h1: { ...record.hosts.h1, probes: { base: [{ command: 'echo old' }] } } },
    };
    writeFileSync(join(runs, '99999999T000000Z-old.json'), JSON.stringify(old));
    // (h2 is not in it: its reads still come from the record before.)
    expect(lastProbesOf(runs, playbook).h1).toEqual({ base: [{ command: 'echo old' }] });
    expect(lastProbesOf(runs, playbook).h2?.base?.[0]).toEqual({ command: 'echo h2' });
  });

  it('takes each host’s reads from the newest record that has them (a --limit run keeps the others’)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-probes-'));
    const runs = join(dir, 'runs');
    const inventory = join(dir, 'hosts.yml');
    writeFileSync(inventory, 'all:\n  hosts:\n    h1: {}\n    h2: {}\n');
    const playbook = join(dir, 'site.ts');
    const run = (at: string, probes: Record<string, string>) => {
      const r = runRecordReporter({
        dir: runs,
        playbook,
        options: { check: false, diff: false },
        inventoryFiles: [inventory],
        now: () => new Date(at),
      });
      for (const [host, command] of Object.entries(probes))
        r.event({ type: 'probes', host, role: 'base', probes: [{ command }] });
      return r.finish(0);
    };
    await run('2025-01-01T00:00:00Z', { h1: 'echo h1 old', h2: 'echo h2 old' });
    await run('2025-01-02T00:00:00Z', { h1: 'echo h1 new' }); // --limit h1
    expect(lastProbesOf(runs, playbook)).toEqual({
      h1: { base: [{ command: 'echo h1 new' }] },
      h2: { base: [{ command: 'echo h2 old' }] },
    });
    // Given the run's hosts, only theirs, and it stops at the first record that has them all.
    expect(lastProbesOf(runs, playbook, ['h1'])).toEqual({ h1: { base: [{ command: 'echo h1 new' }] } });
  });
});
