/** directory, absent, symlink and copy on a real host (one host for the file), plus their option checks. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { absent } from '../../tasks/files/absent.js';
import { copy } from '../../tasks/files/copy.js';
import { directory } from '../../tasks/files/directory.js';
import { symlink } from '../../tasks/files/symlink.js';
import type { Host } from '../../lib/host/host.js';
import type { TaskOutcome } from '../../lib/define.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';

const local = mkdtempSync(join(tmpdir(), 'ns-copy-'));

describe.skipIf(skipHosts)('file-family primitives on a host', () => {
  let f: HostFixture;
  let name: string;
  beforeAll(async () => {
    f = await bootFixture(1, 'ttree');
    name = f.hosts.hosts[0]!.name;
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  const sh = async (cmd: string) => {
    const r = await f.hosts.exec(name, cmd);
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout;
  };
  /** Run once, counting round trips. */
  async function trips(
    task: (host: Host) => Promise<TaskOutcome>,
    check = false,
  ): Promise<{ outcome: TaskOutcome; trips: number }> {
    const host = hostHandle(f, name, check);
    try {
      await host.connection();
      const outcome = await task(host);
      return { outcome, trips: host.roundTrips };
    } finally {
      await host.close();
    }
  }

  it('directory: created with mode/owner, idempotent, check after drift changes nothing', async () => {
    const proof = await proveIdempotent(
      f,
      name,
      (host) => directory(host, { path: '/srv/ns/app', mode: '0750', owner: 'www-data', group: 'adm' }),
      {
        drift: 'chmod 0755 /srv/ns/app; chown root /srv/ns/app',
        diffContains: [
          'directory /srv/ns/app: mode 0755 → 0750',
          'directory /srv/ns/app: owner root → www-data',
        ],
      },
    );
    expect(proof.first.changes).toEqual(['directory /srv/ns/app: state → directory created']);
    expect(await sh('stat -c "%a %U %G" /srv/ns/app')).toBe('755 root adm\n'); // the drift, untouched
  });

  it('directory recursive: owner/group on every entry, mode on directories, fileMode on files — only where they differ', async () => {
    await sh(
      'mkdir -p /srv/ns/tree/a/b; echo x > /srv/ns/tree/a/f; echo y > /srv/ns/tree/a/b/g; chmod 700 /srv/ns/tree/a; chmod 600 /srv/ns/tree/a/b/g; ln -sfn f /srv/ns/tree/a/l',
    );
    const options = {
      path: '/srv/ns/tree',
      owner: 'www-data',
      group: 'www-data',
      mode: '0750',
      recursive: true,
      fileMode: '0640',
    };
    const proof = await proveIdempotent(f, name, (host) => directory(host, options), {
      drift: 'chmod 0777 /srv/ns/tree/a/b; chown root /srv/ns/tree/a/f',
      diffContains: [
        'directory /srv/ns/tree: owner below 1 entry differs → www-data',
        'directory /srv/ns/tree: mode of directories below 1 entry differs → 0750',
      ],
    });
    expect(proof.first.changes).toEqual([
      'directory /srv/ns/tree: mode 0755 → 0750',
      'directory /srv/ns/tree: owner root → www-data',
      'directory /srv/ns/tree: group root → www-data',
      'directory /srv/ns/tree: owner below 5 entries differ → www-data',
      'directory /srv/ns/tree: group below 5 entries differ → www-data',
      'directory /srv/ns/tree: mode of directories below 2 entries differ → 0750',
      'directory /srv/ns/tree: mode of files below 2 entries differ → 0640',
    ]);
    const host = hostHandle(f, name);
    try {
      await directory(host, options);
    } finally {
      await host.close();
    }
    expect(await sh('cd /srv/ns/tree && find . -printf "%p %m %u %g %y\\n" | sort')).toBe(
      [
        '. 750 www-data www-data d',
        './a 750 www-data www-data d',
        './a/b 750 www-data www-data d',
        './a/b/g 640 www-data www-data f',
        './a/f 640 www-data www-data f',
        './a/l 777 www-data www-data l',
        '',
      ].join('\n'),
    );
    expect(await sh('cat /srv/ns/tree/a/f')).toBe('x\n'); // chown -h: the link's target was not followed twice
  });

  it('directory: an unknown owner fails the read instead of counting nothing', async () => {
    await expect(
      trips((host) => directory(host, { path: '/srv/ns/tree', owner: 'nosuchuser', recursive: true })),
    ).rejects.toThrow(/nosuchuser/);
  });

  it('absent: removes a file, a link, a tree; idempotent; check after drift changes nothing', async () => {
    await sh('mkdir -p /srv/ns/gone/x; echo 1 > /srv/ns/gone/x/1');
    const proof = await proveIdempotent(f, name, (host) => absent(host, { path: '/srv/ns/gone' }), {
      drift: 'echo back > /srv/ns/gone',
      diffContains: ['absent /srv/ns/gone: state file (5 bytes) → absent'],
    });
    expect(proof.first.changes).toEqual(['absent /srv/ns/gone: state directory (2 entries) → absent']);
    expect(await sh('cat /srv/ns/gone')).toBe('back\n');
    const { outcome } = await trips((host) => absent(host, { path: '/srv/ns/gone' }));
    expect(outcome.changed).toBe(true);
    expect(await sh('test ! -e /srv/ns/gone && echo gone')).toBe('gone\n');
  });

  it('absent refuses / and top-level directories', async () => {
    expect(() => absent(null as never, { path: '/' })).toThrow('absent: path must not be /');
    await expect(trips((host) => absent(host, { path: '/srv' }), true)).rejects.toThrow(
      'absent /srv: refusing to remove a top-level directory',
    );
  });

  it('symlink: created, a wrong one replaced atomically, idempotent; check after drift changes nothing', async () => {
    await sh('mkdir -p /srv/ns/rel; echo 1 > /srv/ns/rel/v1; echo 2 > /srv/ns/rel/v2');
    const proof = await proveIdempotent(
      f,
      name,
      (host) => symlink(host, { path: '/srv/ns/rel/current', target: 'v2' }),
      {
        drift: 'ln -sfn v1 /srv/ns/rel/current',
        diffContains: ['symlink /srv/ns/rel/current: target v1 → v2'],
      },
    );
    expect(proof.first.changes).toEqual(['symlink /srv/ns/rel/current: state → symlink → v2']);
    const { outcome, trips: n } = await trips((host) =>
      symlink(host, { path: '/srv/ns/rel/current', target: 'v2' }),
    );
    expect([outcome.changed, n]).toEqual([true, 2]);
    expect(await sh('readlink /srv/ns/rel/current; ls -A /srv/ns/rel')).toBe('v2\ncurrent\nv1\nv2\n'); // no temp left
  });

  it('symlink: a real file or directory in the way is refused, replaced with force', async () => {
    await sh('mkdir -p /srv/ns/rel/dir/sub; echo f > /srv/ns/rel/file');
    await expect(trips((host) => symlink(host, { path: '/srv/ns/rel/file', target: 'v1' }))).rejects.toThrow(
      'symlink /srv/ns/rel/file: a file is in the way; set force: true to replace it',
    );
    await expect(trips((host) => symlink(host, { path: '/srv/ns/rel/dir', target: 'v1' }))).rejects.toThrow(
      'a directory is in the way',
    );
    expect(
      (await trips((host) => symlink(host, { path: '/srv/ns/rel/file', target: 'v1', force: true }))).outcome
        .changes,
    ).toEqual(['symlink /srv/ns/rel/file: state file → symlink → v1']);
    await trips((host) => symlink(host, { path: '/srv/ns/rel/dir', target: 'v1', force: true }));
    expect(await sh('readlink /srv/ns/rel/file /srv/ns/rel/dir')).toBe('v1\nv1\n');
  });

  it('copy: a local file to the host, idempotent by SHA-256; check after drift changes nothing; diff shows it', async () => {
    const src = join(local, 'site.conf');
    writeFileSync(src, 'listen 80;\n');
    const proof = await proveIdempotent(
      f,
      name,
      (host) => copy(host, { src: pathToFileURL(src), path: '/etc/ns-site.conf', mode: '0644' }),
      {
        drift: 'echo "listen 8080;" > /etc/ns-site.conf',
        diffContains: ['-listen 8080;', '+listen 80;', 'copy /etc/ns-site.conf: content'],
      },
    );
    expect(proof.first.changes).toEqual(['copy /etc/ns-site.conf: state → created']);
  });

  it('copy: a sensitive file shows no content', async () => {
    const src = join(local, 'key.pem');
    const value = 'PRIVATE-KEY-Qw19-material';
    writeFileSync(src, `${value}\n`);
    await proveIdempotent(
      f,
      name,
      (host) => copy(host, { src, path: '/etc/ns-key.pem', mode: '0600', sensitive: true }),
      {
        drift: 'echo other > /etc/ns-key.pem',
        secret: value,
        diffContains: ['content changed (sensitive, not shown)'],
      },
    );
  });
});

describe('file-family options', () => {
  it('are refused before anything runs', () => {
    expect(() => directory(null as never, { path: '/d', fileMode: '0644' })).toThrow(
      'directory: fileMode needs recursive: true, got "0644"',
    );
    expect(() => directory(null as never, { path: '/', recursive: true, owner: 'x' })).toThrow(
      'directory: path must not be / with recursive',
    );
    expect(() => directory(null as never, { path: '/d', mode: 'rwx' })).toThrow(
      /directory: mode must be octal/,
    );
    expect(() => absent(null as never, { path: 'tmp/x' })).toThrow('absent: path must be absolute');
    expect(() => symlink(null as never, { path: '/l', target: '' })).toThrow(
      'symlink: target must be a non-empty path',
    );
    expect(() => symlink(null as never, { path: '/l', target: 'x', force: 1 as never })).toThrow(
      'symlink: force must be true or false, got 1',
    );
    expect(() => copy(null as never, { src: '/nonexistent/file', path: '/x' })).toThrow(
      /copy: src cannot be read: ENOENT/,
    );
    expect(() => copy(null as never, { src: local, path: '/x' })).toThrow('copy: src must be a regular file');
  });
});
