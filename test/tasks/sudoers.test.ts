// sudoers drop-ins on a real Debian 12 host, validated by visudo through file()'s validate option.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileValidationError } from '../../lib/host/atomic-write.js';
import { sudoers, sudoersRule, type SudoersOptions } from '../../tasks/accounts/sudoers.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';
import { untouchable } from './fixtures/accounts/untouchable.js';

describe('sudoers options', () => {
  it('renders one rule, escaping what sudoers(5) needs escaped in arguments', () => {
    expect(
      sudoersRule({
        group: 'ops',
        commands: ['/usr/bin/systemctl restart nginx', '/usr/bin/journalctl -u a,b'],
        noPassword: true,
        runAs: 'root',
      }),
    ).toBe('%ops ALL=(root) NOPASSWD: /usr/bin/systemctl restart nginx, /usr/bin/journalctl -u a\\,b\n');
    expect(sudoersRule({ user: 'deploy', commands: 'ALL' })).toBe('deploy ALL=ALL\n');
  });

  it('refuses bad options before touching the host', () => {
    const refused = (o: unknown, message: RegExp) => {
      expect(() => sudoers(untouchable, o as SudoersOptions)).toThrow(TypeError);
      expect(() => sudoers(untouchable, o as SudoersOptions)).toThrow(message);
    };
    refused(
      { name: 'ops.conf', content: 'x\n' },
      /sudoers: name must be letters, digits, _ and - only \(sudo skips files in sudoers.d whose name has a dot or ends in ~\), got "ops.conf"/,
    );
    refused({ name: 'ops~', content: 'x\n' }, /sudoers: name must be letters/);
    refused({ name: '../sudoers', content: 'x\n' }, /sudoers: name must be letters/);
    refused({ name: 'ops' }, /sudoers: user or group: give exactly one \(or give content\)/);
    refused({ name: 'ops', user: 'a', group: 'b', commands: 'ALL' }, /give exactly one/);
    refused(
      { name: 'ops', group: 'ops', commands: ['systemctl restart nginx'] },
      /sudoers: commands must be "ALL" or a non-empty array of commands with absolute paths/,
    );
    refused({ name: 'ops', group: 'ops', commands: [] }, /sudoers: commands must be/);
    refused({ name: 'ops', content: '   ' }, /sudoers: content must be non-empty sudoers text/);
    refused({ name: 'ops', content: 'x\n', user: 'deploy' }, /sudoers: user cannot be combined with content/);
    refused(
      { name: 'ops', group: 'ops', commands: 'ALL', runAs: 'root; rm' },
      /sudoers: runAs must be a runas spec/,
    );
    refused(
      { name: 'ops', state: 'absent', content: 'x' },
      /sudoers: content has no meaning with state "absent"/,
    );
    refused(
      { name: 'ops', group: 'ops', commands: 'ALL', nopasswd: true },
      /^sudoers: unknown option nopasswd \(known: name, state, content, user, group, commands, runAs, noPassword\)/,
    );
    refused({ name: 'ops', group: 'ops' }, /sudoers: commands must be "ALL" or a non-empty array/);
  });

  it('is a compile error too', () => {
    // @ts-expect-error: commands are "ALL" or a list, not one string.
    expect(() => sudoers(untouchable, { name: 'ops', group: 'ops', commands: '/bin/true' })).toThrow(
      /sudoers: commands must be "ALL"/,
    );
  });
});

describe.skipIf(skipHosts)('sudoers on a real host', () => {
  let f: HostFixture;
  let name: string;
  const sh = async (cmd: string) => {
    const r = await f.hosts.exec(name, cmd);
    expect(r.exitCode, `${cmd}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  beforeAll(async () => {
    f = await bootFixture(1, 'tsudo');
    name = f.hosts.hosts[0]!.name;
    await sh('groupadd ops && useradd -m -G ops olivia && useradd -m deploy');
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  const rule = {
    name: 'ops',
    group: 'ops',
    commands: ['/usr/bin/systemctl restart nginx'],
    noPassword: true,
  } as const;

  it('writes /etc/sudoers.d/<name> 0440 root:root; idempotent; check mode after drift changes nothing; sudo applies it', async () => {
    const proof = await proveIdempotent(f, name, (host) => sudoers(host, { ...rule }), {
      drift: "echo '%ops ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/ops && chmod 0644 /etc/sudoers.d/ops",
      diffContains: [
        '-%ops ALL=(ALL) NOPASSWD: ALL',
        '+%ops ALL=NOPASSWD: /usr/bin/systemctl restart nginx',
        'mode 0644 → 0440',
      ],
    });
    expect(proof.first.changes).toEqual(['file /etc/sudoers.d/ops: state → created']);
    const h = hostHandle(f, name);
    try {
      expect((await sudoers(h, { ...rule })).changed).toBe(true);
    } finally {
      await h.close();
    }
    expect(await sh('stat -c "%a %U %G" /etc/sudoers.d/ops; cat /etc/sudoers.d/ops')).toBe(
      '440 root root\n%ops ALL=NOPASSWD: /usr/bin/systemctl restart nginx\n',
    );
    expect(await sh('sudo -l -U olivia')).toContain('(root) NOPASSWD: /usr/bin/systemctl restart nginx');
  });

  it('leaves the old file byte-identical and no temp behind when visudo refuses the new content', async () => {
    const before = await sh('sha256sum /etc/sudoers.d/ops; ls -A /etc/sudoers.d');
    const h = hostHandle(f, name);
    try {
      const error = await sudoers(h, { name: 'ops', content: '%ops ALL=(ALL NOPASSWD: ALL\n' }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FileValidationError);
      expect((error as Error).message).toMatch(
        /validation failed for \/etc\/sudoers.d\/ops \(visudo -cf %s\).*\n.*syntax error/,
      );
    } finally {
      await h.close();
    }
    expect(await sh('sha256sum /etc/sudoers.d/ops; ls -A /etc/sudoers.d')).toBe(before);
    expect(await sh('visudo -c >/dev/null && echo valid')).toBe('valid\n');
  });

  it('writes raw content (final newline added) and removes a drop-in with state absent', async () => {
    const h = hostHandle(f, name);
    try {
      const made = await sudoers(h, {
        name: 'deploy',
        content: 'Defaults:deploy !lecture\ndeploy ALL=(root) /usr/bin/apt-get update',
      });
      expect(made.changed).toBe(true);
      expect(await sh('cat /etc/sudoers.d/deploy')).toBe(
        'Defaults:deploy !lecture\ndeploy ALL=(root) /usr/bin/apt-get update\n',
      );
      expect(
        (
          await sudoers(h, {
            name: 'deploy',
            content: 'Defaults:deploy !lecture\ndeploy ALL=(root) /usr/bin/apt-get update\n',
          })
        ).changed,
      ).toBe(false);
    } finally {
      await h.close();
    }
    await proveIdempotent(f, name, (host) => sudoers(host, { name: 'deploy', state: 'absent' }), {
      drift: "echo 'deploy ALL=ALL' > /etc/sudoers.d/deploy",
      diffContains: ['absent /etc/sudoers.d/deploy: state file (15 bytes) → absent'],
    });
  });

  it('takes one round trip to find nothing to do, one more to write', async () => {
    const h = hostHandle(f, name);
    try {
      expect((await sudoers(h, { ...rule })).changed).toBe(false);
      expect(h.roundTrips).toBe(1);
      expect((await sudoers(h, { ...rule, commands: ['/usr/bin/systemctl reload nginx'] })).changed).toBe(
        true,
      );
      expect(h.roundTrips).toBe(3);
    } finally {
      await h.close();
    }
  });
});
