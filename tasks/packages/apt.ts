/**
 * `apt`: Debian packages present, absent or at the latest candidate version, and the package
 * lists refreshed only when older than a threshold. State is read in one round trip
 * (tasks/packages/apt-facts.ts); commands and lock handling are in tasks/packages/apt-get.ts.
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';
import { isPresent, readAptFacts, type AptFacts, type PackageFacts } from './apt-facts.js';
import { aptGet, aptUpdate } from './apt-get.js';
import { compareDebianVersions } from './apt-version.js';

export interface AptOptions {
  /** Package names, optionally `name:arch`. May be empty when only the lists are refreshed. */
  packages: string | readonly string[];
  /** Default `present`. `latest` upgrades when apt's candidate is newer than the installed version. */
  state?: 'present' | 'absent' | 'latest';
  /** With `absent`: remove configuration files too (also of packages already removed). */
  purge?: boolean;
  /** Refresh the package lists (`apt-get update`) first, when older than `cacheValidTime`. */
  updateCache?: boolean;
  /** Seconds the lists stay fresh enough (default 3600; 0 refreshes on every run). */
  cacheValidTime?: number;
  /** Install recommended packages too. Default false (`--no-install-recommends`). */
  installRecommends?: boolean;
  /** Seconds to wait for a dpkg/apt lock held by another process. Default 120. */
  lockTimeout?: number;
}

interface Settings {
  names: string[];
  state: 'present' | 'absent' | 'latest';
  purge: boolean;
  updateCache: boolean;
  cacheValidTime: number;
  installRecommends: boolean;
  lockTimeout: number;
}

/** Change values that are not versions: what apply turns into remove/purge. */
const ABSENT = 'absent';
const PURGED = 'purged';

export function aptResource(options: AptOptions): Resource<AptFacts> {
  const s = settings(options);
  const policy = s.state === 'absent' ? 'never' : s.state === 'latest' ? 'always' : 'missing';
  const read = (host: Host) => readAptFacts(host, s.names, policy);
  return {
    id: `apt ${s.names.length ? s.names.join(', ') : 'lists'}`,
    read,
    plan(current) {
      const refresh = planRefresh(current, s);
      // An unknown package may appear with the refresh: judge it after refreshing.
      return [...refresh, ...planPackages(current, s, refresh.length > 0)];
    },
    provides: (_current, changes) =>
      changes
        .filter((c) => c.field.startsWith('package ') && c.to !== ABSENT && c.to !== PURGED)
        .map((c) => ({ kind: 'package', name: c.field.slice('package '.length) })),
    async apply(host, _current, changes) {
      let packages = changes.filter((c) => c.field.startsWith('package '));
      if (changes.some((c) => c.field === 'lists')) {
        await aptUpdate(host, { lockTimeout: s.lockTimeout, stamp: true });
        // Fresh lists may bring other candidates (or the first one): plan the packages again.
        if (s.names.length) packages = planPackages(await read(host), s, false);
      }
      const named = (to: (c: Change) => boolean) =>
        packages.filter(to).map((c) => c.field.slice('package '.length));
      const opts = { lockTimeout: s.lockTimeout, installRecommends: s.installRecommends };
      await aptGet(
        host,
        'install',
        named((c) => c.to !== ABSENT && c.to !== PURGED),
        opts,
      );
      await aptGet(
        host,
        'remove',
        named((c) => c.to === ABSENT),
        opts,
      );
      await aptGet(
        host,
        'purge',
        named((c) => c.to === PURGED),
        opts,
      );
    },
  };
}

/**
 * Packages present, absent or latest; only what differs is touched.
 *
 * @example
 * await apt(host, { packages: ['nginx', 'jq'], updateCache: true, cacheValidTime: 3600 });
 * await apt(host, { packages: 'telnet', state: 'absent', purge: true });
 */
export function apt(host: Host, options: AptOptions): Promise<TaskOutcome> {
  return converge(host, aptResource(options));
}

/** The lists refresh, when asked and the lists are older than allowed. */
export function planRefresh(
  current: AptFacts,
  s: Pick<Settings, 'updateCache' | 'cacheValidTime'>,
): Change[] {
  const stale = s.cacheValidTime === 0 || current.cacheAge > s.cacheValidTime;
  if (!s.updateCache || !stale) return [];
  const from = Number.isFinite(current.cacheAge) ? `${current.cacheAge}s old` : 'never refreshed';
  return [{ field: 'lists', from, to: 'refreshed' }];
}

/**
 * One change per package to touch: `package jq absent → 1.6-2.1` (install), `package jq 1.6-1 → 1.6-2`
 * (upgrade), `package jq 1.6-1 → absent` (remove), `… → purged`. `refreshing`: the lists will be
 * refreshed first, so a package without a candidate now is not an error yet.
 */
export function planPackages(
  current: AptFacts,
  s: Pick<Settings, 'state' | 'purge'>,
  refreshing: boolean,
): Change[] {
  const changes: Change[] = [];
  for (const p of current.packages) {
    const change =
      s.state === 'absent' ? planAbsent(p, s.purge) : planPresent(p, s.state === 'latest', refreshing);
    if (change) changes.push({ field: `package ${p.name}`, ...change });
  }
  return changes;
}

function planAbsent(p: PackageFacts, purge: boolean): Omit<Change, 'field'> | undefined {
  if (p.status === 'unknown' || p.status === 'not-installed') return undefined;
  if (p.status === 'config-files') return purge ? { from: 'config-files', to: PURGED } : undefined;
  return { from: p.installed ?? p.status, to: purge ? PURGED : ABSENT };
}

function planPresent(
  p: PackageFacts,
  latest: boolean,
  refreshing: boolean,
): Omit<Change, 'field'> | undefined {
  if (isPresent(p.status) && p.installed !== undefined) {
    if (!latest || !p.candidate || compareDebianVersions(p.candidate, p.installed) <= 0) return undefined;
    return { from: p.installed, to: p.candidate };
  }
  if (!p.candidate) {
    if (refreshing) return { from: ABSENT, to: 'installed' };
    throw new Error(
      `apt: package ${p.name} has no installation candidate (unknown name, a virtual package, or stale lists: try updateCache)`,
    );
  }
  return {
    from: p.status === 'unknown' || p.status === 'not-installed' ? ABSENT : p.status,
    to: p.candidate,
  };
}

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/;

function settings(o: AptOptions): Settings {
  const fail = (what: string, got: unknown) => new TypeError(`apt: ${what}, got ${JSON.stringify(got)}`);
  if (o === null || typeof o !== 'object') throw fail('options must be an object', o);
  const list = typeof o.packages === 'string' ? [o.packages] : o.packages;
  if (!Array.isArray(list)) throw fail('packages must be a package name or an array of them', o.packages);
  for (const name of list) {
    if (typeof name !== 'string' || !PACKAGE_NAME.test(name))
      throw fail(
        'packages must be Debian package names like "nginx" or "libc6:amd64" (no versions, no globs)',
        name,
      );
  }
  const state = o.state ?? 'present';
  if (!['present', 'absent', 'latest'].includes(state))
    throw fail('state must be "present", "absent" or "latest"', o.state);
  if (list.length === 0 && !o.updateCache)
    throw fail('packages must not be empty (unless updateCache only refreshes the lists)', o.packages);
  if (o.purge && state !== 'absent') throw fail('purge only applies with state "absent"', o.state);
  const seconds = (name: string, value: unknown, fallback: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      throw fail(`${name} must be a whole number of seconds >= 0`, value);
    return value;
  };
  return {
    names: [...new Set(list as string[])],
    state,
    purge: o.purge === true,
    updateCache: o.updateCache === true,
    cacheValidTime: seconds('cacheValidTime', o.cacheValidTime, 3600),
    installRecommends: o.installRecommends === true,
    lockTimeout: seconds('lockTimeout', o.lockTimeout, 120),
  };
}
