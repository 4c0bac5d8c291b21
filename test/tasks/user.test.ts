// user and its password handling on a real Debian 12 host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret } from '../../lib/secret.js';
import { user, type UserOptions } from '../../tasks/accounts/user.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';

/** Checks a password against /etc/shadow with Python's crypt (not the Perl the probe uses). */
const checkPassword = (u: string, pw: string) =>
  `python3 -W ignore -c 'import crypt,sys; h=[l.split(":")[1] for l in open("/etc/shadow") if l.startswith(sys.argv[1]+":")][0]; print("ok" if crypt.crypt(sys.argv[2], h) == h else "bad")' ${u} '${pw}'`;

/** `id -Gn`, sorted after the primary group (the group file's order is not ours to test). */
const groupsOf = (u: string) =>
  `id -gn ${u} | tr '\\n' ' '; id -Gn ${u} | tr ' ' '\\n' | grep -vx "$(id -gn ${u})" | sort | paste -sd' ' -`;

describe.skipIf(skipHosts)('user', () => {
  let f: HostFixture;
  let name: string;
  const sh = async (cmd: string) => {
    const r = await f.hosts.exec(name, cmd);
    expect(r.exitCode, `${cmd}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  /** One real run (after a proof, whose last step left the drift in place). */
  const runReal = async (o: UserOptions) => {
    const h = hostHandle(f, name);
    try {
      return await user(h, o);
    } finally {
      await h.close();
    }
  };
  beforeAll(async () => {
    f = await bootFixture(1, 'tuser');
    name = f.hosts.hosts[0]!.name;
    await sh('groupadd -g 2100 ops && groupadd -g 2101 web && groupadd -g 2102 audit');
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  it('creates a user with uid, groups, shell, home and a plain password; idempotent; check mode after drift changes nothing', async () => {
    const pw = 'Pl41n:pass-word';
    const proof = await proveIdempotent(
      f,
      name,
      (host) =>
        user(host, {
          name: 'deploy',
          uid: 1500,
          groups: ['web', 'ops'],
          shell: '/bin/bash',
          comment: 'Deploy bot',
          password: secret(pw),
        }),
      {
        drift: "usermod -s /bin/sh -G audit deploy && echo 'deploy:changed-by-hand' | chpasswd",
        diffContains: [
          'user deploy: shell /bin/sh → /bin/bash',
          'user deploy: groups audit → ops,web',
          'user deploy: password → updated',
        ],
        secret: pw,
      },
    );
    expect(proof.first.changes).toEqual(['user deploy: state → created', 'user deploy: password → set']);
    // The drift is still there: check mode changed nothing.
    expect(
      await sh(
        `getent passwd deploy | cut -d: -f7; id -Gn deploy; ${checkPassword('deploy', 'changed-by-hand')}`,
      ),
    ).toBe('/bin/sh\ndeploy audit\nok\n');
    // A real run puts it all back; the password is verified by Python's crypt, not the probe's Perl.
    const h = hostHandle(f, name);
    try {
      const fix = await user(h, {
        name: 'deploy',
        uid: 1500,
        groups: ['web', 'ops'],
        shell: '/bin/bash',
        comment: 'Deploy bot',
        password: secret(pw),
      });
      expect(fix.changed).toBe(true);
      expect(
        await sh(
          `getent passwd deploy; ${groupsOf('deploy')}; stat -c "%a %U %G" /home/deploy; ${checkPassword('deploy', pw)}`,
        ),
      ).toBe('deploy:x:1500:1500:Deploy bot:/home/deploy:/bin/bash\ndeploy ops web\n755 deploy deploy\nok\n');
    } finally {
      await h.close();
    }
  });

  it('compares a passwordHash with /etc/shadow and sets it through chpasswd -e', async () => {
    const hash = (await sh("openssl passwd -6 -salt NsSalt01 'hashed-pw-77'")).trim();
    await proveIdempotent(
      f,
      name,
      (host) => user(host, { name: 'hashy', passwordHash: secret(hash), createHome: false }),
      {
        drift: 'usermod -p "!" hashy',
        diffContains: ['user hashy: password → updated'],
        secret: hash,
      },
    );
    expect(await sh('getent shadow hashy | cut -d: -f2; test -e /home/hashy || echo no-home')).toBe(
      '!\nno-home\n',
    );
  });

  it('sets a plain password only on creation with updatePassword onCreate', async () => {
    const h = hostHandle(f, name);
    try {
      expect(
        (await user(h, { name: 'oncreate', password: secret('first-pw-1'), updatePassword: 'onCreate' }))
          .changed,
      ).toBe(true);
      expect(
        (await user(h, { name: 'oncreate', password: secret('second-pw-2'), updatePassword: 'onCreate' }))
          .changed,
      ).toBe(false);
      expect(await sh(checkPassword('oncreate', 'first-pw-1'))).toBe('ok\n');
    } finally {
      await h.close();
    }
  });

  it('joins an existing group named like the user, and reports creation in check mode without creating', async () => {
    await sh('groupadd -g 2200 carol');
    await proveIdempotent(f, name, (host) => user(host, { name: 'carol', shell: '/bin/bash' }), {
      drift: 'userdel -r carol && groupadd -g 2200 carol', // userdel also drops the user's own group
      diffContains: ['user carol: state → created'],
    });
    await runReal({ name: 'carol', shell: '/bin/bash' });
    expect(await sh('getent passwd carol | cut -d: -f4; getent group carol | cut -d: -f3')).toBe(
      '2200\n2200\n',
    );
  });

  it('appends groups or sets them exactly; moves a home; recreates a missing one', async () => {
    const h = hostHandle(f, name);
    try {
      await sh('useradd -m -G audit -s /bin/sh eve && echo hello > /home/eve/note');
      const append = await user(h, { name: 'eve', groups: ['web'], append: true });
      expect(append.changes).toEqual(['user eve: groups audit → audit,web']);
      expect(await sh(groupsOf('eve'))).toBe('eve audit web\n');
      const exact = await user(h, { name: 'eve', groups: ['ops'] });
      expect(exact.changes).toEqual(['user eve: groups audit,web → ops']);
      expect(await sh(groupsOf('eve'))).toBe('eve ops\n');
      const moved = await user(h, { name: 'eve', home: '/srv/eve', moveHome: true });
      expect(moved.changes).toEqual(['user eve: home /home/eve → /srv/eve (moved)']);
      expect(await sh('cat /srv/eve/note; test -e /home/eve || echo gone')).toBe('hello\ngone\n');
      await sh('rm -rf /srv/eve');
      const recreated = await user(h, { name: 'eve', home: '/srv/eve' });
      expect(recreated.changes).toEqual(['user eve: home folder → created']);
      expect(await sh('stat -c "%U %G" /srv/eve; test -f /srv/eve/.bashrc && echo skel')).toBe(
        'eve eve\nskel\n',
      );
      expect((await user(h, { name: 'eve', home: '/srv/eve', groups: ['ops'] })).changed).toBe(false);
    } finally {
      await h.close();
    }
  });

  it('removes a user (and its home with removeHome); absent twice is ok', async () => {
    await sh('useradd -m gone');
    await proveIdempotent(
      f,
      name,
      (host) => user(host, { name: 'gone', state: 'absent', removeHome: true }),
      {
        drift: 'useradd -m gone',
        diffContains: ['user gone: state present → absent (home removed)'],
      },
    );
    await runReal({ name: 'gone', state: 'absent', removeHome: true });
    expect(await sh('getent passwd gone || echo none; test -e /home/gone || echo no-home')).toBe(
      'none\nno-home\n',
    );
  });

  it('takes one round trip to find nothing to do and one more to change', async () => {
    const h = hostHandle(f, name);
    try {
      const opts = {
        name: 'deploy',
        uid: 1500,
        groups: ['web', 'ops'],
        shell: '/bin/bash',
        comment: 'Deploy bot',
        password: secret('Pl41n:pass-word'),
      };
      expect((await user(h, opts)).changed).toBe(false);
      expect(h.roundTrips).toBe(1);
      const before = h.roundTrips;
      expect((await user(h, { ...opts, shell: '/bin/sh', password: secret('another-one-3') })).changed).toBe(
        true,
      );
      expect(h.roundTrips - before).toBe(2);
    } finally {
      await h.close();
    }
  });
});
