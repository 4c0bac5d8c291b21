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
