/**
 * `task(name, items, body)`: each item reported under its label, one task in the recap; every
 * item runs even after one failed; a second run reports ok; check mode plans per item and writes
 * nothing. Over a local connection (the items are plain folders and files under a temp dir).
 */
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, taskEvents } from '../support/cli.js';

const PLAYBOOK = 'test/tasks/fixtures/loop/playbook.ts';

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'ns-loop-'));
  const inventory = join(dir, 'hosts.yml');
  writeFileSync(inventory, `all:\n  hosts:\n    m1: { ansible_connection: local, work_dir: "${dir}/w" }\n`);
  return { dir, inventory, work: join(dir, 'w') };
}

describe('the loop form of task', () => {
  it('reports per item, counts as one task, runs every item after a failure', async () => {
    const { inventory, work } = workspace();

    const check = await runCli([PLAYBOOK, '-i', inventory, '--json', '--check']);
    expect(check.code, check.stderr).toBe(0);
    expect(existsSync(work)).toBe(false);
    expect(taskEvents(check, { task: 'folders' })[0]).toMatchObject({
      status: 'changed',
      changes: ['a', 'b', 'c'].map((n) => `(item=${n}) directory ${work}/${n}: state → directory created`),
    });

    const first = await runCli([PLAYBOOK, '-i', inventory, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const folders = taskEvents(first, { task: 'folders' });
    expect(folders).toHaveLength(1);
    expect(folders[0]).toMatchObject({ status: 'changed', message: '3 items: 3 changed' });
    expect(readdirSync(work).sort()).toEqual(['a', 'b', 'c']);
    expect(statSync(join(work, 'b')).mode & 0o777).toBe(0o750);

    const notes = taskEvents(first, { task: 'notes' });
    expect(notes).toHaveLength(1);
    expect(notes[0]!.status).toBe('failed');
    expect(notes[0]!.error).toMatch(/^\(item=note missing\/x\) /);
    expect(notes[0]!.message).toMatch(/^3 items: 2 changed, 1 failed/);
    // The item after the failed one ran too.
    expect(existsSync(join(work, 'c', 'note'))).toBe(true);
    expect(first.events.find((e) => e.type === 'recap')!.hosts.m1).toMatchObject({
      changed: 1,
      failed: 0,
      ignored: 1,
    });

    const second = await runCli([PLAYBOOK, '-i', inventory, '--json']);
    expect(taskEvents(second, { task: 'folders' })[0]).toMatchObject({
      status: 'ok',
      message: '3 items: 3 ok',
    });
    // The folders, and the notes loop whose failed item is allowed (counted as ok and ignored).
    expect(second.events.find((e) => e.type === 'recap')!.hosts.m1).toMatchObject({
      changed: 0,
      ok: 2,
      ignored: 1,
    });
  });
});
