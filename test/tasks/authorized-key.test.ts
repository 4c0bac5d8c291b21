// authorized_key: line parsing and editing (pure), then on a real Debian 12 host, down to an SSH
// login with the installed key (sshd's StrictModes accepts the folder and file we made).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizedKey, type AuthorizedKeyOptions } from '../../tasks/accounts/authorized-key.js';
import {
  editAuthorizedKeys,
  formatKeyLine,
  parseKeyLine,
} from '../../tasks/accounts/authorized-key-lines.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';
import { untouchable } from './fixtures/accounts/untouchable.js';

const run = promisify(execFile);
const A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const C = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCcc=';

describe('authorized_keys lines', () => {
  it('parses keys with options (quoted spaces included) and comments; not comments or junk', () => {
    expect(parseKeyLine(`${A} alice@laptop`)).toEqual({
      type: 'ssh-ed25519',
      blob: A.split(' ')[1],
      comment: 'alice@laptop',
    });
    expect(parseKeyLine(`command="echo hi there",no-pty ${B} ci key`)).toEqual({
      options: 'command="echo hi there",no-pty',
      type: 'ssh-ed25519',
      blob: B.split(' ')[1],
      comment: 'ci key',
    });
    expect(parseKeyLine(C)).toEqual({ type: 'ecdsa-sha2-nistp256', blob: C.split(' ')[1] });
    expect(parseKeyLine('# a comment')).toBeNull();
    expect(parseKeyLine('')).toBeNull();
    expect(parseKeyLine('not a key at all')).toBeNull();
    expect(parseKeyLine('ssh-ed25519 not-base64!')).toBeNull();
    expect(formatKeyLine({ options: 'no-pty', type: 'ssh-ed25519', blob: 'AAAA', comment: 'x y' })).toBe(
      'no-pty ssh-ed25519 AAAA x y',
    );
  });

  const key = (line: string) => parseKeyLine(line)!;
  it('appends missing keys, keeps other lines byte for byte, and leaves a file needing nothing as it was', () => {
    const current = `# admins\n${A}   old-comment\n`;
    expect(editAuthorizedKeys(current, { keys: [key(B)], state: 'present', exclusive: false })).toBe(
      `${current}${B}\n`,
    );
    // A wanted key without a comment keeps the line's comment and its spacing.
    expect(editAuthorizedKeys(current, { keys: [key(A)], state: 'present', exclusive: false })).toBe(current);
    expect(
      editAuthorizedKeys(`${A} no-newline`, { keys: [key(A)], state: 'present', exclusive: false }),
    ).toBe(`${A} no-newline`);
    expect(editAuthorizedKeys(null, { keys: [key(A)], state: 'present', exclusive: false })).toBe(`${A}\n`);
  });

  it('replaces a key line in place when its options or comment differ', () => {
    const current = `${A} one\n${B} two\n`;
    expect(
      editAuthorizedKeys(current, {
        keys: [{ ...key(A), options: 'no-pty' }],
        state: 'present',
        exclusive: false,
      }),
    ).toBe(`no-pty ${A} one\n${B} two\n`);
    expect(
      editAuthorizedKeys(`from="10.0.0.1" ${A} one\n`, {
        keys: [key(`${A} renamed`)],
        state: 'present',
        exclusive: false,
      }),
    ).toBe(`${A} renamed\n`);
  });

  it('exclusive: exactly the given keys; absent: only their lines removed', () => {
    const current = `# admins\n${A} one\n${B} two\n`;
    expect(editAuthorizedKeys(current, { keys: [key(C)], state: 'present', exclusive: true })).toBe(`${C}\n`);
    expect(editAuthorizedKeys(current, { keys: [key(A)], state: 'absent', exclusive: false })).toBe(
      `# admins\n${B} two\n`,
    );
    expect(editAuthorizedKeys(current, { keys: [key(C)], state: 'absent', exclusive: false })).toBe(current);
    expect(editAuthorizedKeys(null, { keys: [key(C)], state: 'absent', exclusive: false })).toBeNull();
  });

  it('refuses bad options before touching the host', () => {
    const refused = (o: unknown, message: RegExp) => {
      expect(() => authorizedKey(untouchable, o as AuthorizedKeyOptions)).toThrow(TypeError);
      expect(() => authorizedKey(untouchable, o as AuthorizedKeyOptions)).toThrow(message);
    };
    refused({ user: 'Root', keys: [A] }, /authorized_key: user must be a user\/group name/);
    refused(
      { user: 'deploy', keys: ['ssh-ed25519'] },
      /authorized_key: keys must be public keys like "ssh-ed25519 AAAA… comment", got "ssh-ed25519"/,
    );
    refused({ user: 'deploy', keys: [] }, /authorized_key: keys must hold at least one key/);
    refused(
      { user: 'deploy', keys: 42 },
      /authorized_key: keys must be a public key string or an array of them/,
    );
    refused(
      { user: 'deploy', keys: [A], keyOptions: 'a\nb' },
      /authorized_key: keyOptions must be a non-empty sshd options string on one line/,
    );
    refused(
      { user: 'deploy', keys: [A], state: 'absent', exclusive: true },
      /authorized_key: exclusive has no meaning with state "absent"/,
    );
    refused(
      { user: 'deploy', key: A },
      /^authorized_key: unknown option key: did you mean keys\? \(known: user, keys, keyOptions, exclusive, state\)/,
    );
  });

  it('is a compile error too', () => {
    // @ts-expect-error: exclusive is a flag.
    expect(() => authorizedKey(untouchable, { user: 'deploy', keys: [A], exclusive: 'yes' })).toThrow(
      /authorized_key: exclusive must be true or false/,
    );
  });
});

describe.skipIf(skipHosts)('authorized_key on a real host', () => {
  let f: HostFixture;
  let name: string;
  let keyFile: string;
  let publicKey: string;
  const sh = async (cmd: string) => {
    const r = await f.hosts.exec(name, cmd);
    expect(r.exitCode, `${cmd}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  beforeAll(async () => {
    f = await bootFixture(1, 'takey');
    name = f.hosts.hosts[0]!.name;
    keyFile = join(mkdtempSync(join(tmpdir(), 'ns-akey-')), 'id_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'deploy@test', '-f', keyFile]);
    publicKey = readFileSync(`${keyFile}.pub`, 'utf8').trim();
    await sh('useradd -m -s /bin/bash deploy && useradd -m -s /bin/bash nokeys && userdel nokeys');
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  const login = async (user: string) => {
    const h = f.hosts.host(name);
    const args = [
      '-i',
      keyFile,
      '-p',
      String(h.port),
      '-o',
      `UserKnownHostsFile=${f.knownHosts}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      `${user}@${h.address}`,
      'id -un',
    ];
    return run('ssh', args).then(
      (r) => r.stdout.trim(),
      (e: { stderr?: string }) => `refused: ${e.stderr ?? e}`,
    );
  };

  it('creates ~/.ssh (0700) and authorized_keys (0600) owned by the user; idempotent; the key logs in; check mode after drift changes nothing', async () => {
    expect(await login('deploy')).toMatch(/^refused/);
    const proof = await proveIdempotent(
      f,
      name,
      (host) => authorizedKey(host, { user: 'deploy', keys: [publicKey] }),
      {
        drift: `chmod 0644 /home/deploy/.ssh/authorized_keys && echo '${B} intruder' >> /home/deploy/.ssh/authorized_keys`,
        diffContains: ['mode 0644 → 0600'],
      },
    );
    expect(proof.first.changes).toEqual([
      'authorized_key deploy: /home/deploy/.ssh state → directory created',
      'authorized_key deploy: /home/deploy/.ssh/authorized_keys state → created',
    ]);
    // Not exclusive: the drifted extra key is no change (only the mode is).
    expect(proof.check?.changes).toEqual([
      'authorized_key deploy: /home/deploy/.ssh/authorized_keys mode 0644 → 0600',
    ]);
    expect(await sh('stat -c "%a %U %G" /home/deploy/.ssh /home/deploy/.ssh/authorized_keys')).toBe(
      '700 deploy deploy\n644 deploy deploy\n',
    );
    const h = hostHandle(f, name);
    try {
      expect((await authorizedKey(h, { user: 'deploy', keys: [publicKey] })).changed).toBe(true);
    } finally {
      await h.close();
    }
    expect(await sh('stat -c "%a %U %G" /home/deploy/.ssh/authorized_keys')).toBe('600 deploy deploy\n');
    expect(await login('deploy')).toBe('deploy');
  });

  it('exclusive removes other keys (diff shows it); keyOptions apply; absent removes one key', async () => {
    const exclusive = await proveIdempotent(
      f,
      name,
      (host) => authorizedKey(host, { user: 'deploy', keys: [publicKey], exclusive: true }),
      {
        drift: `echo '${A} stray' >> /home/deploy/.ssh/authorized_keys`,
        diffContains: [`-${A} stray`],
      },
    );
    expect(exclusive.first.diff).toContain(`-${B} intruder`);
    expect(await sh('grep -c . /home/deploy/.ssh/authorized_keys')).toBe('2\n'); // the drift stays after check mode
    const h = hostHandle(f, name);
    try {
      await authorizedKey(h, { user: 'deploy', keys: [publicKey], exclusive: true });
      const restricted = await authorizedKey(h, {
        user: 'deploy',
        keys: publicKey,
        keyOptions: 'command="echo restricted"',
      });
      expect(restricted.diff).toContain(`+command="echo restricted" ${publicKey}`);
      expect(await login('deploy')).toBe('restricted');
      const removed = await authorizedKey(h, { user: 'deploy', keys: [publicKey], state: 'absent' });
      expect(removed.changed).toBe(true);
      expect(await sh('cat /home/deploy/.ssh/authorized_keys | wc -c')).toBe('0\n');
      expect(await login('deploy')).toMatch(/^refused/);
      expect((await authorizedKey(h, { user: 'deploy', keys: [publicKey], state: 'absent' })).changed).toBe(
        false,
      );
    } finally {
      await h.close();
    }
  });

  it('a missing user is a change in check mode and a clear failure in a real run; a symlinked ~/.ssh is refused', async () => {
    const check = hostHandle(f, name, true);
    const h = hostHandle(f, name);
    try {
      const planned = await authorizedKey(check, { user: 'nokeys', keys: [A] });
      expect(planned.changes).toEqual([
        'authorized_key nokeys: authorized keys → written once user nokeys exists',
      ]);
      await expect(authorizedKey(h, { user: 'nokeys', keys: [A] })).rejects.toThrow(
        /authorized_key nokeys: no such user/,
      );
      await sh('useradd -m linky && ln -s /etc /home/linky/.ssh');
      await expect(authorizedKey(h, { user: 'linky', keys: [A] })).rejects.toThrow(
        /\/home\/linky\/.ssh is a symlink \(to \/etc\), not a folder/,
      );
      expect(await sh('test -e /etc/authorized_keys || echo untouched')).toBe('untouched\n');
    } finally {
      await check.close();
      await h.close();
    }
  });

  it('takes one round trip to find nothing to do; one per part that changes', async () => {
    const h = hostHandle(f, name);
    try {
      await sh('useradd -m rt');
      expect((await authorizedKey(h, { user: 'rt', keys: [A] })).changed).toBe(true);
      expect(h.roundTrips).toBe(3); // read, mkdir .ssh, write the file
      expect((await authorizedKey(h, { user: 'rt', keys: [A] })).changed).toBe(false);
      expect(h.roundTrips).toBe(4);
      expect((await authorizedKey(h, { user: 'rt', keys: [A, B] })).changed).toBe(true);
      expect(h.roundTrips).toBe(6); // read, write the file
    } finally {
      await h.close();
    }
  });
});
