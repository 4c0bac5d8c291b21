// user/group probes, plans and scripts, on output captured from a Debian 12 test host (no host needed).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { secret } from '../../lib/secret.js';
import { parseGroupProbe, parseUserProbe, userProbeScript } from '../../tasks/accounts/account-facts.js';
import { planGroup } from '../../tasks/accounts/group.js';
import { planUser, user, userScript, type UserOptions } from '../../tasks/accounts/user.js';
import { untouchable } from './fixtures/accounts/untouchable.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/accounts/${name}`, import.meta.url), 'utf8');
const alice = () => parseUserProbe('alice', fixture('user-alice.txt'));

describe('account probes', () => {
  it('parses an account: passwd fields, primary group name, memberships from the group database', () => {
    expect(alice()).toEqual({
      account: {
        name: 'alice',
        uid: 1000,
        gid: 1000,
        comment: 'Alice A,,,',
        home: '/home/alice',
        shell: '/bin/bash',
        primaryGroup: 'alice',
        groups: ['ops', 'web'],
        homeExists: true,
      },
      sameNameGroupGid: 1000,
    });
    expect(parseUserProbe('alice', fixture('user-alice-password-match.txt')).account?.password).toBe('match');
    expect(parseUserProbe('alice', fixture('user-alice-password-differs.txt')).account?.password).toBe(
      'differs',
    );
    expect(parseUserProbe('alice', fixture('user-alice-other-home.txt')).account?.homeExists).toBe(false);
    // root's own group (gid 0) is its primary group, not a membership.
    expect(parseUserProbe('root', fixture('user-root.txt')).account?.groups).toEqual(['web']);
  });

  it('parses a missing account, with and without a group of the same name', () => {
    expect(parseUserProbe('carol', fixture('user-absent-same-name-group.txt'))).toEqual({
      account: null,
      sameNameGroupGid: 2102,
    });
    expect(parseUserProbe('nobody2', fixture('user-absent.txt'))).toEqual({
      account: null,
      sameNameGroupGid: null,
    });
    expect(() => parseUserProbe('x', 'garbage\n')).toThrow(/unexpected probe output/);
  });

  it('parses groups and who holds a gid', () => {
    expect(parseGroupProbe('web', fixture('group-web.txt'))).toEqual({
      group: { name: 'web', gid: 2101, members: ['alice', 'root'] },
      gidOwner: 'ops',
    });
    expect(parseGroupProbe('nosuch', fixture('group-absent.txt'))).toEqual({ group: null, gidOwner: 'web' });
  });

  it('compares passwords on the host, never putting one in the script', () => {
    const script = userProbeScript('alice', { password: 'plain' });
    expect(script).toContain('crypt($p, $h)');
    expect(script).toContain('H=$h perl'); // the hash goes through the environment, not argv
    expect(userProbeScript('alice', { password: 'hash' })).toContain('getent_to s shadow');
    expect(userProbeScript('alice')).not.toMatch(/getent(_to s)? shadow/);
  });
});

describe('user plan', () => {
  const plan = (o: Partial<UserOptions>, facts = alice()) => planUser({ name: 'alice', ...o }, facts);

  it('is empty when everything matches', () => {
    expect(
      plan({
        uid: 1000,
        group: 'alice',
        groups: ['web', 'ops'],
        shell: '/bin/bash',
        home: '/home/alice',
        comment: 'Alice A,,,',
      }),
    ).toEqual([]);
    expect(plan({ group: '1000', groups: ['web'], append: true })).toEqual([]);
  });

  it('lists each difference as data', () => {
    expect(plan({ uid: 1500, group: 'ops', groups: ['web'], shell: '/bin/sh', comment: 'Alice' })).toEqual([
      { field: 'uid', from: '1000', to: '1500', uid: 1500 },
      { field: 'group', from: 'alice', to: 'ops', value: 'ops' },
      { field: 'groups', from: 'ops,web', to: 'web', groups: ['web'], add: [], remove: ['ops'] },
      { field: 'shell', from: '/bin/bash', to: '/bin/sh', value: '/bin/sh' },
      { field: 'comment', from: 'Alice A,,,', to: 'Alice', value: 'Alice' },
    ]);
    // Membership as data: what apply adds and removes; the line shows the lists before and after.
    expect(plan({ groups: ['sudo'], append: true })).toEqual([
      {
        field: 'groups',
        from: 'ops,web',
        to: 'ops,sudo,web',
        groups: ['ops', 'sudo', 'web'],
        add: ['sudo'],
        remove: [],
      },
    ]);
    expect(plan({ groups: [] })).toEqual([
      { field: 'groups', from: 'ops,web', to: '(none)', groups: [], add: [], remove: ['ops', 'web'] },
    ]);
  });

  it('creates a missing home unless told not to, and not when moving the old one', () => {
    const facts = parseUserProbe('alice', fixture('user-alice-other-home.txt'));
    expect(plan({ home: '/srv/alice' }, facts)).toEqual([
      { field: 'home', from: '/home/alice', to: '/srv/alice', home: '/srv/alice', move: false },
      { field: 'home folder', to: 'created', path: '/srv/alice' },
    ]);
    expect(plan({ home: '/srv/alice', createHome: false }, facts)).toHaveLength(1);
    expect(plan({ home: '/srv/alice', moveHome: true }, facts)).toEqual([
      { field: 'home', from: '/home/alice', to: '/srv/alice (moved)', home: '/srv/alice', move: true },
    ]);
  });

  it('plans passwords without their values', () => {
    const differs = parseUserProbe('alice', fixture('user-alice-password-differs.txt'));
    const matches = parseUserProbe('alice', fixture('user-alice-password-match.txt'));
    expect(plan({ password: secret('s3cret:pw') }, differs)).toEqual([{ field: 'password', to: 'updated' }]);
    expect(plan({ password: secret('s3cret:pw') }, matches)).toEqual([]);
    expect(plan({ password: secret('s3cret:pw'), updatePassword: 'onCreate' }, differs)).toEqual([]);
    const none = parseUserProbe('nobody2', fixture('user-absent.txt'));
    expect(
      planUser({ name: 'nobody2', password: secret('s3cret:pw'), updatePassword: 'onCreate' }, none),
    ).toEqual([
      { field: 'state', to: 'created' },
      { field: 'password', to: 'set' },
    ]);
    const noPerl = { ...matches, account: { ...matches.account!, password: 'unverifiable' as const } };
    expect(() => plan({ password: secret('s3cret:pw') }, noPerl)).toThrow(/no perl.*passwordHash/);
  });

  it('plans removal', () => {
    expect(plan({ state: 'absent', removeHome: true })).toEqual([
      { field: 'state', from: 'present', to: 'absent (home removed)', removeHome: true },
    ]);
    expect(
      planUser({ name: 'nobody2', state: 'absent' }, parseUserProbe('nobody2', fixture('user-absent.txt'))),
    ).toEqual([]);
  });
});

describe('user script', () => {
  it('creates with useradd, joining a same-named group that exists, and sets the password from stdin', () => {
    const facts = parseUserProbe('carol', fixture('user-absent-same-name-group.txt'));
    const o: UserOptions = {
      name: 'carol',
      groups: ['web'],
      shell: '/bin/bash',
      password: secret('pw-9f8e7d'),
    };
    const script = userScript(o, facts, planUser(o, facts));
    expect(script).toBe('set -e\nuseradd -g carol -G web -s /bin/bash -m -- carol\nchpasswd');
    expect(script).not.toContain('pw-9f8e7d');
  });

  it('modifies only what changed, in one usermod', () => {
    const o: UserOptions = {
      name: 'alice',
      groups: ['sudo'],
      append: true,
      shell: '/bin/zsh',
      passwordHash: '$6$salt$hash',
    };
    const facts = parseUserProbe('alice', fixture('user-alice-password-differs.txt'));
    expect(userScript(o, facts, planUser(o, facts))).toBe(
      'set -e\nusermod -a -G sudo -s /bin/zsh -- alice\nchpasswd -e',
    );
    const system: UserOptions = { name: 'nobody2', system: true, comment: "it's me" };
    const none = parseUserProbe('nobody2', fixture('user-absent.txt'));
    expect(userScript(system, none, planUser(system, none))).toBe(
      "set -e\nuseradd -U -M -r -c 'it'\\''s me' -- nobody2",
    );
  });
});

describe('group plan', () => {
  const web = () => parseGroupProbe('web', fixture('group-web.txt'));
  it('creates, renumbers, removes — and refuses a gid another group holds, also in check mode', () => {
    expect(planGroup({ name: 'nosuch' }, { group: null, gidOwner: null })).toEqual([
      { field: 'state', to: 'created' },
    ]);
    expect(planGroup({ name: 'nosuch', gid: 2300 }, { group: null, gidOwner: null })).toEqual([
      { field: 'state', to: 'created (gid 2300)', gid: 2300 },
    ]);
    expect(planGroup({ name: 'web', gid: 2101 }, { ...web(), gidOwner: 'web' })).toEqual([]);
    expect(planGroup({ name: 'web', gid: 2200 }, { ...web(), gidOwner: null })).toEqual([
      { field: 'gid', from: '2101', to: '2200', gid: 2200 },
    ]);
    expect(planGroup({ name: 'web', state: 'absent' }, web())).toEqual([
      { field: 'state', from: 'present', to: 'absent' },
    ]);
    expect(() =>
      planGroup({ name: 'nosuch', gid: 2101 }, parseGroupProbe('nosuch', fixture('group-absent.txt'))),
    ).toThrow(/gid 2101 already belongs to group web/);
  });
});

describe('user options', () => {
  const refusedUser = (o: unknown, message: RegExp) => {
    expect(() => user(untouchable, o as UserOptions)).toThrow(TypeError);
    expect(() => user(untouchable, o as UserOptions)).toThrow(message);
  };

  it('refuses bad user options before touching the host, naming the option', () => {
    refusedUser(null, /user: options must be an object/);
    refusedUser({ name: 'Alice' }, /user: name must be a user\/group name/);
    refusedUser({ name: '1000' }, /user: name must be/);
    refusedUser({ name: 'a'.repeat(33) }, /user: name must be/);
    refusedUser({ name: 'alice', uid: -1 }, /user: uid must be an integer from 0/);
    refusedUser({ name: 'alice', uid: '1000' }, /user: uid must be an integer/);
    refusedUser({ name: 'alice', groups: 'web' }, /user: groups must be an array of group names/);
    refusedUser({ name: 'alice', groups: ['Web Users'] }, /user: groups\.0 must be a user\/group name/);
    refusedUser({ name: 'alice', append: true }, /user: append needs groups/);
    refusedUser({ name: 'alice', shell: 'bash' }, /user: shell must be an absolute path/);
    refusedUser({ name: 'alice', home: '/home/a:b' }, /user: home must be an absolute path without ":"/);
    refusedUser(
      { name: 'alice', comment: 'a\nb' },
      /user: comment must be a string without ":" or a newline/,
    );
    refusedUser({ name: 'alice', moveHome: true }, /user: moveHome needs home/);
    refusedUser(
      { name: 'alice', password: 'plain-text-pw' },
      /user: password must be a Secret.*\(the value is not shown\)/,
    );
    refusedUser(
      { name: 'alice', password: secret('two\nlines') },
      /user: password must be non-empty, without a newline/,
    );
    refusedUser({ name: 'alice', passwordHash: 'hunter2' }, /user: passwordHash must be a crypt hash/);
    refusedUser(
      { name: 'alice', password: secret('pw-1234'), passwordHash: '$6$a$b' },
      /user: password and passwordHash exclude each other/,
    );
    refusedUser(
      { name: 'alice', updatePassword: 'always' },
      /user: updatePassword needs password or passwordHash/,
    );
    refusedUser(
      { name: 'alice', updatePassword: 'sometimes', password: secret('pw-1234') },
      /user: updatePassword must be one of "always", "onCreate"/,
    );
    refusedUser(
      { name: 'alice', state: 'absent', shell: '/bin/sh' },
      /user: shell has no meaning with state "absent"/,
    );
    refusedUser({ name: 'alice', removeHome: true }, /user: removeHome only applies with state "absent"/);
    refusedUser({ name: 'alice', state: 'gone' }, /user: state must be one of "present", "absent"/);
    refusedUser(
      { name: 'alice', createhome: true },
      /^user: unknown option createhome: did you mean createHome\? \(known: name, state, uid,/,
    );
  });

  it('is a compile error too', () => {
    // @ts-expect-error: a plain password must be a Secret.
    expect(() => user(untouchable, { name: 'alice', password: 'pw-1234' })).toThrow(/must be a Secret/);
    // @ts-expect-error: `createhome` is not an option (it is `createHome`).
    expect(() => user(untouchable, { name: 'alice', createhome: true })).toThrow(/unknown option createhome/);
  });

  it('never puts a refused password in the message', () => {
    for (const o of [
      { passwordHash: secret('not-a-hash-5831') },
      { passwordHash: 'not-a-hash-5831' },
      { password: 'plain-5831' },
      { password: secret('x\n5831') },
    ]) {
      expect(() => user(untouchable, { name: 'alice', ...(o as object) })).toThrow(/not shown/);
      try {
        user(untouchable, { name: 'alice', ...(o as object) });
      } catch (e) {
        expect((e as Error).message).not.toContain('5831');
      }
    }
  });
});
