/**
 * A systemd unit's state in ONE round trip: `systemctl show -p …` (load/active/unit-file state,
 * whether it can reload, systemd's own NeedDaemonReload) plus what is on disk now: the first unit
 * file in the search path and the unit's drop-ins. Read-only: `systemctl show` asks the manager
 * over D-Bus, the rest is `readlink`/globs; nothing is written. Parsers are pure and tested on
 * captured output (test/tasks/fixtures/systemd/).
 *
 * Why look at the disk when systemd has NeedDaemonReload: it only notices changes to files it
 * already knows. A drop-in folder created for a loaded unit (`app.service.d/` that did not exist
 * at the last daemon-reload) or a unit file in /etc that now overrides the packaged one stays
 * invisible to it (systemd 252), and the running unit would keep its old configuration.
 */
import type { Host } from '../../lib/host/host.js';

export const SHOW_PROPERTIES = [
  'Id',
  'LoadState',
  'ActiveState',
  'SubState',
  'UnitFileState',
  'FragmentPath',
  'DropInPaths',
  'NeedDaemonReload',
  'CanReload',
] as const;

/** Where systemd looks for system unit files and their drop-in folders, most important first. */
export const UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
] as const;

export interface UnitFacts {
  id: string;
  /** `loaded`, `not-found`, `masked`, `bad-setting`, `error`. */
  loadState: string;
  /** `active`, `inactive`, `failed`, `activating`, `deactivating`, `reloading`. */
  activeState: string;
  subState: string;
  /** `enabled`, `disabled`, `static`, `masked`, `indirect`, `alias`, `generated`, …; empty when not found. */
  unitFileState: string;
  fragmentPath: string;
  /** systemd's own view: a file it knows changed since it loaded the unit. */
  needDaemonReload: boolean;
  canReload: boolean;
  /** The first unit file of this name in the search path (a `link` is an alias or a mask). */
  onDisk?: { kind: 'file' | 'link'; path: string };
  /** FragmentPath with symlinks resolved (/lib → /usr/lib), comparable with `onDisk.path`. */
  fragmentReal?: string;
  /** Drop-ins of UNIT.d/ folders systemd has loaded, resolved and sorted. */
  loadedDropins: string[];
  /** Drop-ins of UNIT.d/ folders on disk now, resolved, one per file name (the first wins, as in systemd), sorted. */
  dropinsOnDisk: string[];
}

const FILES_MARK = '@@ns-unit-files';

// Few processes: `systemctl show` and ONE `readlink -m` for every path to resolve. The paths are
// collected with their kind (`fragment`, `loaded`, `dir`, `file`, `dropin`) and printed as one
// `kinds` line; readlink prints their resolved forms in the same order, one per line. `-m`, not
// `-f`: it answers for a missing path too, so the lines stay paired. One function with local
// variables that returns, never exits: the probe runs inShell (in a prefetched batch, without a
// subshell of its own — a fork).
export async function readUnitFacts(host: Host, unit: string): Promise<UnitFacts> {
  const r = await host.probe({ inShell: true })`__ns_unit() {
local out l p d c found= kinds=() paths=()
out=$(systemctl show -p ${SHOW_PROPERTIES.join(',')} -- ${unit}) || return $?
printf '%s\n' "$out"
echo ${FILES_MARK}
while IFS= read -r l; do case $l in
  FragmentPath=?*) kinds+=(fragment); paths+=("\${l#FragmentPath=}") ;;
  DropInPaths=?*) for p in \${l#DropInPaths=}; do kinds+=(loaded); paths+=("$p"); done ;;
esac; done <<<"$out"
for d in ${UNIT_DIRS}; do
  kinds+=(dir); paths+=("$d")
  p="$d"/${unit}
  if [ -z "$found" ] && [ -L "$p" ]; then found=1; echo "link $p"
  elif [ -z "$found" ] && [ -e "$p" ]; then found=1; kinds+=(file); paths+=("$p"); fi
  for c in "$d"/${unit}.d/*.conf; do if [ -e "$c" ]; then kinds+=(dropin); paths+=("$c"); fi; done
done
echo "kinds \${kinds[*]}"
readlink -m -- "\${paths[@]}"
}
__ns_unit`;
  return parseUnitFacts(r.stdout, unit);
}

export function parseUnitFacts(stdout: string, unit: string): UnitFacts {
  const mark = stdout.indexOf(`${FILES_MARK}\n`);
  if (mark < 0) throw new Error(`systemd: unexpected probe output:\n${stdout.slice(0, 500)}`);
  const props = parseShow(stdout.slice(0, mark));
  const id = props.get('Id');
  if (!id) throw new Error(`systemd: systemctl show gave no Id:\n${stdout.slice(0, 500)}`);
  const dirs = new Set<string>();
  const loaded: string[] = [];
  const onDiskDropins: string[] = [];
  let onDisk: UnitFacts['onDisk'];
  let fragmentReal: string | undefined;
  const lines = stdout.slice(mark + FILES_MARK.length + 1).split('\n');
  const kindsAt = lines.findIndex((l) => l.startsWith('kinds'));
  const kinds = kindsAt < 0 ? [] : lines[kindsAt]!.slice('kinds'.length).trim().split(' ').filter(Boolean);
  const resolved = lines.slice(kindsAt + 1);
  for (const line of lines.slice(0, Math.max(kindsAt, 0))) {
    if (line.startsWith('link ') && !onDisk) onDisk = { kind: 'link', path: line.slice('link '.length) };
  }
  kinds.forEach((kind, i) => {
    const path = resolved[i] ?? '';
    if (kind === 'dir') dirs.add(path);
    else if (kind === 'fragment') fragmentReal = path;
    else if (kind === 'loaded') loaded.push(path);
    else if (kind === 'dropin') onDiskDropins.push(path);
    else if (kind === 'file' && !onDisk) onDisk = { kind, path };
  });
  // Only the UNIT.d/ folders of the search path: leave out systemd's own (system.control/ from
  // set-property, type-wide service.d/), which the disk listing does not cover either.
  const inUnitDirs = (p: string) => {
    const folder = p.slice(0, p.lastIndexOf('/'));
    return folder.endsWith(`/${unit}.d`) && dirs.has(folder.slice(0, folder.lastIndexOf('/')));
  };
  const firstPerName = new Map<string, string>();
  for (const p of onDiskDropins) {
    const base = p.slice(p.lastIndexOf('/') + 1);
    if (!firstPerName.has(base)) firstPerName.set(base, p);
  }
  return {
    id,
    loadState: props.get('LoadState') ?? '',
    activeState: props.get('ActiveState') ?? '',
    subState: props.get('SubState') ?? '',
    unitFileState: props.get('UnitFileState') ?? '',
    fragmentPath: props.get('FragmentPath') ?? '',
    needDaemonReload: props.get('NeedDaemonReload') === 'yes',
    canReload: props.get('CanReload') === 'yes',
    ...(onDisk ? { onDisk } : {}),
    ...(fragmentReal ? { fragmentReal } : {}),
    loadedDropins: [...new Set(loaded.filter(inUnitDirs))].sort(),
    dropinsOnDisk: [...new Set(firstPerName.values())].sort(),
  };
}

/**
 * Why systemd must re-read its files before this unit can be trusted, or undefined.
 * Only for loaded units: one systemd has not loaded is read from disk when next used.
 */
export function reloadReason(u: UnitFacts): string | undefined {
  if (u.loadState === 'not-found' && u.onDisk) return 'not loaded yet';
  if (u.needDaemonReload) return 'changed on disk';
  if (u.loadState !== 'loaded') return undefined;
  if (u.onDisk?.kind === 'file' && u.fragmentReal && u.onDisk.path !== u.fragmentReal)
    return `changed on disk (${u.onDisk.path} overrides ${u.fragmentPath})`;
  if (u.loadedDropins.join('\n') !== u.dropinsOnDisk.join('\n')) return 'changed on disk (drop-ins)';
  return undefined;
}

/** `Key=value` lines (systemctl prints them in its own order, not the order asked). */
export function parseShow(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}
