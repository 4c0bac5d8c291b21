/**
 * "The same work": after a first run on fresh hosts, each host's overlay upper dir must hold the
 * same files, with the same type, mode, owner, size and SHA-256, whichever tool ran — and both
 * tools must report the same number of steps.
 *
 * A snapshot (test/harness/snapshot.ts) lists what a host changed relative to the base root. Each
 * boot gives a host fresh identity files (host keys, machine id), so what is compared is what the
 * *run* changed: the snapshot after the run minus the one taken right after boot. Left out, besides
 * what the harness's snapshot already ignores: logs, caches, temp folders, Ansible's remote temp
 * folder (/root/.ansible), Python byte-code caches, and apt/dpkg state (fact gathering may touch it).
 */
import { createHash } from 'node:crypto';

const IGNORED: RegExp[] = [
  /^root\/\.ansible(\/|$)/,
  /^root\/\.cache(\/|$)/,
  /(^|\/)__pycache__(\/|$)/,
  /\.pyc$/,
  /^tmp(\/|$)/,
  /^var\/tmp(\/|$)/,
  /^var\/log(\/|$)/,
  /^var\/cache(\/|$)/,
  /^var\/lib\/apt(\/|$)/,
  /^var\/lib\/dpkg(\/|$)/,
  /^var\/lib\/systemd(\/|$)/,
  /^var\/lib\/private(\/|$)/,
];

const pathOf = (line: string) => line.split('\t', 1)[0] ?? '';

export function ignoredPath(path: string): boolean {
  return IGNORED.some((re) => re.test(path));
}

/**
 * Two kinds of file are compared by meaning rather than by bytes, because the tools format them
 * differently and the programs reading them do not care. Everything else about such an entry
 * (type, mode, owner) is still compared, and every other file byte for byte.
 * - sysctl.d files, by their settings: ansible.posix.sysctl writes `key=value` lines, NovaStation's
 *   sysctl writes `key = value` under a "managed" header; systemd-sysctl reads both the same.
 * - INI files, ignoring blank lines: Ansible 2.14's ini_file starts a new file with an empty line
 *   and puts none between sections; NovaStation's iniSetting does the opposite.
 */
const CANONICAL: { path: RegExp; kind: string; canon: (text: string) => string }[] = [
  { path: /^etc\/sysctl\.d\/[^/]+\.conf$/, kind: 'sysctl-settings', canon: sysctlSettings },
  {
    path: /\.ini$/,
    kind: 'ini-without-blank-lines',
    canon: (t) =>
      t
        .split('\n')
        .filter((l) => l.trim() !== '')
        .join('\n'),
  },
];

export function sysctlSettings(text: string): string {
  const settings: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';') || !line.includes('=')) continue;
    const at = line.indexOf('=');
    settings.push(
      `${line.slice(0, at).trim()}=${line
        .slice(at + 1)
        .trim()
        .split(/\s+/)
        .join(' ')}`,
    );
  }
  return settings.sort().join(',');
}

/** Replaces size and SHA-256 of such a file by its canonical form's (`read` gives the file's text). */
function normalise(line: string, read?: (path: string) => string | undefined): string {
  const fields = line.split('\t');
  const path = fields[0] ?? '';
  const rule = CANONICAL.find((c) => c.path.test(path));
  if (!read || fields[1] !== 'file' || !rule) return line;
  const text = read(path);
  if (text === undefined) return line;
  fields[4] = '-';
  fields[5] = `${rule.kind}:${createHash('sha256').update(rule.canon(text)).digest('hex')}`;
  return fields.join('\t');
}

/**
 * What a run changed on one host: snapshot lines that are new or different after the run, and
 * `path\tgone` for entries the run removed from the upper dir.
 */
export function runChanges(
  before: string,
  after: string,
  read?: (path: string) => string | undefined,
): string[] {
  const beforeLines = new Set(before.split('\n').filter(Boolean));
  const afterLines = after.split('\n').filter(Boolean);
  const afterPaths = new Set(afterLines.map(pathOf));
  const changed = afterLines.filter((l) => !beforeLines.has(l));
  const gone = [...beforeLines].filter((l) => !afterPaths.has(pathOf(l))).map((l) => `${pathOf(l)}\tgone`);
  return [...changed, ...gone]
    .filter((l) => !ignoredPath(pathOf(l)))
    .map((l) => normalise(l, read))
    .sort();
}

export interface HostComparison {
  host: string;
  same: boolean;
  /** Entries written by the runs (the same for both when `same`). */
  entries: number;
  onlyA: string[];
  onlyB: string[];
}

export function compareChanges(host: string, a: string[], b: string[]): HostComparison {
  const setA = new Set(a);
  const setB = new Set(b);
  const onlyA = a.filter((l) => !setB.has(l));
  const onlyB = b.filter((l) => !setA.has(l));
  return { host, same: onlyA.length === 0 && onlyB.length === 0, entries: a.length, onlyA, onlyB };
}

/** A readable account of the differences, naming the tools. */
export function describeComparison(c: HostComparison, nameA: string, nameB: string): string {
  if (c.same) return `${c.host}: same ${c.entries} entries written by ${nameA} and ${nameB}`;
  const lines = [`${c.host}: the hosts differ after the first run`];
  for (const l of c.onlyA) lines.push(`  only ${nameA}: ${l}`);
  for (const l of c.onlyB) lines.push(`  only ${nameB}: ${l}`);
  return lines.join('\n');
}
