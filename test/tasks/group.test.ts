// group on a real Debian 12 host (options and plans: user-facts.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { group, type GroupOptions } from '../../tasks/accounts/group.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';
import { untouchable } from './fixtures/accounts/untouchable.js';

describe('group options', () => {
  const refusedGroup = (o: unknown, message: RegExp) => {
    expect(() => group(untouchable, o as GroupOptions)).toThrow(TypeError);
    expect(() => group(untouchable, o as GroupOptions)).toThrow(message);
  };
  it('refuses bad group options before touching the host', () => {
    refusedGroup({ name: 'Ops' }, /group: name must be a user\/group name/);
    refusedGroup({ name: 'ops', gid: 1.5 }, /group: gid must be an integer/);
    refusedGroup({ name: 'ops', gid: 4294967295 }, /group: gid must be an integer from 0 to 4294967294/);
    refusedGroup({ name: 'ops', system: 'yes' }, /group: system must be true or false/);
    refusedGroup({ name: 'ops', state: 'absent', gid: 10 }, /group: gid has no meaning with state "absent"/);
    refusedGroup(
      { name: 'ops', members: ['alice'] },
      /^group: unknown option members \(known: name, state, gid, system\)/,
    );
  });

  it('is a compile error too', () => {
    // @ts-expect-error: a gid is a number.
    expect(() => group(untouchable, { name: 'ops', gid: '2000' })).toThrow(/group: gid must be an integer/);
  });
});

describe.skipIf(skipHosts)('group', () => {
  let f: HostFixture;
  let name: string;
  const sh = async (cmd: string) => {
    const r = await f.hosts.exec(name, cmd);
    expect(r.exitCode, `${cmd}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  beforeAll(async () => {
    f = await bootFixture(1, 'tgroup');
    name = f.hosts.hosts[0]!.name;
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  it('creates a group with a gid; idempotent; check mode after a renumbering drift changes nothing', async () => {
    const proof = await proveIdempotent(f, name, (host) => group(host, { name: 'ops', gid: 2300 }), {
      drift: 'groupmod -g 2301 ops',
      diffContains: ['group ops: gid 2301 → 2300'],
    });
    expect(proof.first.changes).toEqual(['group ops: state → created (gid 2300)']);
    expect(await sh('getent group ops')).toBe('ops:x:2301:\n'); // the drift, untouched by check mode
  });

  it('creates a system group in the system range; leaves an existing group its gid when none is asked', async () => {
    await proveIdempotent(f, name, (host) => group(host, { name: 'svc', system: true }), {
      drift: 'groupdel svc',
      diffContains: ['group svc: state → created'],
    });
    const h = hostHandle(f, name);
    try {
      expect((await group(h, { name: 'svc', system: true })).changed).toBe(true);
      const gid = Number((await sh('getent group svc | cut -d: -f3')).trim());
      expect(gid).toBeLessThan(1000);
      expect((await group(h, { name: 'svc' })).changed).toBe(false);
    } finally {
      await h.close();
    }
  });

  it('removes a group; refuses a gid held by another group before changing anything', async () => {
    await sh('groupadd -g 2400 gone && groupadd -g 2401 holder');
    await proveIdempotent(f, name, (host) => group(host, { name: 'gone', state: 'absent' }), {
      drift: 'groupadd -g 2400 gone',
      diffContains: ['group gone: state present → absent'],
    });
    const h = hostHandle(f, name);
    try {
      await expect(group(h, { name: 'taken', gid: 2401 })).rejects.toThrow(
        /gid 2401 already belongs to group holder/,
      );
      expect(h.roundTrips).toBe(1);
      expect(await sh('getent group taken || echo none')).toBe('none\n');
    } finally {
      await h.close();
    }
  });

  it('takes one round trip to find nothing to do, one more to change', async () => {
    const h = hostHandle(f, name);
    try {
      await sh('groupadd -g 2500 rt');
      expect((await group(h, { name: 'rt', gid: 2500 })).changed).toBe(false);
      expect(h.roundTrips).toBe(1);
      expect((await group(h, { name: 'rt', gid: 2501 })).changed).toBe(true);
      expect(h.roundTrips).toBe(3);
    } finally {
      await h.close();
    }
  });
});
