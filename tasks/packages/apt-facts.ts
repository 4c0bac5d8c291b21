/**
 * What `apt` compares, read in ONE round trip: dpkg's view of the named packages
 * (`dpkg-query -W`, all names at once), apt's candidate versions (`apt-cache policy`, only when
 * needed: for `latest`, or when a package is missing and we must know whether it can be
 * installed), and the age of the package lists. The parsers are pure and tested on captured
 * output (test/tasks/fixtures/apt/).
 *
 * Read-only by construction: dpkg-query reads /var/lib/dpkg; apt-cache may rebuild its binary
 * cache under /var/cache/apt (a cache, not state); stat and date write nothing.
 */
import type { Host } from '../../lib/host/host.js';

/** dpkg's package states (`${db:Status-Status}`); `unknown` = dpkg has never heard of it. */
export type DpkgStatus =
  | 'not-installed'
  | 'config-files'
  | 'half-installed'
  | 'unpacked'
  | 'half-configured'
  | 'triggers-awaiting'
  | 'triggers-pending'
  | 'installed'
  | 'unknown';

export interface PackageFacts {
  /** The name as asked for (may carry `:arch`). */
  name: string;
  status: DpkgStatus;
  /** Installed version; undefined unless status is installed-like. */
  installed?: string;
  /** apt's candidate: undefined = not probed, null = none (unknown or purely virtual package). */
  candidate?: string | null;
}

export interface AptFacts {
  packages: PackageFacts[];
  /** Seconds since the package lists were last refreshed (by the host's clock). */
  cacheAge: number;
}

/** Which packages need `apt-cache policy`: none, those dpkg does not list as installed, all. */
export type PolicyProbe = 'never' | 'missing' | 'always';

const POLICY_MARK = '@@ns-apt-policy';
const CACHE_MARK = '@@ns-apt-cache';
const POLICY_RAN = '@@ns-apt-policy-ran';

/** States in which a package's files are on disk and configured: it counts as present. */
const PRESENT: ReadonlySet<string> = new Set(['installed', 'triggers-awaiting', 'triggers-pending']);

export const isPresent = (status: DpkgStatus) => PRESENT.has(status);

export async function readAptFacts(
  host: Host,
  names: readonly string[],
  policy: PolicyProbe,
): Promise<AptFacts> {
  // Lists age: the newest of the lists folder (apt renames fresh index files into it; `apt`
  // touches it after its own updates, since an update that finds nothing new renames nothing)
  // and Ubuntu's update-success stamp where it exists.
  if (names.length === 0) {
    // dpkg-query -W without names lists every package: never run it here.
    const r =
      await host.probe`echo ${POLICY_MARK}; echo ${CACHE_MARK}; date +%s; stat -c %Y /var/lib/apt/lists /var/lib/apt/periodic/update-success-stamp 2>/dev/null; true`;
    return parseAptProbe(r.stdout, names);
  }
  // `policy ran` tells "not probed" apart from "probed, apt knows none of these names".
  const r = await host.probe`export LC_ALL=C
q=$(dpkg-query -W -f='\${Package} \${Architecture} \${db:Status-Status} \${Version}\\n' ${names} 2>/dev/null); rc=$?
printf '%s\\n' "$q"
echo ${POLICY_MARK}
case ${policy} in
  always) echo ${POLICY_RAN}; apt-cache policy ${names} ;;
  missing) if [ $rc -ne 0 ] || printf '%s\\n' "$q" | grep -qv ' installed '; then echo ${POLICY_RAN}; apt-cache policy ${names}; fi ;;
esac
echo ${CACHE_MARK}; date +%s; stat -c %Y /var/lib/apt/lists /var/lib/apt/periodic/update-success-stamp 2>/dev/null; true`;
  return parseAptProbe(r.stdout, names);
}

/** Splits the probe's output at its markers and joins dpkg's and apt's views per asked name. */
export function parseAptProbe(stdout: string, names: readonly string[]): AptFacts {
  const policyAt = stdout.indexOf(`${POLICY_MARK}\n`);
  const cacheAt = stdout.indexOf(`${CACHE_MARK}\n`);
  if (policyAt < 0 || cacheAt < policyAt)
    throw new Error(`apt: unexpected probe output:\n${stdout.slice(0, 500)}`);
  const dpkg = parseDpkgQuery(stdout.slice(0, policyAt));
  const policyText = stdout.slice(policyAt + POLICY_MARK.length + 1, cacheAt);
  const policy = policyText.startsWith(`${POLICY_RAN}\n`) ? parseAptPolicy(policyText) : undefined;
  const [now = '0', ...mtimes] = stdout
    .slice(cacheAt + CACHE_MARK.length + 1)
    .trim()
    .split('\n');
  const newest = Math.max(0, ...mtimes.map(Number).filter(Number.isFinite));
  return {
    packages: names.map((name) => packageFacts(name, dpkg, policy)),
    cacheAge: newest === 0 ? Infinity : Math.max(0, Number(now) - newest),
  };
}

function packageFacts(
  name: string,
  dpkg: DpkgEntry[],
  policy: Map<string, PolicyEntry> | undefined,
): PackageFacts {
  const [pkg, arch] = name.split(':');
  const entries = dpkg.filter((e) => e.name === pkg && (arch === undefined || e.arch === arch));
  // Several architectures of one package (multiarch): present if any is.
  const entry = entries.find((e) => isPresent(e.status)) ?? entries[0];
  const status = entry?.status ?? 'unknown';
  const facts: PackageFacts = { name, status };
  if (entry && isPresent(status)) facts.installed = entry.version;
  if (policy) {
    // A native package asked for as `name:arch` is listed under its bare name.
    const p = policy.get(name) ?? (arch !== undefined ? policy.get(pkg ?? '') : undefined);
    facts.candidate = p?.candidate ?? null;
  }
  return facts;
}

export interface DpkgEntry {
  name: string;
  arch: string;
  status: DpkgStatus;
  version: string;
}

/** `${Package} ${Architecture} ${db:Status-Status} ${Version}` lines. */
export function parseDpkgQuery(text: string): DpkgEntry[] {
  const out: DpkgEntry[] = [];
  for (const line of text.split('\n')) {
    const [name, arch, status, version = ''] = line.trim().split(/\s+/);
    if (!name || !arch || !status) continue;
    out.push({ name, arch, status: status as DpkgStatus, version });
  }
  return out;
}

export interface PolicyEntry {
  installed: string | null;
  candidate: string | null;
}

/**
 * `apt-cache policy a b` (LC_ALL=C): a `name:` header per known package (`name:arch:` for a
 * foreign architecture), then `  Installed:` and `  Candidate:` lines; `(none)` means none.
 * Unknown names print nothing at all.
 */
export function parseAptPolicy(text: string): Map<string, PolicyEntry> {
  const out = new Map<string, PolicyEntry>();
  let current: PolicyEntry | undefined;
  for (const line of text.split('\n')) {
    const header = /^(\S+):$/.exec(line);
    if (header?.[1]) {
      current = { installed: null, candidate: null };
      out.set(header[1], current);
      continue;
    }
    const field = /^ {2}(Installed|Candidate): (.+)$/.exec(line);
    if (field && current) {
      const value = field[2] === '(none)' ? null : (field[2] ?? null);
      if (field[1] === 'Installed') current.installed = value;
      else current.candidate = value;
    }
  }
  return out;
}
