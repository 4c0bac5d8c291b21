// `apt` on a real Debian 12 test host: installs, removals, upgrades, lists refresh and lock waits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apt } from '../../tasks/packages/apt.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';

const NONINTERACTIVE = 'export DEBIAN_FRONTEND=noninteractive;';

/**
 * Holds an apt/dpkg lock inside the host for `seconds`, returning once it is held. apt locks with
 * fcntl (lockf), which flock(1) does not conflict with on Linux: `flock /var/lib/dpkg/lock-frontend
 * sleep 3` would not block apt at all, so Python's lockf stands in for a concurrent apt run.
 */
function holdLock(path: string, seconds: number): string {
  const py = `import fcntl,sys,time; f=open(sys.argv[1],"w"); fcntl.lockf(f,fcntl.LOCK_EX); open("/tmp/lock-held","w").close(); time.sleep(float(sys.argv[2]))`;
  return `rm -f /tmp/lock-held; setsid python3 -c '${py}' ${path} ${seconds} >/dev/null 2>&1 < /dev/null & while [ ! -e /tmp/lock-held ]; do sleep 0.05; done`;
}

describe.skipIf(skipHosts)('apt', () => {
  let f: HostFixture;
  let name: string;
  beforeAll(async () => {
    f = await bootFixture(1, 'tapt');
    name = f.hosts.hosts[0]!.name;
  });
  const dpkgStatus = async (pkg: string) =>
    (await f.hosts.exec(name, `dpkg-query -W -f='\${db:Status-Status}' ${pkg}`)).stdout;
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  it('installs missing packages once; check mode after a removal reports it and changes nothing', async () => {
    const proof = await proveIdempotent(f, name, (host) => apt(host, { packages: ['tree', 'jq'] }), {
      drift: `${NONINTERACTIVE} apt-get remove -y -q tree`,
      diffContains: ['package tree absent → 2.1.0-1'],
    });
    expect(proof.first.changes).toHaveLength(2);
    expect(proof.first.changes?.[0]).toMatch(/^apt tree, jq: package tree absent → 2\.1\.0-1$/);
    expect(proof.first.changes?.[1]).toMatch(/^apt tree, jq: package jq absent → 1\.6/);
    expect(await dpkgStatus('jq')).toBe('installed');
    expect(await dpkgStatus('tree'), 'the drift, untouched by check mode').toBe(''); // dpkg forgot it (no conffiles)
  });

  it('an install is two round trips (read, apt-get), an idempotent run one', async () => {
    const host = hostHandle(f, name);
    try {
      await host.connection();
      const t = Date.now();
      expect((await apt(host, { packages: ['tree', 'jq'] })).changes).toEqual([
        expect.stringMatching(/package tree absent → /),
      ]); // the drift above
      expect(host.roundTrips).toBe(2);
      console.log(`apt install: ${host.roundTrips} round trips, ${Date.now() - t} ms`);
      const before = host.roundTrips;
      const t0 = Date.now();
      const outcome = await apt(host, { packages: ['tree', 'jq'] });
      expect(outcome.changed).toBe(false);
      expect(host.roundTrips - before).toBe(1);
      console.log(`apt unchanged: ${host.roundTrips - before} round trip, ${Date.now() - t0} ms`);
    } finally {
      await host.close();
    }
  });

  it('removes and purges; purge also clears a removed package’s config files', async () => {
    await f.hosts.exec(
      name,
      `${NONINTERACTIVE} apt-get install -y -q --no-install-recommends nano && apt-get remove -y -q nano`,
    );
    expect(await dpkgStatus('nano')).toBe('config-files');
    const proof = await proveIdempotent(
      f,
      name,
      (host) => apt(host, { packages: ['jq', 'nano', 'no-such-package-here'], state: 'absent', purge: true }),
      {
        drift: `${NONINTERACTIVE} apt-get install -y -q --no-install-recommends jq`,
        diffContains: ['package jq 1.6'],
      },
    );
    expect(proof.first.changes).toEqual([
      expect.stringMatching(/package jq 1\.6\S+ → purged$/),
      expect.stringMatching(/package nano config-files → purged$/),
    ]);
    expect((await f.hosts.exec(name, 'test -e /etc/nanorc')).exitCode).not.toBe(0);
  });

  it('latest: upgrades an older installed version to the candidate, and only then', async () => {
    // Two versions of jq are in Debian 12's lists: the release's and a security update.
    const policy = (await f.hosts.exec(name, 'LC_ALL=C apt-cache policy jq')).stdout;
    const candidate = /Candidate: (\S+)/.exec(policy)?.[1];
    const versions = [...policy.matchAll(/^ {5}(?:\*\*\* )?(\S+) \d+$/gm)]
      .map((m) => m[1]!)
      .filter((v) => v !== candidate);
    expect(versions.length, `an older jq than ${candidate} in:\n${policy}`).toBeGreaterThan(0);
    const older = versions[0]!;
    const downgrade = `${NONINTERACTIVE} apt-get install -y -q --allow-downgrades --no-install-recommends jq=${older} libjq1=${older}`;
    expect((await f.hosts.exec(name, downgrade)).exitCode).toBe(0);
    const present = hostHandle(f, name);
    try {
      expect(
        (await apt(present, { packages: 'jq' })).changed,
        'present is satisfied by the older version',
      ).toBe(false);
    } finally {
      await present.close();
    }
    const proof = await proveIdempotent(f, name, (host) => apt(host, { packages: 'jq', state: 'latest' }), {
      drift: downgrade,
      diffContains: [`package jq ${older} → ${candidate}`],
    });
    expect(proof.first.changes).toEqual([`apt jq: package jq ${older} → ${candidate}`]);
  });

  it('refreshes the lists only when older than cacheValidTime', async () => {
    const age = (s: string) => `touch -d '${s}' /var/lib/apt/lists`;
    await f.hosts.exec(name, age('2 days ago'));
    const proof = await proveIdempotent(
      f,
      name,
      (host) => apt(host, { packages: [], updateCache: true, cacheValidTime: 3600 }),
      {
        drift: age('3 hours ago'),
        diffContains: ['apt lists: lists 108', '→ refreshed'],
      },
    );
    expect(proof.first.changes?.[0]).toMatch(/^apt lists: lists 17\d{4}s old → refreshed$/);
  });

  it('waits for a dpkg lock held by another process (DPkg::Lock::Timeout), and fails fast with lockTimeout 0', async () => {
    const host = hostHandle(f, name);
    try {
      await f.hosts.exec(name, holdLock('/var/lib/dpkg/lock-frontend', 3));
      await expect(apt(host, { packages: 'hello', lockTimeout: 0 })).rejects.toThrow(
        /Could not get lock \/var\/lib\/dpkg\/lock-frontend/,
      );
      const t0 = Date.now();
      const outcome = await apt(host, { packages: 'hello', lockTimeout: 30 });
      expect(outcome.changes).toEqual([expect.stringMatching(/^apt hello: package hello absent → 2\.10/)]);
      expect(Date.now() - t0, 'apt waited for the lock').toBeGreaterThan(1500);
    } finally {
      await host.close();
    }
  });

  it('waits for the lists lock too (apt-get update ignores DPkg::Lock::Timeout there)', async () => {
    const host = hostHandle(f, name);
    try {
      await f.hosts.exec(name, holdLock('/var/lib/apt/lists/lock', 3));
      const t0 = Date.now();
      const outcome = await apt(host, {
        packages: [],
        updateCache: true,
        cacheValidTime: 0,
        lockTimeout: 30,
      });
      expect(outcome.changed).toBe(true);
      expect(Date.now() - t0, 'the update waited for the lock').toBeGreaterThan(1500);
      await f.hosts.exec(name, holdLock('/var/lib/apt/lists/lock', 3));
      await expect(
        apt(host, { packages: [], updateCache: true, cacheValidTime: 0, lockTimeout: 0 }),
      ).rejects.toThrow(/Could not get lock \/var\/lib\/apt\/lists\/lock/);
    } finally {
      await host.close();
    }
  });

  it('refuses an uninstallable package before changing anything', async () => {
    const host = hostHandle(f, name);
    try {
      await expect(apt(host, { packages: ['tree', 'mail-transport-agent'] })).rejects.toThrow(
        /mail-transport-agent has no installation candidate/,
      );
    } finally {
      await host.close();
    }
  });
});
