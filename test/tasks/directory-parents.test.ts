/**
 * `directory`'s missing parents: by default as `mkdir -p` makes them (0755, root), with
 * `parents: 'same'` the directory's own mode, owner and group (Ansible's behaviour); parents that
 * already exist are left alone either way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directory } from '../../tasks/files/directory.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle } from '../support/prove.js';

describe.skipIf(skipHosts)('directory parents on a host', () => {
  let f: HostFixture;
  let name: string;
  beforeAll(async () => {
    f = await bootFixture(1, 'tparent');
    name = f.hosts.hosts[0]!.name;
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  const stat = async (paths: string[]) => {
    const r = await f.hosts.exec(name, `stat -c '%n %a %U:%G' ${paths.join(' ')}`);
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout.trim().split('\n');
  };
  const run = async (options: Parameters<typeof directory>[1]) => {
    const host = hostHandle(f, name, false);
    try {
      return await directory(host, options);
    } finally {
      await host.close();
    }
  };

  it('creates missing parents as mkdir -p does unless parents is "same"', async () => {
    const attrs = { mode: '0750', owner: 'www-data', group: 'adm' } as const;
    expect((await run({ path: '/srv/p1/a/b', ...attrs })).changed).toBe(true);
    expect(await stat(['/srv/p1', '/srv/p1/a', '/srv/p1/a/b'])).toEqual([
      '/srv/p1 755 root:root',
      '/srv/p1/a 755 root:root',
      '/srv/p1/a/b 750 www-data:adm',
    ]);

    await f.hosts.exec(name, 'mkdir -p /srv/p2 && chmod 0711 /srv/p2');
    expect((await run({ path: '/srv/p2/a/b', parents: 'same', ...attrs })).changed).toBe(true);
    expect(await stat(['/srv', '/srv/p2', '/srv/p2/a', '/srv/p2/a/b'])).toEqual([
      '/srv 755 root:root', // existed: untouched
      '/srv/p2 711 root:root', // existed: untouched
      '/srv/p2/a 750 www-data:adm',
      '/srv/p2/a/b 750 www-data:adm',
    ]);
    expect((await run({ path: '/srv/p2/a/b', parents: 'same', ...attrs })).changed).toBe(false);
  });
});
