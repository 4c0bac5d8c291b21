// `aptRepository` on a real Debian 12 test host, against a signed local repository built inside it
// (a `file:` flat repository whose InRelease is signed with a gpg key generated for the test).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apt } from '../../tasks/packages/apt.js';
import { aptRepository } from '../../tasks/packages/apt-repository.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';

/**
 * gpg + gpg-agent to make keys and sign; the index files are written by hand (the fields apt
 * needs for a flat repository) rather than with apt-ftparchive, whose apt-utils would upgrade apt.
 */
const BUILD_REPO = String.raw`set -e
export DEBIAN_FRONTEND=noninteractive GNUPGHOME=/root/nsgpg
apt-get install -y -q --no-install-recommends gpg gpg-agent >/dev/null
mkdir -p -m 700 "$GNUPGHOME"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' --quick-gen-key 'NS Test Repo <repo@test>' ed25519 sign never
gpg --batch --quiet --pinentry-mode loopback --passphrase '' --quick-gen-key 'Someone Else <other@test>' ed25519 sign never
mkdir -p /root/pkg/DEBIAN /root/pkg/usr/share/nsdemo /srv/nsrepo
printf 'Package: nsdemo\nVersion: 1.0\nArchitecture: all\nMaintainer: NovaStation tests <t@example.org>\nDescription: test package from a signed local repository\n' > /root/pkg/DEBIAN/control
echo hi > /root/pkg/usr/share/nsdemo/hi
dpkg-deb --build /root/pkg /srv/nsrepo/nsdemo_1.0_all.deb >/dev/null
cd /srv/nsrepo
{ dpkg-deb -f nsdemo_1.0_all.deb; echo "Filename: ./nsdemo_1.0_all.deb"; echo "Size: $(stat -c %s nsdemo_1.0_all.deb)"; echo "SHA256: $(sha256sum < nsdemo_1.0_all.deb | cut -d' ' -f1)"; } > Packages
{ echo "Date: $(date -Ru)"; echo "SHA256:"; echo " $(sha256sum < Packages | cut -d' ' -f1) $(stat -c %s Packages) Packages"; } > Release
gpg --batch --yes --local-user repo@test --clearsign -o InRelease Release
gpg --armor --export repo@test > /root/repo.asc
gpg --armor --export other@test > /root/other.asc
gpg --dearmor < /root/repo.asc > /root/repo.gpg
gpgconf --kill gpg-agent`;

describe.skipIf(skipHosts)('aptRepository', () => {
  let f: HostFixture;
  let name: string;
  let key: string;
  let otherKey: string;
  const exec = async (cmd: string) => {
    const r = await f.hosts.exec(name, cmd);
    expect(r.exitCode, `${cmd}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  beforeAll(async () => {
    f = await bootFixture(1, 'taptrepo');
    name = f.hosts.hosts[0]!.name;
    await exec(BUILD_REPO);
    key = await exec('cat /root/repo.asc');
    otherKey = await exec('cat /root/other.asc');
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  const repo = { name: 'nsrepo', uris: 'file:/srv/nsrepo', suites: './' };

  it('deb822 source + armored .asc keyring: written once, lists refreshed, packages installable', async () => {
    const proof = await proveIdempotent(f, name, (host) => aptRepository(host, { ...repo, key }), {
      drift:
        'echo "# local edit" >> /etc/apt/sources.list.d/nsrepo.sources; chmod 0600 /etc/apt/keyrings/nsrepo.asc',
      diffContains: [
        '-# local edit',
        'keyring /etc/apt/keyrings/nsrepo.asc mode 0600 → 0644',
        'lists → refreshed for this repository',
      ],
    });
    expect(proof.first.changes).toEqual([
      'apt repository nsrepo: keyring /etc/apt/keyrings/nsrepo.asc absent → created',
      'apt repository nsrepo: source /etc/apt/sources.list.d/nsrepo.sources absent → created',
      'apt repository nsrepo: lists → refreshed for this repository',
    ]);
    expect(proof.first.diff).toContain('+Signed-By: /etc/apt/keyrings/nsrepo.asc');
    expect(await exec('cat /etc/apt/sources.list.d/nsrepo.sources')).toBe(
      '# Managed by NovaStation: local changes are overwritten.\nTypes: deb\nURIs: file:/srv/nsrepo\nSuites: ./\nSigned-By: /etc/apt/keyrings/nsrepo.asc\n# local edit\n',
    );
    // The refresh happened (apt knows the package) and apt trusts the repository: it installs.
    expect(await exec('LC_ALL=C apt-cache policy nsdemo')).toMatch(/Candidate: 1\.0/);
    const host = hostHandle(f, name);
    try {
      expect((await apt(host, { packages: 'nsdemo' })).changes).toEqual([
        'apt nsdemo: package nsdemo absent → 1.0',
      ]);
      const before = host.roundTrips;
      await aptRepository(host, { ...repo, key }); // repairs the drift
      const t0 = Date.now();
      const rt = host.roundTrips;
      expect((await aptRepository(host, { ...repo, key })).changed).toBe(false);
      expect(host.roundTrips - rt, 'an unchanged repository is one round trip').toBe(1);
      console.log(
        `aptRepository: repair ${rt - before} round trips; unchanged ${host.roundTrips - rt} round trip, ${Date.now() - t0} ms`,
      );
    } finally {
      await host.close();
    }
    expect(await exec('cat /usr/share/nsdemo/hi')).toBe('hi\n');
  });

  it('one-line source + .gpg keyring dearmored on the controller (byte-identical to gpg --dearmor); the old format is removed', async () => {
    const keyring = '/etc/apt/keyrings/nsrepo.gpg';
    const proof = await proveIdempotent(
      f,
      name,
      (host) => aptRepository(host, { ...repo, key, format: 'one-line', keyring }),
      {
        drift: `rm ${keyring}`,
        diffContains: [`keyring ${keyring} absent → created`],
      },
    );
    expect(proof.first.changes).toEqual([
      `apt repository nsrepo: keyring ${keyring} absent → created`,
      'apt repository nsrepo: leftover /etc/apt/keyrings/nsrepo.asc present → absent',
      'apt repository nsrepo: source /etc/apt/sources.list.d/nsrepo.list absent → created',
      'apt repository nsrepo: leftover /etc/apt/sources.list.d/nsrepo.sources present → absent',
      'apt repository nsrepo: lists → refreshed for this repository',
    ]);
    expect(await exec('ls /etc/apt/sources.list.d /etc/apt/keyrings')).toBe(
      '/etc/apt/keyrings:\n\n/etc/apt/sources.list.d:\nnsrepo.list\n',
    );
    expect(await exec('cat /etc/apt/sources.list.d/nsrepo.list')).toContain(
      `deb [signed-by=${keyring}] file:/srv/nsrepo ./\n`,
    );
    // Put the keyring back (the drift removed it) and compare it with gpg's own dearmoring.
    const host = hostHandle(f, name);
    try {
      await aptRepository(host, { ...repo, key, format: 'one-line', keyring });
    } finally {
      await host.close();
    }
    expect(await exec(`cmp ${keyring} /root/repo.gpg && echo same`)).toBe('same\n');
  });

  it('a refresh that fails (wrong key) fails the task and removes the source, so the next run retries', async () => {
    const host = hostHandle(f, name);
    try {
      const task = () => aptRepository(host, { ...repo, name: 'badrepo', key: otherKey });
      await expect(task()).rejects.toThrow(
        /apt repository badrepo: refreshing its lists failed, so \/etc\/apt\/sources.list.d\/badrepo.sources was removed again[\s\S]*NO_PUBKEY/,
      );
      expect((await f.hosts.exec(name, 'test -e /etc/apt/sources.list.d/badrepo.sources')).exitCode).not.toBe(
        0,
      );
      await expect(task(), 'the next run tries again').rejects.toThrow(/refreshing its lists failed/);
      // Other repositories never saw it: a full refresh still works.
      expect((await apt(host, { packages: [], updateCache: true, cacheValidTime: 0 })).changed).toBe(true);
      await aptRepository(host, { name: 'badrepo', state: 'absent' });
    } finally {
      await host.close();
    }
  });

  it('absent removes the source and keyring files', async () => {
    const proof = await proveIdempotent(
      f,
      name,
      (host) => aptRepository(host, { name: 'nsrepo', state: 'absent' }),
      {
        drift: 'echo "deb file:/srv/nsrepo ./" > /etc/apt/sources.list.d/nsrepo.list',
        diffContains: ['source /etc/apt/sources.list.d/nsrepo.list present → absent'],
      },
    );
    expect(proof.first.changes).toEqual([
      'apt repository nsrepo: source /etc/apt/sources.list.d/nsrepo.list present → absent',
      'apt repository nsrepo: keyring /etc/apt/keyrings/nsrepo.gpg present → absent',
    ]);
  });
});
