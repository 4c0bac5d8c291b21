/**
 * Bad inventories: each must be refused with an InvalidInputError (exit code 4) that names the
 * file, the line and what was expected. Nothing is returned after such an error.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../lib/errors.js';
import { loadError } from './helpers.js';

function expectAt(
  e: ReturnType<typeof loadError>,
  file: string,
  line: number | undefined,
  text: RegExp,
): void {
  expect(e.exitCode).toBe(ExitCode.invalidInput);
  expect(e.where.file).toBe(path.join(e.dir, file));
  expect(e.where.line).toBe(line);
  expect(e.message).toMatch(text);
  // The message itself starts with file:line so a user sees where to look.
  if (line !== undefined) expect(e.message.startsWith(`${path.join(e.dir, file)}:${line}`)).toBe(true);
}

describe('YAML inventories', () => {
  it('a YAML syntax error names the file and line', () => {
    const e = loadError({ 'hosts.yml': 'all:\n  hosts:\n    web1:\n      port: [80\n    web2:\n' });
    expectAt(e, 'hosts.yml', 5, /YAML syntax error/);
  });

  it('a duplicate key is refused (Ansible only warns and keeps the last)', () => {
    const e = loadError({ 'hosts.yml': 'all:\n  hosts:\n    web1:\n      port: 80\n      port: 81\n' });
    expectAt(e, 'hosts.yml', 5, /key port appears twice/);
  });

  it('hosts given as a list instead of a mapping', () => {
    const e = loadError({
      'hosts.yml': 'all:\n  children:\n    web:\n      hosts:\n        - web1\n        - web2\n',
    });
    expectAt(e, 'hosts.yml', 5, /"hosts" of group "web" must be a mapping .*got a list/);
    expect(e.where.path).toBe('all.children.web.hosts');
  });

  it('vars that are not a mapping', () => {
    const e = loadError({ 'hosts.yml': 'all:\n  vars:\n    - a\n' });
    expectAt(e, 'hosts.yml', 3, /"vars" of group "all" must be a mapping/);
  });

  it('host variables that are not a mapping', () => {
    const e = loadError({ 'hosts.yml': 'all:\n  hosts:\n    web1: just-a-string\n' });
    expectAt(e, 'hosts.yml', 3, /host "web1" must be followed by a mapping of its variables.*got a string/);
    expect(e.where.path).toBe('all.hosts.web1');
  });

  it('a group defined as a list', () => {
    const e = loadError({ 'hosts.yml': 'all:\n  children:\n    web: [a, b]\n' });
    expectAt(e, 'hosts.yml', 3, /group "web" must be a mapping/);
  });

  it('an unknown key in a group (a typo Ansible would skip with a warning)', () => {
    const e = loadError({ 'hosts.yml': 'all:\n  children:\n    web:\n      host:\n        web1:\n' });
    expectAt(e, 'hosts.yml', 4, /unexpected key "host" in group "web"/);
  });

  it('a host name that is not a string', () => {
    const e = loadError({ 'hosts.yml': 'all:\n  hosts:\n    10:\n' });
    expectAt(e, 'hosts.yml', 3, /must be a string/);
  });

  it('a bad range', () => {
    const e = loadError({ 'hosts.yml': 'all:\n  hosts:\n    web[01:5]:\n' });
    expectAt(e, 'hosts.yml', 3, /equal-length begin and end/);
  });

  it('a cycle between groups', () => {
    // As in Ansible, b's children are read first (b gets child a), then adding b under a closes the loop.
    const e = loadError({
      'hosts.yml':
        'all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n',
    });
    expectAt(e, 'hosts.yml', 5, /adding group 'b' as a child of 'a' creates a cycle/);
  });

  it('a group that is its own child', () => {
    const e = loadError({ 'hosts.yml': 'web:\n  children:\n    web:\n' });
    expectAt(e, 'hosts.yml', 3, /child of itself/);
  });

  it('an unknown YAML tag', () => {
    const e = loadError({ 'hosts.yml': 'all:\n  vars:\n    x: !!binary aGVsbG8=\n' });
    expectAt(e, 'hosts.yml', 3, /unsupported YAML tag !!binary/);
  });

  it('a non-integer ansible_group_priority', () => {
    const e = loadError({ 'hosts.yml': 'web:\n  vars:\n    ansible_group_priority: high\n' });
    expectAt(e, 'hosts.yml', 3, /ansible_group_priority must be an integer/);
  });

  it('a YAML list as the whole inventory', () => {
    const e = loadError({ 'hosts.yml': '- web1\n- web2\n' });
    expectAt(e, 'hosts.yml', 1, /must be a mapping of group names/);
  });

  it('an inventory plugin configuration', () => {
    const e = loadError({ 'aws.yml': 'plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n' });
    expectAt(e, 'aws.yml', 1, /dynamic inventory plugins are not supported/);
  });
});

describe('INI inventories', () => {
  it('[g:children] naming a group that is never defined (Ansible refuses the file too)', () => {
    const e = loadError({ hosts: '[web]\nw1\n\n[prod:children]\nweb\ndbs\n' });
    expectAt(e, 'hosts', 6, /\[prod:children\] names group "dbs", which is never declared/);
  });

  it('[g:vars] for a group that is never defined', () => {
    const e = loadError({ 'hosts.ini': '[web]\nw1\n[wbe:vars]\nx=1\n' });
    expectAt(e, 'hosts.ini', 3, /section \[wbe:vars\] is for group "wbe", which is never declared/);
  });

  it('an unknown section type', () => {
    const e = loadError({ 'hosts.ini': '[web]\nw1\n[web:vers]\n' });
    expectAt(e, 'hosts.ini', 3, /unknown type "vers"/);
  });

  it('a host variable without =', () => {
    const e = loadError({ 'hosts.ini': '[web]\nw1 port=80 oops\n' });
    expectAt(e, 'hosts.ini', 2, /expected key=value host variable assignment, got: oops/);
  });

  it('a [g:vars] line without =', () => {
    const e = loadError({ 'hosts.ini': '[web]\nw1\n[web:vars]\njustaword\n' });
    expectAt(e, 'hosts.ini', 4, /expected key=value in \[web:vars\]/);
  });

  it('an unclosed quote', () => {
    const e = loadError({ 'hosts.ini': '[web]\nw1 msg="hello\n' });
    expectAt(e, 'hosts.ini', 2, /no closing quotation/);
  });

  it('a bad range', () => {
    const e = loadError({ 'hosts.ini': '[web]\nweb[1:2:3:4]\n' });
    expectAt(e, 'hosts.ini', 2, /begin:end or begin:end:step/);
  });

  it('a trailing colon without port', () => {
    const e = loadError({ 'hosts.ini': '[web]\nweb1:\n' });
    expectAt(e, 'hosts.ini', 2, /trailing ':'/);
  });

  it('a section header with spaces', () => {
    const e = loadError({ 'hosts.ini': '[web servers]\nw1\n' });
    expectAt(e, 'hosts.ini', 1, /invalid section header/);
  });

  it('a cycle through [g:children]', () => {
    const e = loadError({ 'hosts.ini': '[a:children]\nb\n[b:children]\na\n' });
    expectAt(e, 'hosts.ini', 4, /cycle/);
  });

  it('an extensionless YAML file with a syntax error reports the YAML error, not an INI one', () => {
    const e = loadError({ inventory: 'all:\n  hosts:\n    web1: {port: 80\n' });
    expect(e.message).toMatch(/YAML syntax error/);
    expect(e.where.file).toBe(path.join(e.dir, 'inventory'));
  });
});

describe('vars folders and sources', () => {
  it('a group_vars file with a syntax error', () => {
    const e = loadError({ hosts: '[web]\nw1\n', 'group_vars/web.yml': 'a: 1\nb: [\n' }, ['hosts']);
    expect(e.where.file).toBe(path.join(e.dir, 'group_vars/web.yml'));
    expect(e.where.line).toBeGreaterThan(0);
    expect(e.message).toMatch(/YAML syntax error/);
  });

  it('a group_vars file that is a list', () => {
    const e = loadError({ hosts: '[web]\nw1\n', 'group_vars/web.yml': '- a\n- b\n' }, ['hosts']);
    expectAt(e, 'group_vars/web.yml', 1, /a variables file must be a mapping/);
  });

  it('a vault-encrypted vars file without a password', () => {
    const e = loadError({ hosts: '[web]\nw1\n', 'host_vars/w1.yml': '$ANSIBLE_VAULT;1.1;AES256\n6162\n' }, [
      'hosts',
    ]);
    expectAt(e, 'host_vars/w1.yml', 1, /vault-encrypted/);
  });

  it('a missing inventory source', () => {
    const e = loadError({ hosts: '' }, ['nope.yml']);
    expect(e.where.file).toBe(path.join(e.dir, 'nope.yml'));
    expect(e.message).toMatch(/inventory source not found/);
  });
});
