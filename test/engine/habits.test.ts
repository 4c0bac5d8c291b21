/**
 * Ansible habits that must work (issue 10 §2) and honest messages and recap (issue 16 items 7,
 * 8), each with Ansible's behaviour as the reference (ansible-core 2.14). The playbook's roles
 * run on the controller and touch nothing (test/engine/fixtures/habits.ts), so these runs need
 * no host: inventories name hosts that do not exist.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runCli, taskEvents } from '../support/cli.js';

const PLAYBOOK = join(repoRoot, 'test/engine/fixtures/habits.ts');
const THROW_LINE =
  readFileSync(PLAYBOOK, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('// THROW-LINE')) + 1;

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'ns-habits-'));
  const inventory = join(dir, 'hosts.yml');
  writeFileSync(
    inventory,
    'all:\n  hosts:\n    h1: { ansible_host: h1.invalid }\n    h2: { ansible_host: h2.invalid }\n',
  );
  return { dir, inventory, runsDir: join(dir, 'runs') };
}

describe('the recap counts as Ansible does', () => {
  it('ok counts every successful task, changed or not; an ignored failure is ignored, not failed', async () => {
    const { inventory, runsDir } = workspace();
    const r = await runCli([
      PLAYBOOK,
      '-i',
      inventory,
      '--role',
      'counter',
      '--limit',
      'h1',
      '--runs-dir',
      runsDir,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    // Ansible: ok=5 changed=4 ... failed=0 ... ignored=1 for four changed tasks and one ignored failure.
    expect(r.stderr).toMatch(/h1\s+: ok=5\s+changed=4\s+unreachable=0\s+failed=0\s+skipped=0\s+ignored=1/);
    const recap = r.events.find((e) => e.type === 'recap')!;
    expect(recap.hosts.h1).toEqual({ ok: 5, changed: 4, unreachable: 0, failed: 0, skipped: 0, ignored: 1 });
    expect(taskEvents(r, { task: 'allowed to fail' })[0]).toMatchObject({ status: 'failed', ignored: true });
    expect(r.stderr).toMatch(/allowed to fail \| failed \(ignored\)/);
    const [record] = readdirSync(runsDir).map((f) => JSON.parse(readFileSync(join(runsDir, f), 'utf8')));
    expect(record.hosts.h1.counts).toEqual(recap.hosts.h1);
    expect(record.hosts.h1.status).toBe('changed');
  });
});

describe('Ansible habits', () => {
  it("-i 'a,b,' (a host list) works for a playbook as for ansible-playbook", async () => {
    const { dir } = workspace();
    const r = await runCli([PLAYBOOK, '-i', 'web1,web2,', '--role', 'typed', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(
      taskEvents(r)
        .map((e) => e.host)
        .sort(),
    ).toEqual(['web1', 'web2']);
  });

  it('--limit that matches no host warns and exits 1, running nothing', async () => {
    const { inventory, runsDir } = workspace();
    const r = await runCli([PLAYBOOK, '-i', inventory, '--limit', 'nosuch', '--runs-dir', runsDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Could not match supplied host pattern, ignoring: nosuch');
    expect(r.stderr).toContain('no hosts to target');
    expect(r.stdout).not.toContain('PLAY');
    expect(existsSync(runsDir)).toBe(false);
  });

  it('-e k=v is converted to the type the role declares when it is an exact rendering of it', async () => {
    const { inventory } = workspace();
    const r = await runCli([
      PLAYBOOK,
      '-i',
      inventory,
      '--role',
      'typed',
      '--limit',
      'h1',
      '--json',
      '-e',
      'port=80 flag=true label=80',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(taskEvents(r, { host: 'h1' })[0]!.message)).toEqual({
      port: 80,
      flag: true,
      label: '80',
    });
  });

  it('-e k=v that is not an exact rendering of the declared type exits 4 saying so', async () => {
    const { inventory } = workspace();
    for (const [arg, says] of [
      ['port=80x', /port.*"80x".*not an integer/],
      ['port=08', /port.*"08".*not an integer/],
      ['flag=yes', /flag.*"yes".*not a boolean \(true or false\)/],
    ] as const) {
      const r = await runCli([PLAYBOOK, '-i', inventory, '--role', 'typed', '-e', arg]);
      expect(r.code, arg).toBe(4);
      expect(r.stderr).toMatch(says);
      expect(r.stderr).toContain('--extra-vars');
    }
    // JSON keeps its types, as in Ansible: a JSON string is not converted.
    const json = await runCli([PLAYBOOK, '-i', inventory, '--role', 'typed', '-e', '{"port": "80"}']);
    expect(json.code).toBe(4);
    expect(json.stderr).toContain('must be integer');
  });

  it('--list-tasks lists the tasks of the last run of this playbook, marked as such, running nothing', async () => {
    const { inventory, runsDir } = workspace();
    const before = await runCli([PLAYBOOK, '-i', inventory, '--list-tasks', '--runs-dir', runsDir]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/role counter/);
    expect(before.stdout).toContain('no run of this playbook is recorded');
    await runCli([PLAYBOOK, '-i', inventory, '--role', 'counter,typed', '--runs-dir', runsDir]);
    const runs = readdirSync(runsDir);
    const after = await runCli([PLAYBOOK, '-i', inventory, '--list-tasks', '--runs-dir', runsDir]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/tasks as recorded by run \S+ of /);
    expect(after.stdout).toMatch(
      /role counter[^\n]*\n(?:.*\n)*?\s+change 1\n\s+change 2\n\s+change 3\n\s+change 4\n\s+allowed to fail\n/,
    );
    expect(after.stdout).toMatch(/role typed[^\n]*\n\s+echo the variables\n/);
    expect(after.stdout).toMatch(/role thrower[^\n]*\n\s+\(not in that run\)/);
    expect(readdirSync(runsDir)).toEqual(runs); // listing is not a run
  });

  it('an unknown option names the nearest one and prints the usage line, exit 5', async () => {
    const r = await runCli([PLAYBOOK, '--chekc']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('unknown option --chekc: did you mean --check?');
    expect(r.stderr).toContain('Usage: playbook [options] PLAYBOOK.ts');
    expect(r.stderr).not.toContain('To specify a positional argument');
  });

  it('an Ansible YAML playbook is refused with a pointer to "Coming from Ansible", exit 4', async () => {
    const { dir } = workspace();
    const yml = join(dir, 'site.yml');
    writeFileSync(yml, '- hosts: all\n  tasks:\n    - ping:\n');
    const r = await runCli([yml, '-i', 'h1,']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('NovaStation playbooks are TypeScript');
    expect(r.stderr).toContain('Coming from Ansible');
    expect(r.stderr).not.toMatch(/esbuild|No loader/i);
  });

  it('an exception inside a task: its message; with -v the file and line it came from; with -vvv the stack', async () => {
    const { inventory } = workspace();
    const args = [PLAYBOOK, '-i', inventory, '--role', 'thrower', '--limit', 'h1'];
    const plain = await runCli(args);
    expect(plain.code).toBe(2);
    expect(plain.stdout).toContain('not a number: forty-two');
    expect(plain.stdout).not.toContain(`habits.ts:${THROW_LINE}`);
    const v = await runCli([...args, '-v']);
    expect(v.stdout).toContain(`at test/engine/fixtures/habits.ts:${THROW_LINE}`);
    expect(v.stdout).not.toMatch(/^\s+at parseAnswer/m);
    const vvv = await runCli([...args, '-vvv']);
    expect(vvv.stdout).toMatch(new RegExp(`^\\s+at parseAnswer .*habits\\.ts:${THROW_LINE}:\\d+`, 'm'));
  });

  it('playbook history beside the playbook finds the runs playbook made, with the same options', async () => {
    const { dir, inventory } = workspace();
    // A host list: records go where the playbook puts them for one (beside where it ran).
    const r = await runCli([PLAYBOOK, '-i', 'web1,', '--role', 'typed'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const list = await runCli(['history'], { cwd: dir });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('habits.ts');
    const same = await runCli(['history', '-i', 'web1,'], { cwd: dir });
    expect(same.stdout).toContain('habits.ts');
    // --runs-dir, as playbook takes it.
    const runsDir = join(dir, 'elsewhere');
    await runCli([PLAYBOOK, '-i', inventory, '--role', 'typed', '--runs-dir', runsDir]);
    const there = await runCli(['history', '--runs-dir', runsDir]);
    expect(there.code, there.stderr).toBe(0);
    expect(there.stdout.trim().split('\n')).toHaveLength(2); // header and the one run
    const none = await runCli(['history', '--runs-dir', join(dir, 'empty')]);
    expect(none.stderr).toContain('no runs recorded in');
  });
});

describe('messages (issue 16 item 7)', () => {
  it('a single variable error names its file:line once; --json emits one error event before exit 4', async () => {
    const { dir } = workspace();
    const inventory = join(dir, 'typed.yml');
    writeFileSync(inventory, 'all:\n  hosts:\n    h1:\n      port: eighty\n');
    const r = await runCli([PLAYBOOK, '-i', inventory, '--role', 'typed']);
    expect(r.code).toBe(4);
    expect(r.stderr.split(`${inventory}:4`).length - 1).toBe(1);
    const json = await runCli([PLAYBOOK, '-i', inventory, '--role', 'typed', '--json']);
    expect(json.code).toBe(4);
    expect(json.events).toHaveLength(1);
    expect(json.events[0]).toMatchObject({
      type: 'error',
      exitCode: 4,
      file: inventory,
      line: 4,
      field: 'port',
    });
    expect(json.events[0]!.message).toContain('must be integer');
    const bad = await runCli([PLAYBOOK, '--json', '--chekc']);
    expect(bad.code).toBe(5);
    expect(bad.events).toEqual([expect.objectContaining({ type: 'error', exitCode: 5 })]);
  });
});
