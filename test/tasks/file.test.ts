import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { file } from '../../tasks/files/file.js';
import { secret } from '../../lib/secret.js';
import { FileValidationError } from '../../lib/host/atomic-write.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';
import type { Host } from '../../lib/host/host.js';

describe.skipIf(skipHosts)('file', () => {
  let f: HostFixture;
  let name: string;
  beforeAll(async () => {
    f = await bootFixture(1, 'tfile');
    name = f.hosts.hosts[0]!.name;
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  async function withHost<T>(fn: (host: Host) => Promise<T>, check = false): Promise<T> {
    const host = hostHandle(f, name, check);
    try {
      return await fn(host);
    } finally {
      await host.close();
    }
  }
  const sh = async (cmd: string) => {
    const r = await f.hosts.exec(name, cmd);
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout;
  };

  it('writes content, mode and owner idempotently; check mode after drift changes nothing; diff shows it', async () => {
    const proof = await proveIdempotent(
      f,
      name,
      (host) =>
        file(host, {
          path: '/etc/demo.conf',
          content: 'a = 1\n',
          mode: '0640',
          owner: 'root',
          group: 'root',
        }),
      {
        drift: 'echo "a = 2" > /etc/demo.conf; chmod 0644 /etc/demo.conf',
        diffContains: ['-a = 2', '+a = 1', 'mode 0644 → 0640'],
      },
    );
    expect(proof.first.changes).toEqual(['file /etc/demo.conf: state → created']);
    expect(await sh('stat -c %a /etc/demo.conf; cat /etc/demo.conf')).toBe('644\na = 2\n'); // the drift, untouched by check mode
  });

  it('never shows sensitive content in changes or diffs', async () => {
    const value = 'db-password-Zx81!';
    await proveIdempotent(
      f,
      name,
      (host) =>
        file(host, { path: '/etc/demo.secret', content: secret(`password=${value}\n`), mode: '0600' }),
      {
        drift: 'echo "password=old" > /etc/demo.secret',
        secret: value,
        diffContains: ['content changed (sensitive, not shown)'],
      },
    );
  });

  it('a validate failure leaves the original byte-identical (same inode), removes the temp, and says why', async () => {
    const path = '/etc/sudoers.d/ns-ops';
    const good = '%sudo ALL=(ALL:ALL) NOPASSWD: /usr/bin/true\n';
    await withHost((host) => file(host, { path, content: good, mode: '0440', validate: 'visudo -cf %s' }));
    const before = await sh(`stat -c '%i %a %Y' ${path}; sha256sum ${path}`);
    const error = await withHost((host) =>
      file(host, { path, content: '%sudo ALL=(ALL NOPASSWD\n', mode: '0440', validate: 'visudo -cf %s' }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileValidationError);
    expect((error as Error).message).toMatch(
      /^validation failed for \/etc\/sudoers.d\/ns-ops \(visudo -cf %s\); the file was left unchanged:\n.*syntax error/s,
    );
    expect(await sh(`stat -c '%i %a %Y' ${path}; sha256sum ${path}`)).toBe(before);
    expect(await sh(`ls -A /etc/sudoers.d`)).toBe('README\nns-ops\n');
    expect(await sh('visudo -c >/dev/null && echo sudo still parses')).toBe('sudo still parses\n');
  });

  it('backup keeps the old file under a name no include glob loads, and names it in the outcome', async () => {
    const path = '/etc/sudoers.d/ns-backup';
    await withHost((host) =>
      file(host, {
        path,
        content: '%sudo ALL=(ALL) NOPASSWD: /usr/bin/id\n',
        mode: '0440',
        validate: 'visudo -cf %s',
      }),
    );
    const outcome = await withHost((host) =>
      file(host, {
        path,
        content: '%sudo ALL=(ALL) NOPASSWD: /usr/bin/true\n',
        mode: '0440',
        validate: 'visudo -cf %s',
        backup: true,
      }),
    );
    const backup = /backup (\/etc\/sudoers\.d\/\.ns-backup\.\d{8}T\d{6}\.\d{9}Z~)$/.exec(
      outcome.message ?? '',
    )?.[1];
    expect(backup, outcome.message).toBeDefined();
    expect(outcome.changes).toContain(`file ${path}: backup ${backup}`);
    expect(await sh(`cat '${backup}'; stat -c %a '${backup}'`)).toBe(
      '%sudo ALL=(ALL) NOPASSWD: /usr/bin/id\n440\n',
    );
    // sudo skips names with a dot: the backup is not loaded (visudo -c lists what it parsed).
    expect(await sh('visudo -c')).not.toContain('.ns-backup');
    expect(await sh(`rm -f '${backup}' /etc/sudoers.d/ns-backup /etc/sudoers.d/ns-ops; echo ok`)).toBe(
      'ok\n',
    );
  });

  it('changes mode and owner alone without rewriting the content (same inode)', async () => {
    await sh(`printf 'x\\n' > /etc/ns-attr; chmod 600 /etc/ns-attr`);
    const inode = await sh('stat -c %i /etc/ns-attr');
    const outcome = await withHost((host) =>
      file(host, { path: '/etc/ns-attr', content: 'x\n', mode: '0644', group: 'adm' }),
    );
    expect(outcome.changes).toEqual([
      'file /etc/ns-attr: mode 0600 → 0644',
      'file /etc/ns-attr: group root → adm',
    ]);
    expect(await sh('stat -c "%i %a %G" /etc/ns-attr')).toBe(`${inode.trim()} 644 adm\n`);
  });

  it('reports and removes temps a killed write left, even when the content is already right', async () => {
    await sh(`printf 'k\\n' > /etc/ns-stray; printf 'partial' > '/etc/.ns-stray.ns-AbCd1234~'`);
    const checked = await withHost((host) => file(host, { path: '/etc/ns-stray', content: 'k\n' }), true);
    expect(checked.changes).toEqual(['file /etc/ns-stray: temp files of an interrupted write 1 → removed']);
    expect(await sh(`ls -A /etc | grep ns-stray`)).toBe('.ns-stray.ns-AbCd1234~\nns-stray\n'); // check mode kept it
    await withHost((host) => file(host, { path: '/etc/ns-stray', content: 'k\n' }));
    expect(await sh(`ls -A /etc | grep ns-stray`)).toBe('ns-stray\n');
  });

  it('reads in one round trip, writes in one; large and binary content too', async () => {
    const big = Buffer.alloc(300_000, 'abcdefgh'); // over the transport's here-document limit
    const binary = Buffer.from([0, 1, 2, 255, 10]);
    await withHost(async (host) => {
      await host.connection();
      const trips = async (fn: () => Promise<unknown>) => {
        const before = host.roundTrips;
        await fn();
        return host.roundTrips - before;
      };
      expect(await trips(() => file(host, { path: '/etc/ns-big', content: big }))).toBe(2);
      expect(await trips(() => file(host, { path: '/etc/ns-big', content: big }))).toBe(1);
      expect(await trips(() => file(host, { path: '/etc/ns-bin', content: binary }))).toBe(2);
      const changed = await file(host, { path: '/etc/ns-bin', content: Buffer.from([0, 9]) });
      expect(changed.diff).toBe('Binary content of /etc/ns-bin differs (5 → 2 bytes)\n');
    });
    expect(await sh('sha256sum < /etc/ns-big')).toContain(createHash('sha256').update(big).digest('hex'));
  });

  it('refuses to write through a symlink or over a directory', async () => {
    await sh('ln -sfn /etc/hostname /etc/ns-link; mkdir -p /etc/ns-dir');
    await expect(withHost((host) => file(host, { path: '/etc/ns-link', content: 'x' }))).rejects.toThrow(
      'file /etc/ns-link: /etc/ns-link is a symlink (to /etc/hostname); manage its target instead, not a regular file',
    );
    await expect(withHost((host) => file(host, { path: '/etc/ns-dir', content: 'x' }))).rejects.toThrow(
      'is a directory, not a regular file',
    );
  });
});

describe('file options', () => {
  it('are refused before anything runs', () => {
    expect(() => file(null as never, { path: 'relative/path', content: '' })).toThrow(
      /file: path must be absolute, got "relative\/path"/,
    );
    expect(() => file(null as never, { path: '/x', content: '', mode: '999' })).toThrow(
      /file: mode must be octal/,
    );
    expect(() => file(null as never, { path: '/x', content: '', mode: 420 as never })).toThrow(
      /a number is ambiguous/,
    );
    expect(() => file(null as never, { path: '/x', content: 5 as never })).toThrow(
      /file: content must be a string, Buffer or Secret, got 5/,
    );
    expect(() => file(null as never, { path: '/x/../y', content: '' })).toThrow(/path must be normalised/);
    expect(() => file(null as never, { path: '/x', content: '', owner: 'a b' })).toThrow(
      /owner must be a user\/group name/,
    );
    expect(() => file(null as never, { path: '/x', content: '', validate: 'visudo -c' })).toThrow(
      /file: validate must contain %s/,
    );
    expect(() => file(null as never, { path: '/x', content: '', backup: 'yes' as never })).toThrow(
      /backup must be true or false/,
    );
  });
});
