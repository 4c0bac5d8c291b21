/**
 * One run at a time per site (issue 16 item 2): a second run stops at once naming the holder, or
 * waits with --lock-timeout; a lock left by a killed run is taken over; --no-lock only for
 * read-only runs. Real CLI processes over local connections, no test host.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const PLAYBOOK = 'test/fixtures/lock/playbook.ts';

function site() {
  const dir = mkdtempSync(join(tmpdir(), 'ns-lock-'));
  const inventory = join(dir, 'hosts.yml');
  writeFileSync(
    inventory,
    `all:\n  vars: { work_dir: "${dir}" }\n  hosts:\n    m1: { ansible_connection: local }\n`,
  );
  const runs = () =>
    existsSync(join(dir, 'ran.log')) ? readFileSync(join(dir, 'ran.log'), 'utf8').trim().split('\n') : [];
  return { dir, inventory, runs, lockInfo: join(dir, '.novastation', 'run.lock.json') };
}

async function until(what: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the site lock', () => {
  it('a second run stops at once and names the holder; with --lock-timeout it waits and then runs', async () => {
    const s = site();
    const first = runCli([PLAYBOOK, '-i', s.inventory, '-e', '{"pause_s":4}']);
    await until(() => existsSync(s.lockInfo));
    const holder = JSON.parse(readFileSync(s.lockInfo, 'utf8'));
    const refused = await runCli([PLAYBOOK, '-i', s.inventory]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`another run holds this site's lock`);
    expect(refused.stderr).toContain(`pid ${holder.pid}`);
    expect(refused.stderr).toContain('test/fixtures/lock/playbook.ts');
    const waited = await runCli([PLAYBOOK, '-i', s.inventory, '--lock-timeout', '60']);
    expect((await first).code).toBe(0);
    expect(waited.code, waited.stderr).toBe(0);
    expect(s.runs()).toHaveLength(2); // the refused run touched nothing
    expect(existsSync(s.lockInfo)).toBe(false); // released
  });

  it('a lock left by a killed run is taken over', async () => {
    const s = site();
    const killed = spawn(
      'node_modules/.bin/playbook',
      [PLAYBOOK, '-i', s.inventory, '-e', '{"pause_s":30}'],
      {
        stdio: 'ignore',
      },
    );
    await until(() => existsSync(s.lockInfo));
    killed.kill('SIGKILL');
    await new Promise((r) => killed.once('exit', r));
    expect(existsSync(s.lockInfo)).toBe(true); // nobody released it
    const next = await runCli([PLAYBOOK, '-i', s.inventory]); // no --lock-timeout: a dead holder is not waited for
    expect(next.code, next.stderr).toBe(0);
    expect(s.runs()).toHaveLength(1);
  });

  it('--no-lock is refused for a run that changes hosts, and lets a check run beside a holder', async () => {
    const s = site();
    const bad = await runCli([PLAYBOOK, '-i', s.inventory, '--no-lock']);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain('--no-lock is for read-only runs');
    const first = runCli([PLAYBOOK, '-i', s.inventory, '-e', '{"pause_s":3}']);
    await until(() => existsSync(s.lockInfo));
    const check = await runCli([PLAYBOOK, '-i', s.inventory, '--check', '--no-lock']);
    expect(check.code, check.stderr).toBe(0);
    expect((await first).code).toBe(0);
  });
});
