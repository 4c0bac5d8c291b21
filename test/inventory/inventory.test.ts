/** Unit tests of the loaded model: provenance, precedence, groups, sources, tagged values, patterns. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getHost, loadInventory, selectHosts, UnsafeText, VaultedValue } from '../../lib/inventory/index.js';
import { fixture, load, varsOf } from './helpers.js';

describe('provenance (varSources)', () => {
  it('names the file, line and path that set each final value', () => {
    const dir = fixture({
      'inventory/hosts.yml': [
        'all:', //                               1
        '  vars:', //                            2
        '    nginx_port: 80', //                 3
        '  children:', //                        4
        '    web:', //                           5
        '      vars:', //                        6
        '        nginx_port: 8080', //           7
        '      hosts:', //                       8
        '        h1:', //                        9
        '          nginx_port: "eighty"', //     10
        '        h2:', //                        11
        '          ansible_host: 10.0.0.2', //   12
      ].join('\n'),
      'inventory/group_vars/web.yml': 'from_file: 1\n\nworkers: 4\n',
      'inventory/host_vars/h2/main.yml': '# comment\nnginx_port: 9090\n',
    });
    return loadInventory([path.join(dir, 'inventory/hosts.yml')]).then((i) => {
      const h1 = i.hosts.get('h1')!;
      expect(h1.varSources.nginx_port).toEqual({
        file: path.join(dir, 'inventory/hosts.yml'),
        line: 10,
        path: 'all.children.web.hosts.h1.nginx_port',
      });
      expect(h1.varSources.workers).toEqual({
        file: path.join(dir, 'inventory/group_vars/web.yml'),
        line: 3,
        path: 'workers',
      });
      const h2 = i.hosts.get('h2')!;
      expect(h2.vars.nginx_port).toBe(9090);
      expect(h2.varSources.nginx_port).toEqual({
        file: path.join(dir, 'inventory/host_vars/h2/main.yml'),
        line: 2,
        path: 'nginx_port',
      });
      expect(h2.varSources.ansible_host?.line).toBe(12);
    });
  });

  it('INI host lines and [g:vars] lines', () => {
    const dir = fixture({ hosts: '[web]\nweb[1:2] port=80\n\n[web:vars]\nuser=deploy\n' });
    const inv = load({ hosts: readFileSync(path.join(dir, 'hosts'), 'utf8') });
    const h = inv.hosts.get('web2')!;
    expect(h.varSources.port).toMatchObject({ line: 2, path: '[web].web2.port' });
    expect(h.varSources.user).toMatchObject({ line: 5, path: '[web:vars].user' });
    expect(h.varSources.port?.file.endsWith('hosts')).toBe(true);
  });
});

describe('precedence', () => {
  it('group_vars/all beats inventory group vars; group_vars/<g> beats group_vars/all; host_vars beat inline host vars', () => {
    const inv = load(
      {
        hosts: '[web]\nw1 a=inline b=inline\n[web:vars]\na=group\nc=group\nd=group\n[all:vars]\ne=all\n',
        'group_vars/all.yml': 'c: gv_all\nd: gv_all\ne: gv_all\n',
        'group_vars/web.yml': 'd: gv_web\n',
        'host_vars/w1.yml': 'b: hv\n',
      },
      ['hosts'],
    );
    expect(varsOf(inv, 'w1')).toMatchObject({ a: 'inline', b: 'hv', c: 'gv_all', d: 'gv_web', e: 'gv_all' });
  });

  it('dictionaries are replaced, not merged', () => {
    const inv = load({
      'h.yml': 'all:\n  vars:\n    cfg: {a: 1, b: 2}\n  hosts:\n    h1:\n      cfg: {c: 3}\n',
    });
    expect(varsOf(inv, 'h1').cfg).toEqual({ c: 3 });
  });

  it('lists groups with all first, then in the order their vars apply', () => {
    const inv = load({
      'h.ini': '[b]\nh1\n[a]\nh1\n[p:children]\na\n[z]\nh1\n[z:vars]\nansible_group_priority=5\n',
    });
    // depth 1: b and p (priority 1, by name), then z (priority 5); depth 2: a (under p)
    expect(inv.hosts.get('h1')!.groups).toEqual(['all', 'b', 'p', 'z', 'a']);
  });

  it('leaves ansible_* variables as they are', () => {
    const inv = load({ 'h.ini': 'h1:2222 ansible_user=root ansible_become=True\n' });
    expect(varsOf(inv, 'h1')).toMatchObject({
      ansible_port: 2222,
      ansible_user: 'root',
      ansible_become: true,
    });
  });

  it('applies the playbook directory group_vars/host_vars after the inventory ones when asked', () => {
    const dir = fixture({
      'inv/hosts': '[web]\nw1\n',
      'inv/group_vars/web.yml': 'x: inventory\ny: inventory\n',
      'play/group_vars/web.yml': 'x: playbook\n',
      'play/host_vars/w1.yml': 'z: playbook\n',
    });
    return loadInventory([path.join(dir, 'inv/hosts')], { playbookDirs: [path.join(dir, 'play')] }).then(
      (inv) => {
        expect(varsOf(inv, 'w1')).toMatchObject({ x: 'playbook', y: 'inventory', z: 'playbook' });
      },
    );
  });
});

describe('sources', () => {
  it('merges several sources in order', () => {
    const inv = load({ 'a.yml': 'all:\n  hosts:\n    h1:\n      v: a\n', 'b.ini': 'h1 v=b\nh2\n' }, [
      'a.yml',
      'b.ini',
    ]);
    expect([...inv.hosts.keys()]).toEqual(['h1', 'h2']);
    expect(varsOf(inv, 'h1').v).toBe('b');
  });

  it('reads a directory like Ansible, warning about the .ini it ignores', () => {
    const inv = load(
      { 'inv/a.yml': 'web:\n  hosts:\n    w1:\n', 'inv/b.ini': '[db]\nd1\n', 'inv/c': '[db]\nd2\n' },
      ['inv'],
    );
    expect([...inv.hosts.keys()]).toEqual(['w1', 'd2']);
    expect(inv.warnings?.join('\n')).toMatch(/Ignoring .*b\.ini/);
  });

  it('accepts INI content in an extensionless or .yml file, as Ansible falls back to INI', () => {
    const inv = load({ 'hosts.yml': '[web]\nw1\n' });
    expect(inv.groups.get('web')?.hosts).toEqual(['w1']);
  });

  it('accepts a comma-separated host list', async () => {
    const inv = await loadInventory(['a,b:2200']);
    expect([...inv.hosts.keys()]).toEqual(['a', 'b']);
    expect(inv.hosts.get('b')?.vars.ansible_port).toBe(2200);
  });

  it('decrypts whole vault files through the hook', () => {
    const inv = load(
      { hosts: 'h1\n', 'host_vars/h1.yml': '$ANSIBLE_VAULT;1.1;AES256\nsecret\n' },
      ['hosts'],
      { decrypt: (text) => (text.includes('secret') ? 'password: hunter2\n' : '') },
    );
    expect(varsOf(inv, 'h1').password).toBe('hunter2');
  });
});

describe('tagged values', () => {
  it('keeps !vault values as VaultedValue and !unsafe ones as UnsafeText', () => {
    const inv = load({
      'h.yml':
        'all:\n  hosts:\n    h1:\n      s: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6162\n      u: !unsafe "{{ x }}"\n      l: !unsafe ["{{ y }}", 1]\n',
    });
    const v = varsOf(inv, 'h1');
    expect(v.s).toBeInstanceOf(VaultedValue);
    expect((v.s as VaultedValue).ciphertext).toBe('$ANSIBLE_VAULT;1.1;AES256\n6162\n');
    expect(String(v.s)).not.toContain('6162');
    expect(v.u).toBeInstanceOf(UnsafeText);
    expect((v.l as unknown[])[0]).toBeInstanceOf(UnsafeText);
    expect((v.l as unknown[])[1]).toBe(1);
  });
});

describe('patterns', () => {
  const inv = load({
    'h.yml':
      'all:\n  children:\n    web:\n      hosts: {w1: , w2: , w3: }\n    db:\n      hosts: {d1: , w1: }\n    paris:\n      hosts: {w1: , d1: }\n',
  });
  it('union, intersection, exclusion, subscripts', () => {
    expect(selectHosts(inv, 'web:db')).toEqual(['w1', 'w2', 'w3', 'd1']);
    expect(selectHosts(inv, ['web', 'db'])).toEqual(['w1', 'w2', 'w3', 'd1']);
    expect(selectHosts(inv, 'web:&paris')).toEqual(['w1']);
    expect(selectHosts(inv, '!paris:web')).toEqual(['w2', 'w3']);
    expect(selectHosts(inv, 'web[1:2]')).toEqual(['w2', 'w3']);
    expect(selectHosts(inv, 'web[-1]')).toEqual(['w3']);
    expect(selectHosts(inv, 'w*')).toEqual(['w1', 'w2', 'w3']);
    expect(selectHosts(inv, '~^d')).toEqual(['d1', 'w1']);
    expect(() => selectHosts(inv, 'web[5]')).toThrow(/subscripted pattern/);
  });
  it('limits: a pattern, several (joined as one list), a file', () => {
    expect(selectHosts(inv, 'all', { limit: 'paris' })).toEqual(['w1', 'd1']);
    expect(selectHosts(inv, 'web', { limit: ['w2', 'w3'] })).toEqual(['w2', 'w3']);
    expect(selectHosts(inv, 'web', { limit: ['all', '!w2'] })).toEqual(['w1', 'w3']);
    const dir = fixture({ limit: 'w3\nd1\n' });
    expect(selectHosts(inv, 'all', { limit: `@${path.join(dir, 'limit')}` })).toEqual(['w3', 'd1']);
    expect(() => selectHosts(inv, 'all', { limit: `@${path.join(dir, 'missing')}` })).toThrow(
      /limit file not found/,
    );
  });
  it('knows the implicit localhost', () => {
    expect(selectHosts(inv, 'localhost')).toEqual(['localhost']);
    expect(getHost(inv, 'localhost')?.vars.ansible_connection).toBe('local');
    expect(selectHosts(inv, 'all')).not.toContain('localhost');
  });
});

describe('empty inventories', () => {
  it('an empty or comment-only file, `---`, or `{}` is an empty inventory', () => {
    for (const text of ['', '# nothing yet\n', '---\n', '{}\n'])
      expect([...load({ 'hosts.yml': text }).hosts.keys()], JSON.stringify(text)).toEqual([]);
  });
});
