/**
 * Bad input is refused before anything runs: exit 4 with the file and line, or 5 for bad
 * options. These runs use an inventory whose hosts do not exist, so anything that got as far as
 * connecting would show up as exit 3 instead.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-cli-errors-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const PLAYBOOK = 'test/fixtures/engine/playbook.ts';

describe('invalid input exits 4 naming file and line, touching no host', () => {
  it('YAML syntax error', async () => {
    const inv = file('syntax.yml', 'all:\n  hosts:\n    h1:\n      ansible_host: [unclosed\n');
    const r = await runCli([PLAYBOOK, '-i', inv]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`${inv.replace(/[.]/g, '\\.')}:\\d+`));
  });
  it('unknown child group in an INI inventory', async () => {
    const inv = file('children.ini', '[web]\nh1\n\n[site:children]\nweb\nnosuchgroup\n');
    const r = await runCli([PLAYBOOK, '-i', inv]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(inv);
    expect(r.stderr).toMatch(/:\d+/);
    expect(r.stderr).toContain('nosuchgroup');
  });
  it('wrong type in the inventory (hosts as a list)', async () => {
    const inv = file('type.yml', 'all:\n  children:\n    web:\n      hosts:\n        - h1\n        - h2\n');
    const r = await runCli([PLAYBOOK, '-i', inv]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`type\\.yml:\\d+`));
  });
  it('a role variable of the wrong type names the inventory file, line and variable', async () => {
    const inv = file(
      'vars.yml',
      'all:\n  hosts:\n    h1:\n      ansible_host: 127.0.0.1\n      probe_content: 42\n',
    );
    const r = await runCli([PLAYBOOK, '-i', inv]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${inv}:5`);
    expect(r.stderr).toContain('probe_content');
    expect(r.stderr).toContain('must be string');
  });
  it('a playbook that does not compile names its file and line', async () => {
    const inv = file('ok.yml', 'all:\n  hosts:\n    h1:\n');
    const pb = file(
      'broken.ts',
      'import { definePlaybook } from "novastation";\nexport default definePlaybook({ name: "x", plays: [ });\n',
    );
    const r = await runCli([pb, '-i', inv]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`broken.ts:2`);
  });
  it('bad options exit 5', async () => {
    expect((await runCli([PLAYBOOK, '--forks', 'many'])).code).toBe(5);
    expect((await runCli(['--no-such-flag'])).code).toBe(5);
  });
  it('--help prints usage and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: playbook');
  });
  it('--list-tasks prints plays, roles and their tags', async () => {
    const inv = file('list.yml', 'all:\n  hosts:\n    h1:\n');
    const r = await runCli([PLAYBOOK, '-i', inv, '--list-tasks']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/role probe\s+TAGS: \[probe\]/);
    expect(r.stdout).toMatch(/role barrier\s+TAGS: \[barrier, never\]/);
    expect(r.stdout).toContain('no run of this playbook is recorded');
  });
});
