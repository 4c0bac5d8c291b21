/**
 * The run record from synthetic events: one JSON file per run, 0600 in a 0700 folder, with who,
 * when, the playbook, the options (extra vars by name only), the inventory digest, every host's
 * tasks and changes, failed and unreachable hosts and the exit code — and no secret in any form
 * (raw, base64, URL-encoded, JSON-escaped), wherever in the events it was.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, relative } from 'node:path';
import {
  defaultRunsDir,
  inventoryFilesOf,
  runRecordReporter,
  type RunRecord,
} from '../../lib/report/run-record.js';
import { secret } from '../../lib/secret.js';
import type { RunEvent } from '../../lib/report/events.js';

/** The forms a secret travels in, as lib/secret.ts's masker knows them. */
function leakForms(raw: string): string[] {
  const b64 = Buffer.from(raw).toString('base64');
  return [raw, b64, b64.replace(/=+$/, ''), encodeURIComponent(raw), JSON.stringify(raw).slice(1, -1)];
}

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'ns-record-'));
  const inv = join(dir, 'inventory');
  mkdirSync(join(inv, 'group_vars'), { recursive: true });
  writeFileSync(join(inv, 'site.yml'), 'all:\n  hosts:\n    h1: {}\n    h2: {}\n    h3: {}\n');
  writeFileSync(join(inv, 'group_vars', 'all.yml'), 'x: 1\n');
  return { dir, inventory: join(inv, 'site.yml') };
}

const t0 = Date.parse('2025-01-02T03:04:05.000Z');
const task = (
  host: string,
  t: string,
  status: 'ok' | 'changed' | 'failed' | 'skipped',
  extra: Partial<RunEvent & { type: 'task' }> = {},
): RunEvent => ({
  type: 'task',
  host,
  role: 'base',
  task: t,
  status,
  startedAt: t0 + 1000,
  durationMs: 12,
  ...extra,
});

describe('run record', () => {
  it('records who, when, what, where and how it ended, with no secret in any form, mode 0600 in a 0700 folder', async () => {
    const { dir, inventory } = workspace();
    const pw = secret('R3c0rd "pa$$/wörd" +=?');
    const forms = leakForms(pw.reveal());
    let clock = t0;
    const record = runRecordReporter({
      playbook: join(dir, 'site.ts'),
      options: {
        check: false,
        diff: true,
        forks: 8,
        tags: { only: ['web'], skip: ['slow'] },
        limit: ['h1:h2:h3'],
        roles: ['base'],
        extraVars: { admin_password: pw, debug: true },
      },
      inventoryFiles: [inventory],
      now: () => new Date((clock += 500)),
    });
    const events: RunEvent[] = [
      { type: 'play', name: 'site', pattern: 'all', hosts: ['h1', 'h2', 'h3'] },
      { type: 'task-start', host: 'h1', role: 'base', task: 'config', startedAt: t0 },
      task('h1', 'config', 'changed', {
        changes: [`/etc/app.conf: content sha256:aaa → sha256:bbb`, `password set to ${pw.reveal()}`],
        diff: `+password=${pw.reveal()}`,
      }),
      task('h1', 'service', 'ok', { message: `token ${forms[1]} and ${forms[3]}` }),
      task('h1', 'restart', 'changed', { handler: true, changes: ['unit app.service restarted'] }),
      task('h2', 'config', 'failed', { error: `command failed: echo "${forms[4]}"` }),
      { type: 'host', host: 'h3', status: 'unreachable', error: 'connect ECONNREFUSED 10.0.0.3:22' },
      { type: 'log', host: 'h1', message: `verbose ${pw.reveal()}` },
      {
        type: 'recap',
        hosts: {
          h1: { ok: 1, changed: 2, failed: 0, skipped: 0, unreachable: 0 },
          h2: { ok: 0, changed: 0, failed: 1, skipped: 0, unreachable: 0 },
          h3: { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 1 },
        },
        durationMs: 1500,
      },
    ];
    for (const e of events) record.event(e);
    const path = await record.finish(2);
    await record.close();

    expect(path).toBe(join(dir, 'inventory', '.novastation', 'runs', `${record.id}.json`));
    expect(record.id).toMatch(/^20250102T030405Z-[0-9a-f]{6}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(path, '..'))).toEqual([`${record.id}.json`]);

    const text = readFileSync(path, 'utf8');
    for (const form of forms) expect(text, `form ${form}`).not.toContain(form);
    expect(text).not.toContain('R3c0rd');

    const r = JSON.parse(text) as RunRecord;
    expect(r).toMatchObject({
      version: 1,
      id: record.id,
      user: userInfo().username,
      startedAt: '2025-01-02T03:04:05.500Z',
      endedAt: '2025-01-02T03:04:06.000Z',
      durationMs: 500,
      exitCode: 2,
      status: 'failed',
      failedHosts: ['h2'],
      unreachableHosts: ['h3'],
      options: {
        check: false,
        diff: true,
        forks: 8,
        tags: ['web'],
        skipTags: ['slow'],
        limit: ['h1:h2:h3'],
        roles: ['base'],
        extraVarNames: ['admin_password', 'debug'],
      },
      plays: [{ name: 'site', pattern: 'all', hosts: ['h1', 'h2', 'h3'] }],
    });
    expect(r.playbook).toBe(join(dir, 'site.ts')); // outside the working folder: absolute
    expect(r.cwd).toBe(process.cwd());
    expect(r.hosts.h1!.status).toBe('changed');
    expect(r.hosts.h1!.counts).toEqual({ ok: 1, changed: 2, failed: 0, skipped: 0, unreachable: 0 });
    expect(r.hosts.h1!.tasks.map((t) => [t.task, t.status, t.handler ?? false])).toEqual([
      ['config', 'changed', false],
      ['service', 'ok', false],
      ['restart', 'changed', true],
    ]);
    expect(r.hosts.h1!.tasks[0]!.changes).toEqual([
      '/etc/app.conf: content sha256:aaa → sha256:bbb',
      'password set to ********',
    ]);
    expect(r.hosts.h2).toMatchObject({
      status: 'failed',
      tasks: [{ task: 'config', status: 'failed', error: 'command failed: echo "********"' }],
    });
    expect(r.hosts.h3).toMatchObject({
      status: 'unreachable',
      error: 'connect ECONNREFUSED 10.0.0.3:22',
      tasks: [],
    });
    expect(text).not.toContain('+password='); // diffs (file contents) are not recorded
    expect(text).not.toContain('verbose'); // nor log lines

    // The inventory digest: every file the inventory reads, hashed.
    const files = inventoryFilesOf([inventory]);
    expect(files.map((f) => relative(dir, f))).toEqual([
      join('inventory', 'group_vars', 'all.yml'),
      join('inventory', 'site.yml'),
    ]);
    expect(r.inventory.files.map((f) => f.sha256)).toEqual(
      files.map((f) => createHash('sha256').update(readFileSync(f)).digest('hex')),
    );
    expect(r.inventory.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the digest changes when an inventory file does; finish() writes once; close() alone records an incomplete run', async () => {
    const { dir, inventory } = workspace();
    const runsDir = join(dir, 'records');
    const options = { check: true, diff: false };
    const a = runRecordReporter({ dir: runsDir, playbook: 'site.ts', options, inventoryFiles: [inventory] });
    const pa = await a.finish(0);
    expect(await a.finish(1)).toBe(pa);
    writeFileSync(join(dir, 'inventory', 'group_vars', 'all.yml'), 'x: 2\n');
    const b = runRecordReporter({ dir: runsDir, playbook: 'site.ts', options, inventoryFiles: [inventory] });
    await b.close();
    const ra = JSON.parse(readFileSync(pa, 'utf8')) as RunRecord;
    const rb = JSON.parse(readFileSync(join(runsDir, `${b.id}.json`), 'utf8')) as RunRecord;
    expect(ra.exitCode).toBe(0);
    expect(ra.status).toBe('ok');
    expect(ra.options.check).toBe(true);
    expect(rb.status).toBe('incomplete');
    expect(rb.exitCode).toBeNull();
    expect(rb.inventory.digest).not.toBe(ra.inventory.digest);
  });

  it('records the vault digest before and after (a generated secret changes it)', async () => {
    const { dir, inventory } = workspace();
    const vault = join(dir, 'inventory', 'secrets.vault');
    writeFileSync(vault, 'before');
    const rec = runRecordReporter({
      dir: join(dir, 'r'),
      playbook: 'site.ts',
      options: { check: false, diff: false },
      inventoryFiles: [inventory],
      vault,
    });
    writeFileSync(vault, 'after');
    const r = JSON.parse(readFileSync(await rec.finish(0), 'utf8')) as RunRecord;
    expect(r.vault!.sha256Before).not.toBe(r.vault!.sha256After);
  });

  it('goes beside the inventory by default, or where NOVASTATION_RUNS_DIR says', () => {
    const { dir, inventory } = workspace();
    expect(defaultRunsDir([inventory], {})).toBe(join(dir, 'inventory', '.novastation', 'runs'));
    expect(defaultRunsDir([join(dir, 'inventory')], {})).toBe(join(dir, '.novastation', 'runs'));
    expect(defaultRunsDir([inventory], { NOVASTATION_RUNS_DIR: '/var/log/ns' })).toBe('/var/log/ns');
  });
});
