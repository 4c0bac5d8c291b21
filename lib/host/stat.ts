/**
 * One round trip for what idempotent file tasks need to compare: type, mode, owner, size and
 * content checksum. A missing path answers exit 3 (not an error).
 */
import type { CommandResult } from '../transport/types.js';
import { quotePosix } from '../shell/quote.js';

export interface FileStat {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** Permission bits as a 4-digit octal string, e.g. `0644`. */
  mode: string;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  size: number;
  /** Content SHA-256 for regular files. */
  sha256?: string;
  /** Link target for symlinks. */
  linkTarget?: string;
}

/** The `stat -c` format every file probe uses; statFromLine parses its line. */
export const STAT_FORMAT = "'%F|%a|%u|%g|%U|%G|%s'";

export function statCommand(path: string): string {
  const q = quotePosix(path);
  return [
    `if [ ! -e ${q} ] && [ ! -L ${q} ]; then exit 3; fi`,
    `stat -c ${STAT_FORMAT} -- ${q}`,
    `if [ -L ${q} ]; then readlink -- ${q}; elif [ -f ${q} ]; then sha256sum < ${q} | cut -d' ' -f1; else echo; fi`,
  ].join('; ');
}

export function parseStat(path: string, result: CommandResult): FileStat | null {
  if (result.exitCode === 3) return null;
  if (result.exitCode !== 0) throw new Error(`stat ${path} failed: ${result.stderr.trim()}`);
  const [info = '', extra = ''] = result.stdout.split('\n');
  return statFromLine(path, info, { sha256: extra, linkTarget: extra });
}

/** STAT_FORMAT's line (`%F|%a|%u|%g|%U|%G|%s`) as a FileStat; checksum or link target added by type. */
export function statFromLine(
  path: string,
  line: string,
  more: { sha256?: string; linkTarget?: string } = {},
): FileStat {
  const [kind = '', mode = '', uid = '', gid = '', owner = '', group = '', size = ''] = line.split('|');
  const type =
    kind === 'regular file' || kind === 'regular empty file'
      ? 'file'
      : kind === 'directory'
        ? 'directory'
        : kind === 'symbolic link'
          ? 'symlink'
          : 'other';
  return {
    path,
    type,
    mode: mode.padStart(4, '0'),
    uid: Number(uid),
    gid: Number(gid),
    owner,
    group,
    size: Number(size),
    ...(type === 'file' && more.sha256 !== undefined ? { sha256: more.sha256 } : {}),
    ...(type === 'symlink' && more.linkTarget !== undefined ? { linkTarget: more.linkTarget } : {}),
  };
}

/**
 * A stat hint: a no-op line in a probe script that names an absolute path the probe stats. A
 * prefetched batch (lib/host/prefetch.ts) stats every hinted path of its probes with ONE `stat`
 * process before it runs them, and the probes read their line from the shell array it fills
 * (STAT_LINE_SCRIPT) instead of starting a `stat` each. Live, the hint does nothing.
 */
export function statHint(path: string): string {
  return path.startsWith('/') ? `: ns-stat ${quotePosix(path)}` : '';
}

/** The hinted paths of a probe script, as the shell words statHint wrote (already quoted). */
export function statHintsOf(script: string): string[] {
  const hints: string[] = [];
  // Only the exact words quotePosix makes: a bare safe word, or '…' pieces joined by \'.
  const hint = /^: ns-stat (\/[A-Za-z0-9_@%+=:,./-]*|'\/[^']*'(?:\\''[^']*')*)$/gm;
  for (const m of script.matchAll(hint)) hints.push(m[1]!);
  return hints;
}

/**
 * Stats `paths` (shell words from statHintsOf) with one process, NUL-separated (names may hold
 * any byte but NUL), into `__ns_sc[path]` (the STAT_FORMAT line) and `__ns_sl[path]` (a
 * symlink's target, from `%N` in the literal quoting style: `name -> target`). A path that does
 * not exist gets no entry.
 */
export const STAT_AHEAD_SCRIPT = (paths: readonly string[]): string =>
  [
    'declare -A __ns_sc __ns_sl',
    `while IFS= read -r -d '' __ns_n && IFS= read -r -d '' __ns_l && IFS= read -r -d '' __ns_t; do __ns_sc[$__ns_n]=$__ns_l; __ns_sl[$__ns_n]=\${__ns_t#"$__ns_n -> "}; done < <(QUOTING_STYLE=literal exec stat --printf '%n\\0'${STAT_FORMAT}'\\0%N\\0' -- ${paths.join(' ')} 2>/dev/null)`,
  ].join('\n');

/**
 * Sets `st` to the STAT_FORMAT line of the existing path `$p`: from a batch's stat-ahead array
 * when it has the path, else from a `stat` process. `-g`: a probe may run this inside a function
 * (to `return` rather than exit), where a plain `declare` would make new, empty local arrays.
 */
export const STAT_LINE_SCRIPT = [
  'declare -gA __ns_sc __ns_sl',
  `if [ "\${__ns_sc[$p]+x}" = x ]; then st=\${__ns_sc[$p]}; else st=$(stat -c ${STAT_FORMAT} -- "$p"); fi`,
].join('\n');

/** Sets `lt` to the target of the symlink `$p`, from the stat-ahead array when it has it. */
export const LINK_TARGET_SCRIPT = `if [ "\${__ns_sl[$p]+x}" = x ]; then lt=\${__ns_sl[$p]}; else lt=$(readlink -- "$p"); fi`;
