import { describe, expect, it } from 'vitest';
import { parseCli, hostKeyCheckingFromEnv } from '../../lib/cli/options.js';
import { parseExtraVars } from '../../lib/cli/extra-vars.js';
import { BadOptionsError } from '../../lib/errors.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('CLI options', () => {
  it('takes Ansible flags', () => {
    const o = parseCli([
      'site.ts',
      '-i',
      'a.yml',
      '-i',
      'b.ini',
      '-l',
      'web',
      '-r',
      'nginx,base',
      '-t',
      'a,b',
      '--skip-tags',
      'c',
      '-C',
      '-D',
      '-f',
      '3',
      '-vv',
      '--json',
    ]);
    expect(o).toMatchObject({
      playbook: 'site.ts',
      inventory: ['a.yml', 'b.ini'],
      limit: ['web'],
      roles: ['nginx', 'base'],
      tags: { only: ['a', 'b'], skip: ['c'] },
      check: true,
      diff: true,
      forks: 3,
      verbose: 2,
      json: true,
    });
  });
  it('refuses unknown flags and bad numbers as bad options', () => {
    expect(() => parseCli(['--nope'])).toThrow(BadOptionsError);
    expect(() => parseCli(['-f', '0'])).toThrow(BadOptionsError);
  });
  it('honours ANSIBLE_HOST_KEY_CHECKING=False', () => {
    expect(hostKeyCheckingFromEnv({ ANSIBLE_HOST_KEY_CHECKING: 'False' })).toBe(false);
    expect(hostKeyCheckingFromEnv({})).toBe(true);
  });
  it('parses extra vars: k=v, JSON and @file, later wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-ev-'));
    writeFileSync(join(dir, 'v.yml'), 'a: 3\nlist: [1, 2]\n');
    expect(
      await parseExtraVars(['a=1 b="two words"', '{"c": {"d": true}}', `@${join(dir, 'v.yml')}`]),
    ).toEqual({ a: 3, b: 'two words', c: { d: true }, list: [1, 2] });
  });
});

describe('unknown options name the nearest known one', () => {
  it('typos, swapped letters and prefixes; nothing when nothing is close', async () => {
    const { nearestOption } = await import('../../lib/cli/unknown-option.js');
    const options = {
      check: { type: 'boolean', short: 'C' },
      diff: { type: 'boolean', short: 'D' },
      'list-tasks': { type: 'boolean' },
      'list-hosts': { type: 'boolean' },
      'extra-vars': { type: 'string', short: 'e' },
    };
    expect(nearestOption('--chekc', options)).toBe('--check');
    expect(nearestOption('--dif', options)).toBe('--diff');
    expect(nearestOption('--list-task', options)).toBe('--list-tasks');
    expect(nearestOption('--extra-var=x=1', options)).toBe('--extra-vars');
    expect(nearestOption('--frobnicate', options)).toBeUndefined();
  });
});
