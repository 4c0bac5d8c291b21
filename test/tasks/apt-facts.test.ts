// apt's probe parsers and planning, on output captured from a Debian 12 test host (no host needed).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAptPolicy, parseAptProbe, parseDpkgQuery } from '../../tasks/packages/apt-facts.js';
import { apt, packageChange, packagesDiff, planPackages, planRefresh } from '../../tasks/packages/apt.js';
import { describeChange } from '../../lib/resource.js';
import { compareDebianVersions } from '../../tasks/packages/apt-version.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/apt/${name}`, import.meta.url), 'utf8');

describe('compareDebianVersions', () => {
  it.each([
    ['1.0', '1.0', 0],
    ['1.0', '1.1', -1],
    ['1:0.1', '2.0', 1], // epoch wins
    ['1.0~rc1', '1.0', -1], // ~ sorts before the end
    ['1.0~~', '1.0~', -1],
    ['1.0', '1.0+b1', -1],
    ['1.0a', '1.0', 1],
    ['1.0-2', '1.0-10', -1], // revisions compare numerically
    ['1.10', '1.9', 1],
    ['1.001', '1.1', 0], // leading zeros
    ['1:9.2p1-2+deb12u10', '1:9.2p1-2+deb12u9', 1],
    ['1.6-2.1+deb12u2', '1.6-2.1+deb12u3', -1],
    ['2.36-9+deb12u14', '2.36-9+deb12u7', 1],
    ['1.2-3-4', '1.2-3-5', -1], // the revision follows the last hyphen
    ['1.0+', '1.0.', -1], // '+' < '.' in ASCII, both non-letters
    ['1.0a', '1.0+', -1], // letters before other symbols
  ])('%s vs %s → %i', (a, b, sign) => {
    expect(Math.sign(compareDebianVersions(a, b))).toBe(sign);
    expect(Math.sign(compareDebianVersions(b, a))).toBe(sign === 0 ? 0 : -sign);
  });
});

describe('apt probe parsing', () => {
  it('joins dpkg and apt-cache policy per asked name (latest: policy for all)', () => {
    const facts = parseAptProbe(fixture('probe-latest-mixed.txt'), [
      'jq',
      'tree',
      'openssh-server',
      'nosuch',
      'libc6:amd64',
      'mail-transport-agent',
    ]);
    expect(facts.packages).toEqual([
      { name: 'jq', status: 'unknown', candidate: '1.6-2.1+deb12u3' },
      { name: 'tree', status: 'installed', installed: '2.1.0-1', candidate: '2.1.0-1' },
      {
        name: 'openssh-server',
        status: 'installed',
        installed: '1:9.2p1-2+deb12u10',
        candidate: '1:9.2p1-2+deb12u10',
      },
      { name: 'nosuch', status: 'unknown', candidate: null },
      {
        name: 'libc6:amd64',
        status: 'installed',
        installed: '2.36-9+deb12u14',
        candidate: '2.36-9+deb12u14',
      },
      { name: 'mail-transport-agent', status: 'unknown', candidate: null }, // virtual: no candidate
    ]);
    expect(facts.cacheAge).toBeGreaterThan(0);
  });

  it('skips apt-cache when every package is installed (the idempotent case stays cheap)', () => {
    const facts = parseAptProbe(fixture('probe-missing-all-installed.txt'), ['tree', 'openssh-server']);
    expect(facts.packages).toEqual([
      { name: 'tree', status: 'installed', installed: '2.1.0-1' },
      { name: 'openssh-server', status: 'installed', installed: '1:9.2p1-2+deb12u10' },
    ]);
    expect(facts.cacheAge).toBe(1795646339 - 1795646086);
  });

  it('asks apt-cache when one is missing', () => {
    const facts = parseAptProbe(fixture('probe-missing-some.txt'), ['tree', 'jq']);
    expect(facts.packages[1]).toEqual({ name: 'jq', status: 'unknown', candidate: '1.6-2.1+deb12u3' });
  });

  it('reads removed-but-configured packages', () => {
    const facts = parseAptProbe(fixture('probe-config-files.txt'), ['nano']);
    expect(facts.packages).toEqual([{ name: 'nano', status: 'config-files', candidate: '7.2-1+deb12u1' }]);
  });

  it('says "never refreshed" when no lists folder exists, and refuses garbage', () => {
    expect(parseAptProbe('@@ns-apt-policy\n@@ns-apt-cache\n1700000000\n', []).cacheAge).toBe(Infinity);
    expect(() => parseAptProbe('bash: dpkg-query: not found\n', ['jq'])).toThrow(/unexpected probe output/);
  });

  it('parses dpkg-query lines and apt-cache policy blocks on their own', () => {
    expect(parseDpkgQuery('libc6 i386 not-installed \nfoo amd64 installed 1.0\n\n')).toEqual([
      { name: 'libc6', arch: 'i386', status: 'not-installed', version: '' },
      { name: 'foo', arch: 'amd64', status: 'installed', version: '1.0' },
    ]);
    const policy = parseAptPolicy(
      'libc6:i386:\n  Installed: (none)\n  Candidate: 2.36-9\n  Version table:\n',
    );
    expect(policy.get('libc6:i386')).toEqual({ installed: null, candidate: '2.36-9' });
  });
});

describe('apt planning', () => {
  const facts = parseAptProbe(fixture('probe-latest-mixed.txt'), ['jq', 'tree', 'openssh-server']);

  it('installs what is missing, names the version, leaves the rest', () => {
    expect(planPackages(facts, { state: 'present', purge: false }, false)).toEqual([
      { action: 'install', package: 'jq', from: 'absent', version: '1.6-2.1+deb12u3' },
    ]);
  });

  it('latest: upgrades only to a newer candidate, never "down" to an older one', () => {
    const older = {
      ...facts,
      packages: [
        {
          name: 'openssh-server',
          status: 'installed' as const,
          installed: '1:9.2p1-2+deb12u10',
          candidate: '1:9.2p1-2+deb12u9',
        },
      ],
    };
    expect(planPackages(older, { state: 'latest', purge: false }, false)).toEqual([]);
    const newer = {
      ...facts,
      packages: [{ name: 'tree', status: 'installed' as const, installed: '2.1.0-1', candidate: '2.1.1-1' }],
    };
    expect(planPackages(newer, { state: 'latest', purge: false }, false)).toEqual([
      { action: 'upgrade', package: 'tree', from: '2.1.0-1', version: '2.1.1-1' },
    ]);
  });

  it('absent: removes installed ones; purge also clears config-files leftovers', () => {
    const absent = parseAptProbe(fixture('probe-absent.txt'), ['nano', 'tree', 'nosuch']);
    expect(planPackages(absent, { state: 'absent', purge: false }, false)).toEqual([
      { action: 'remove', package: 'tree', from: '2.1.0-1' },
    ]);
    expect(planPackages(absent, { state: 'absent', purge: true }, false)).toEqual([
      { action: 'purge', package: 'nano', from: 'config-files' },
      { action: 'purge', package: 'tree', from: '2.1.0-1' },
    ]);
  });

  it('an uninstallable name is an error, unless the lists are about to be refreshed', () => {
    const unknown = parseAptProbe(fixture('probe-latest-mixed.txt'), ['mail-transport-agent']);
    expect(() => planPackages(unknown, { state: 'present', purge: false }, false)).toThrow(
      /mail-transport-agent has no installation candidate/,
    );
    expect(planPackages(unknown, { state: 'present', purge: false }, true)).toEqual([
      { action: 'install', package: 'mail-transport-agent', from: 'absent' },
    ]);
  });

  it('makes the change lines and the --diff from the typed steps', () => {
    const steps = [
      { action: 'install', package: 'jq', from: 'absent', version: '1.6-2' },
      { action: 'upgrade', package: 'tree', from: '2.1.0-1', version: '2.1.1-1' },
      { action: 'remove', package: 'nano', from: '7.2-1' },
      { action: 'purge', package: 'vim', from: 'config-files' },
      { action: 'install', package: 'new', from: 'absent' },
    ] as const;
    expect(steps.map((s) => describeChange(packageChange(s)))).toEqual([
      'package jq absent → 1.6-2',
      'package tree 2.1.0-1 → 2.1.1-1',
      'package nano 7.2-1 → absent',
      'package vim config-files → purged',
      'package new absent → installed',
    ]);
    expect(packagesDiff(steps)?.split('\n').slice(4)).toEqual([
      '@@ -1,3 +1,3 @@',
      '-tree 2.1.0-1',
      '-nano 7.2-1',
      '-vim config-files',
      '+jq 1.6-2',
      '+tree 2.1.1-1',
      '+new (its candidate after the refresh)',
      '',
    ]);
    expect(packagesDiff([])).toBeUndefined();
  });

  it('refreshes the lists only when older than cacheValidTime (0: always)', () => {
    const at = (cacheAge: number) => ({ packages: [], cacheAge });
    expect(planRefresh(at(100), { updateCache: true, cacheValidTime: 3600 })).toEqual([]);
    expect(planRefresh(at(4000), { updateCache: true, cacheValidTime: 3600 })).toEqual([
      { kind: 'lists', field: 'lists', from: '4000s old', to: 'refreshed' },
    ]);
    expect(planRefresh(at(Infinity), { updateCache: true, cacheValidTime: 3600 })).toEqual([
      { kind: 'lists', field: 'lists', from: 'never refreshed', to: 'refreshed' },
    ]);
    expect(planRefresh(at(0), { updateCache: true, cacheValidTime: 0 })).toHaveLength(1);
    expect(planRefresh(at(4000), { updateCache: false, cacheValidTime: 3600 })).toEqual([]);
  });
});

describe('apt options', () => {
  it('refuses bad options before touching the host', () => {
    const host = null as never; // any host access would throw a different error
    expect(() => apt(host, { packages: 'nginx; rm -rf /' })).toThrow(
      /apt: packages must be Debian package names/,
    );
    expect(() => apt(host, { packages: ['jq=1.6'] })).toThrow(/no versions/);
    expect(() => apt(host, { packages: [] })).toThrow(/apt: packages must not be empty/);
    expect(() => apt(host, { packages: 'jq', state: 'installed' as never })).toThrow(
      /apt: state must be "present", "absent" or "latest"/,
    );
    expect(() => apt(host, { packages: 'jq', purge: true })).toThrow(
      /purge only applies with state "absent"/,
    );
    expect(() => apt(host, { packages: 'jq', cacheValidTime: -1, updateCache: true })).toThrow(
      /cacheValidTime must be a whole number of seconds/,
    );
    expect(() => apt(host, { packages: 'jq', lockTimeout: 1.5 })).toThrow(
      /lockTimeout must be a whole number/,
    );
    expect(() => apt(host, { packages: 42 as never })).toThrow(/packages must be a package name or an array/);
  });
});
