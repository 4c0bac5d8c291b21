/**
 * `apt`: Debian packages present, absent or at the latest candidate version, and the package
 * lists refreshed only when older than a threshold. State is read in one round trip
 * (tasks/packages/apt-facts.ts); commands and lock handling are in tasks/packages/apt-get.ts.
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import { createTwoFilesPatch } from '../../lib/vendor/diff.js';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';
import { checkOptions, fail, Flag, OneOf, Options, ReadonlyArrayOf } from '../options.js';
import { isPresent, readAptFacts, type AptFacts, type PackageFacts } from './apt-facts.js';
import { aptGet, aptUpdate } from './apt-get.js';
import { compareDebianVersions } from './apt-version.js';

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/;
const PackageName = Type.String({ pattern: PACKAGE_NAME.source });
const Seconds = () => Type.Integer({ minimum: 0, expected: 'must be a whole number of seconds >= 0' });

export const AptOptions = Options({
  /** Package names, optionally `name:arch`. May be empty when only the lists are refreshed. */
  packages: Type.Union([PackageName, ReadonlyArrayOf(PackageName)], {
    expected: (value) => {
      if (typeof value !== 'string' && !Array.isArray(value))
        return 'must be a package name or an array of them';
      const names: unknown[] = Array.isArray(value) ? value : [value];
      const bad = names.find((v) => typeof v !== 'string' || !PACKAGE_NAME.test(v));
      return `must be Debian package names like "nginx" or "libc6:amd64" (no versions, no globs); ${JSON.stringify(bad)} is not one`;
    },
  }),
  /** Default `present`. `latest` upgrades when apt's candidate is newer than the installed version. */
  state: Type.Optional(
    OneOf(['present', 'absent', 'latest'], { expected: 'must be "present", "absent" or "latest"' }),
  ),
  /** With `absent`: remove configuration files too (also of packages already removed). */
  purge: Type.Optional(Flag()),
  /** Refresh the package lists (`apt-get update`) first, when older than `cacheValidTime`. */
  updateCache: Type.Optional(Flag()),
  /** Seconds the lists stay fresh enough (default 3600; 0 refreshes on every run). */
  cacheValidTime: Type.Optional(Seconds()),
  /** Install recommended packages too. Default false (`--no-install-recommends`). */
  installRecommends: Type.Optional(Flag()),
  /** Seconds to wait for a dpkg/apt lock held by another process. Default 120. */
  lockTimeout: Type.Optional(Seconds()),
});
export type AptOptions = Static<typeof AptOptions>;

interface Settings {
  names: string[];
  state: 'present' | 'absent' | 'latest';
  purge: boolean;
  updateCache: boolean;
  cacheValidTime: number;
  installRecommends: boolean;
  lockTimeout: number;
}

/** What apply does to one package. */
export type PackageAction = 'install' | 'upgrade' | 'remove' | 'purge';

/** One package to touch, as data: apply, the change line and the diff are all made from it. */
export interface PackageStep {
  action: PackageAction;
  package: string;
  /** What dpkg has now: a version, `absent`, or a state like `config-files`. */
  from: string;
  /** The version an install or upgrade brings; unknown until the lists are refreshed. */
  version?: string;
}

/** The apt-get action each step runs as (an upgrade installs the newer candidate). */
const APT_GET = { install: 'install', upgrade: 'install', remove: 'remove', purge: 'purge' } as const;

export type ListsChange = Change<'lists', 'refreshed'> & { kind: 'lists' };
export type PackageChange = Change<`package ${string}`> & { kind: 'package'; step: PackageStep };
export type AptChange = ListsChange | PackageChange;

/** A step with its change line: `package jq absent → 1.6-2.1`, `package jq 1.6-1 → purged`. */
export function packageChange(step: PackageStep): PackageChange {
  const to =
    step.action === 'remove' ? 'absent' : step.action === 'purge' ? 'purged' : (step.version ?? 'installed');
  return { kind: 'package', step, field: `package ${step.package}`, from: step.from, to };
}

const stepsOf = (changes: readonly AptChange[]): PackageStep[] =>
  changes.flatMap((c) => (c.kind === 'package' ? [c.step] : []));

export function aptResource(options: AptOptions): Resource<AptFacts, AptChange> {
  const s = settings(options);
  const policy = s.state === 'absent' ? 'never' : s.state === 'latest' ? 'always' : 'missing';
  const read = (host: Host) => readAptFacts(host, s.names, policy);
  const plan = (current: AptFacts): AptChange[] => {
    const refresh = planRefresh(current, s);
    // An unknown package may appear with the refresh: judge it after refreshing.
    return [...refresh, ...planPackages(current, s, refresh.length > 0).map(packageChange)];
  };
  return {
    id: `apt ${s.names.length ? s.names.join(', ') : 'lists'}`,
    read,
    plan,
    diff: (current) => packagesDiff(stepsOf(plan(current))),
    provides: (_current, changes) =>
      stepsOf(changes)
        .filter((p) => APT_GET[p.action] === 'install')
        .map((p) => ({ kind: 'package', name: p.package })),
    async apply(host, _current, changes) {
      let steps = stepsOf(changes);
      if (changes.some((c) => c.kind === 'lists')) {
        await aptUpdate(host, { lockTimeout: s.lockTimeout, stamp: true });
        // Fresh lists may bring other candidates (or the first one): plan the packages again.
        if (s.names.length) steps = planPackages(await read(host), s, false);
      }
      const opts = { lockTimeout: s.lockTimeout, installRecommends: s.installRecommends };
      for (const action of ['install', 'remove', 'purge'] as const) {
        const named = steps.filter((p) => APT_GET[p.action] === action).map((p) => p.package);
        await aptGet(host, action, named, opts);
      }
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

/** The packages touched, before and after, one `name version` line each (none when absent). */
export function packagesDiff(steps: readonly PackageStep[]): string | undefined {
  if (steps.length === 0) return undefined;
  const line = (name: string, version: string) => `${name} ${version}\n`;
  const before = steps.map((p) => (p.from === 'absent' ? '' : line(p.package, p.from)));
  const after = steps.map((p) =>
    APT_GET[p.action] !== 'install' ? '' : line(p.package, p.version ?? '(its candidate after the refresh)'),
  );
  return createTwoFilesPatch('packages', 'packages', before.join(''), after.join(''), 'before', 'after');
}

/** The lists refresh, when asked and the lists are older than allowed. */
export function planRefresh(
  current: AptFacts,
  s: Pick<Settings, 'updateCache' | 'cacheValidTime'>,
): ListsChange[] {
  const stale = s.cacheValidTime === 0 || current.cacheAge > s.cacheValidTime;
  if (!s.updateCache || !stale) return [];
  const from = Number.isFinite(current.cacheAge) ? `${current.cacheAge}s old` : 'never refreshed';
  return [{ kind: 'lists', field: 'lists', from, to: 'refreshed' }];
}

/**
 * One step per package to touch: install (`jq absent → 1.6-2.1`), upgrade (`jq 1.6-1 → 1.6-2`),
 * remove (`jq 1.6-1 → absent`) or purge (`… → purged`). `refreshing`: the lists will be
 * refreshed first, so a package without a candidate now is not an error yet.
 */
export function planPackages(
  current: AptFacts,
  s: Pick<Settings, 'state' | 'purge'>,
  refreshing: boolean,
): PackageStep[] {
  return current.packages.flatMap((p) => {
    const step =
      s.state === 'absent' ? planAbsent(p, s.purge) : planPresent(p, s.state === 'latest', refreshing);
    return step ? [step] : [];
  });
}

function planAbsent(p: PackageFacts, purge: boolean): PackageStep | undefined {
  if (p.status === 'unknown' || p.status === 'not-installed') return undefined;
  if (p.status === 'config-files')
    return purge ? { action: 'purge', package: p.name, from: 'config-files' } : undefined;
  return { action: purge ? 'purge' : 'remove', package: p.name, from: p.installed ?? p.status };
}

function planPresent(p: PackageFacts, latest: boolean, refreshing: boolean): PackageStep | undefined {
  if (isPresent(p.status) && p.installed !== undefined) {
    if (!latest || !p.candidate || compareDebianVersions(p.candidate, p.installed) <= 0) return undefined;
    return { action: 'upgrade', package: p.name, from: p.installed, version: p.candidate };
  }
  if (!p.candidate) {
    if (refreshing) return { action: 'install', package: p.name, from: 'absent' };
    throw new Error(
      `apt: package ${p.name} has no installation candidate (unknown name, a virtual package, or stale lists: try updateCache)`,
    );
  }
  const from = p.status === 'unknown' || p.status === 'not-installed' ? 'absent' : p.status;
  return { action: 'install', package: p.name, from, version: p.candidate };
}

/** The options' cross-checks (their shapes are AptOptions') and defaults. */
function settings(o: AptOptions): Settings {
  checkOptions('apt', AptOptions, o);
  const list = typeof o.packages === 'string' ? [o.packages] : o.packages;
  const state = o.state ?? 'present';
  if (list.length === 0 && !o.updateCache)
    fail('apt', 'packages', 'must not be empty (unless updateCache only refreshes the lists)', o.packages);
  if (o.purge && state !== 'absent') fail('apt', 'purge', 'only applies with state "absent"', state);
  return {
    names: [...new Set(list)],
    state,
    purge: o.purge === true,
    updateCache: o.updateCache === true,
    cacheValidTime: o.cacheValidTime ?? 3600,
    installRecommends: o.installRecommends === true,
    lockTimeout: o.lockTimeout ?? 120,
  };
}
