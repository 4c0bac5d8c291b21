/**
 * `playbook history` on synthetic run records: newest first, one run shown in full by id, prefix
 * or `last`, and lastFailedHosts — the failed and unreachable hosts of the newest run (of a given
 * playbook), which `playbook PLAYBOOK --last-failed` reruns.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findRun,
  formatList,
  formatRun,
  historyCommand,
  lastFailedHosts,
  listRuns,
} from '../../lib/cli/history-command.js';
import type { RunRecord, RecordedHost } from '../../lib/report/run-record.js';

const host = (
  status: RecordedHost['status'],
  tasks: RecordedHost['tasks'] = [],
  error?: string,
): RecordedHost => ({
  status,
  counts: {
    ok: status === 'ok' ? 1 : 0,
    changed: status === 'changed' ? 1 : 0,
    failed: status === 'failed' ? 1 : 0,
    skipped: 0,
    unreachable: status === 'unreachable' ? 1 : 0,
  },
  tasks,
  ...(error ? { error } : {}),
});

function record(
  id: string,
  startedAt: string,
  playbook: string,
  hosts: Record<string, RecordedHost>,
  exitCode: number,
): RunRecord {
  const names = Object.keys(hosts);
  return {
    version: 1,
    id,
    user: 'alice',
    controller: 'ctl',
    cwd: process.cwd(),
    startedAt,
    endedAt: startedAt,
    durationMs: 1234,
    playbook,
    options: {
      check: false,
      diff: false,
      limit: [],
      tags: [],
      skipTags: [],
      roles: [],
      extraVarNames: ['admin_password'],
    },
    inventory: { sources: ['inventory/site.yml'], files: [], digest: 'ab'.repeat(32) },
    plays: [],
    hosts,
    failedHosts: names.filter((n) => hosts[n]!.status === 'failed'),
    unreachableHosts: names.filter((n) => hosts[n]!.status === 'unreachable'),
    exitCode,
    status: exitCode === 0 ? 'ok' : exitCode === 2 ? 'failed' : 'unreachable',
  };
}

function runsDir() {
  const dir = mkdtempSync(join(tmpdir(), 'ns-history-'));
  const put = (r: RunRecord) =>
    writeFileSync(join(dir, `${r.id}.json`), JSON.stringify(r, null, 2), { mode: 0o600 });
  // Written out of order on purpose; a stray file and a broken record are ignored.
  put(
    record(
      '20250103T100000Z-cccccc',
      '2025-01-03T10:00:00.000Z',
      'site.ts',
      {
        h1: host('ok'),
        h2: host('failed', [
          {
            role: 'base',
            task: 'config',
            status: 'failed',
            error: 'boom',
            startedAt: '2025-01-03T10:00:00.000Z',
            durationMs: 5,
          },
        ]),
        h3: host('unreachable', [], 'no route'),
      },
      2,
    ),
  );
  put(
    record(
      '20250101T100000Z-aaaaaa',
      '2025-01-01T10:00:00.000Z',
      'site.ts',
      {
        h1: host('changed', [
          {
            role: 'base',
            task: 'config',
            status: 'changed',
            changes: ['/etc/app.conf created'],
            startedAt: '2025-01-01T10:00:00.000Z',
            durationMs: 5,
          },
        ]),
      },
      0,
    ),
  );
  put(record('20250104T100000Z-dddddd', '2025-01-04T10:00:00.000Z', 'other.ts', { h9: host('failed') }, 2));
  put(record('20250102T100000Z-bbbbbb', '2025-01-02T10:00:00.000Z', 'site.ts', { h1: host('ok') }, 0));
  writeFileSync(join(dir, 'notes.txt'), 'not a record');
  writeFileSync(join(dir, 'broken.json'), '{"id": ');
  return dir;
}

afterEach(() => vi.restoreAllMocks());

function capture() {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  return () => out;
}

describe('playbook history', () => {
  it('lists runs newest first with user, playbook, exit code and host counts', () => {
    const dir = runsDir();
    const runs = listRuns(dir);
    expect(runs.map((r) => r.id)).toEqual([
      '20250104T100000Z-dddddd',
      '20250103T100000Z-cccccc',
      '20250102T100000Z-bbbbbb',
      '20250101T100000Z-aaaaaa',
    ]);
    const lines = formatList(runs).trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^ID\s+STARTED\s+USER\s+PLAYBOOK\s+MODE\s+EXIT\s+HOSTS\s+OK\s+CHANGED\s+FAILED\s+UNREACHABLE$/,
    );
    expect(lines[2]).toMatch(
      /^20250103T100000Z-cccccc\s+2025-01-0\d \d\d:\d\d:\d\d\s+alice\s+site\.ts\s+run\s+2\s+3\s+1\s+0\s+1\s+1$/,
    );
    expect(lines).toHaveLength(5);
  });

  it('finds a run by id, unique prefix or "last", and shows its hosts, tasks and changes', () => {
    const dir = runsDir();
    expect(findRun(dir, 'last').id).toBe('20250104T100000Z-dddddd');
    expect(findRun(dir, '20250101').id).toBe('20250101T100000Z-aaaaaa');
    expect(() => findRun(dir, '2025')).toThrow(/matches 4 runs/);
    expect(() => findRun(dir, 'nope')).toThrow(/no run nope/);
    const shown = formatRun(findRun(dir, '20250101T100000Z-aaaaaa').record);
    expect(shown).toContain('run 20250101T100000Z-aaaaaa');
    expect(shown).toContain('-e (admin_password)');
    expect(shown).toMatch(/h1 {2}changed/);
    expect(shown).toContain('    base | config | changed\n        /etc/app.conf created');
    const failed = formatRun(findRun(dir, '20250103').record);
    expect(failed).toContain('failed       h2');
    expect(failed).toContain('unreachable  h3');
    expect(failed).toContain('    unreachable: no route');
  });

  it('lastFailedHosts: the failed and unreachable hosts of the newest run, of the playbook asked for', () => {
    const dir = runsDir();
    expect(lastFailedHosts(dir)).toEqual(['h9']);
    expect(lastFailedHosts(dir, { playbook: 'site.ts' })).toEqual(['h2', 'h3']);
    expect(lastFailedHosts(dir, { playbook: 'nothing.ts' })).toEqual([]);
    expect(lastFailedHosts(join(dir, 'missing'))).toEqual([]);
  });

  it('the command: list, show, --last-failed, --json', async () => {
    const dir = runsDir();
    let out = capture();
    expect(await historyCommand(['--dir', dir])).toBe(0);
    expect(out().split('\n')[1]).toMatch(/^20250104T100000Z-dddddd/);
    vi.restoreAllMocks();
    out = capture();
    expect(await historyCommand(['show', '20250103', '--dir', dir])).toBe(0);
    expect(out()).toContain('run 20250103T100000Z-cccccc');
    vi.restoreAllMocks();
    out = capture();
    expect(await historyCommand(['--last-failed', '--playbook', 'site.ts', '--dir', dir])).toBe(0);
    expect(out()).toBe('h2\nh3\n');
    vi.restoreAllMocks();
    out = capture();
    expect(await historyCommand(['show', 'last', '--json', '--dir', dir])).toBe(0);
    expect(JSON.parse(out()).id).toBe('20250104T100000Z-dddddd');
    vi.restoreAllMocks();
    await expect(historyCommand(['frob', '--dir', dir])).rejects.toThrow(/unknown history action/);
  });
});
