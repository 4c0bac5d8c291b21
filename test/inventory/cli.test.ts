/** `playbook inventory`: output, exit codes (4 bad inventory, 5 bad options), --output, --limit. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { inventoryCommand } from '../../lib/cli/inventory-command.js';
import { fixture } from './helpers.js';
import { findAnsibleInventory } from './ansible-runner.js';
import { playbookBin, repoRoot } from '../support/cli.js';

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const dir = fixture({
  hosts: '[web]\nw1 port=80\nw2\n[db]\nd1\n[web:vars]\nrole=web\n',
  'bad.yml': 'all:\n  hosts: [a, b]\n',
  'web-servers.yml': 'web-servers:\n  hosts:\n    x1:\n',
});
const inv = path.join(dir, 'hosts');

describe('playbook inventory', () => {
  it('--list prints ansible-inventory JSON', async () => {
    expect(await inventoryCommand(['-i', inv, '--list'])).toBe(0);
    const listed = JSON.parse(out) as Record<string, unknown>;
    expect(listed.web).toEqual({ hosts: ['w1', 'w2'] });
    expect(listed._meta).toEqual({ hostvars: { w1: { port: 80, role: 'web' }, w2: { role: 'web' } } });
    expect(out.endsWith('}\n')).toBe(true);
  });

  it('--host takes a pattern that must match one host', async () => {
    expect(await inventoryCommand(['-i', inv, '--host', 'w1'])).toBe(0);
    expect(out).toBe('{\n    "port": 80,\n    "role": "web"\n}\n');
    expect(await inventoryCommand(['-i', inv, '--host', 'w*'])).toBe(5);
    expect(err).toMatch(/single valid host/);
  });

  it('--graph [GROUP] [--vars]', async () => {
    expect(await inventoryCommand(['-i', inv, '--graph', 'web', '--vars'])).toBe(0);
    expect(out).toBe(
      '@web:\n  |--w1\n  |  |--{port = 80}\n  |  |--{role = web}\n  |--w2\n  |  |--{role = web}\n  |--{role = web}\n',
    );
    expect(await inventoryCommand(['-i', inv, '--graph', 'nope'])).toBe(5);
  });

  it('--limit (repeatable) filters --list and --graph', async () => {
    expect(await inventoryCommand(['-i', inv, '--graph', '--limit', 'w2', '-l', 'd1'])).toBe(0);
    expect(out).toBe('@all:\n  |--@ungrouped:\n  |--@web:\n  |  |--w2\n  |--@db:\n  |  |--d1\n');
    out = '';
    expect(await inventoryCommand(['-i', inv, '--list', '--limit', 'db'])).toBe(0);
    const listed = JSON.parse(out) as Record<string, unknown>;
    expect(listed.web).toBeUndefined();
    expect(listed.db).toEqual({ hosts: ['d1'] });
  });

  it('--output writes the file without the final newline', async () => {
    const file = path.join(dir, 'out.json');
    expect(await inventoryCommand(['-i', inv, '--host', 'w2', '--output', file])).toBe(0);
    expect(out).toBe('');
    expect(readFileSync(file, 'utf8')).toBe('{\n    "role": "web"\n}');
  });

  it('prints Ansible-style warnings on stderr', async () => {
    expect(await inventoryCommand(['-i', path.join(dir, 'web-servers.yml'), '--graph'])).toBe(0);
    expect(err).toMatch(/^\[WARNING\]: Invalid characters were found in group names/m);
  });

  it('exits 4 with file:line on an invalid inventory', async () => {
    expect(await inventoryCommand(['-i', path.join(dir, 'bad.yml'), '--list'])).toBe(4);
    expect(err).toContain(`ERROR: ${path.join(dir, 'bad.yml')}:2`);
    expect(out).toBe('');
  });

  it('exits 5 on bad options', async () => {
    expect(await inventoryCommand(['-i', inv])).toBe(5);
    expect(err).toMatch(/No action selected/);
    expect(await inventoryCommand(['-i', inv, '--list', '--graph'])).toBe(5);
    expect(await inventoryCommand(['--list'])).toBe(5);
    expect(await inventoryCommand(['-i', inv, '--list', '--bogus'])).toBe(5);
    expect(await inventoryCommand(['-i', inv, '--lsit'])).toBe(5);
    expect(err).toContain('unknown option --lsit: did you mean --list?');
  });
});

/**
 * Host lists and --limit with a playbook, against the real ansible-playbook 2.14 as the reference
 * (skipped where Ansible is not installed, except under CI=true).
 */
describe('host lists and --limit with a playbook, as ansible-playbook --list-hosts', () => {
  const ansible = findAnsibleInventory()
    ? path.join(path.dirname(findAnsibleInventory()!), 'ansible-playbook')
    : undefined;
  const run = !ansible && process.env.CI !== 'true' ? it.skip : it;
  const yml = path.join(
    fixture({ 'site.yml': '- hosts: all\n  gather_facts: false\n  tasks: []\n' }),
    'site.yml',
  );
  const ours = (args: string[]) =>
    spawnSync(playbookBin, ['test/engine/fixtures/habits.ts', ...args, '--list-hosts'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    });
  const theirs = (args: string[]) =>
    spawnSync(ansible!, ['-i', ...args, yml, '--list-hosts'], {
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_NOCOLOR: '1' },
    });

  run("-i 'web1,web2,' selects the same hosts", () => {
    const a = theirs(['web1,web2,']);
    const n = ours(['-i', 'web1,web2,']);
    expect(n.status, n.stderr).toBe(a.status);
    // ansible-playbook --list-hosts prints a set (its order varies run to run): compare as sets.
    expect(n.stdout.trim().split('\n').sort()).toEqual(
      a.stdout
        .split('\n')
        .filter((l) => /^ {6}\S/.test(l))
        .map((l) => l.trim())
        .sort(),
    );
  });

  run('--limit matching no host: the same warning and exit 1', () => {
    const a = theirs(['web1,', '--limit', 'nosuch']);
    const n = ours(['-i', 'web1,', '--limit', 'nosuch']);
    expect(a.status).toBe(1);
    expect(n.status).toBe(a.status);
    const warning = 'Could not match supplied host pattern, ignoring: nosuch';
    expect(a.stderr).toContain(warning);
    expect(n.stderr).toContain(warning);
  });
});
