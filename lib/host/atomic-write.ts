/**
 * The one way NovaStation replaces a file on a host: a single shell script, one round trip.
 *
 *  1. temps left beside the target by a killed earlier write (`.<base>.ns-XXXXXXXX~`) are removed;
 *  2. the content arrives on stdin into a new temp file in the same directory (so the rename is
 *     atomic: same filesystem);
 *  3. its size and SHA-256 are checked against what the controller sent: a controller killed
 *     mid-transfer ends the remote shell's stdin early, and bash runs the command anyway with a
 *     truncated here-document — without this check the truncated file would be renamed into place;
 *  4. mode and owner are set (copied from the file being replaced, or as asked) BEFORE the rename,
 *     so the file never exists at its path with the wrong permissions;
 *  5. an optional validator (`visudo -cf %s`) runs on the temp file; on failure the temp is removed
 *     and the original is left byte-identical;
 *  6. an optional backup keeps the old inode as `.<base>.<UTC timestamp>~` (a hard link: no copy);
 *  7. `mv` renames the temp over the target: readers see the old file or the new, never a mix.
 *
 * Names: the temp and the backup start with a dot and end in `~`, so no include pattern of the
 * directories we write to loads them: `*.conf`/`*.list`/`*.sources` globs skip dotfiles, sudo's
 * `@includedir` skips names containing a dot or ending in `~`, nginx's `sites-enabled/*` is a glob
 * (dotfiles skipped), apt ignores `~` files, systemd drop-ins must end in `.conf`.
 */
import { createHash } from 'node:crypto';
import { quotePosix } from '../shell/quote.js';
import { isSecret, type Secret } from '../secret.js';
import type { CommandResult } from '../transport/types.js';
import { CommandError } from './command.js';

export interface WriteFileOptions {
  /** Octal string like `0644` or a number. Default: keep the existing file's, else 0644. */
  mode?: string | number;
  owner?: string;
  group?: string;
  /**
   * A command that checks the new content before it replaces the file; `%s` stands for the temp
   * file's path (do not quote it, it is quoted for you), e.g. `visudo -cf %s`, `nginx -t -c %s`.
   * A non-zero exit leaves the original untouched and fails the write with the command's output.
   */
  validate?: string;
  /** Keep the file being replaced as `.<base>.<UTC timestamp>~` beside it. */
  backup?: boolean;
}

export interface WriteFileResult {
  /** Path of the backup, when one was asked for and there was a file to back up. */
  backup?: string;
}

/** Exit codes of the write script for its refusals (distinct from any coreutils failure). */
export const EXIT_INCOMPLETE = 97;
/** The temp file was swapped for something else (a symlink planted in a user-owned folder). */
export const EXIT_TAMPERED = 96;
export const EXIT_INVALID = 98;

/** A temp name for `base`, as the write script makes them (and as killed runs leave them). */
export const TEMP_NAME = /^\.(.+)\.ns-[A-Za-z0-9]{8}~$/;
/** A backup name: `.<base>.20250102T030405.123456789Z~`. */
export const BACKUP_NAME = /^\.(.+)\.\d{8}T\d{6}\.\d{9}Z~$/;

/** The validator refused the new content; the original file is unchanged. */
export class FileValidationError extends Error {
  constructor(
    readonly path: string,
    readonly validate: string,
    readonly output: string,
  ) {
    super(`validation failed for ${path} (${validate}); the file was left unchanged:\n${output.trimEnd()}`);
    this.name = 'FileValidationError';
  }
}

/** Checks a `validate` option; returns an error text or undefined. Used by every primitive that writes. */
export function validateCommandProblem(validate: unknown): string | undefined {
  if (typeof validate !== 'string' || validate.trim() === '')
    return 'must be a command string like "visudo -cf %s"';
  if (!validate.includes('%s'))
    return `must contain %s (the temp file's path), got ${JSON.stringify(validate)}`;
  if (/['"]%s['"]/.test(validate))
    return `must not quote %s (it is quoted for you), got ${JSON.stringify(validate)}`;
  return undefined;
}

/** The bytes a write sends, and their size and hash for the integrity check. */
export function contentDigest(content: string | Buffer | Secret): {
  bytes: Buffer;
  size: number;
  sha256: string;
} {
  const raw = isSecret(content) ? content.reveal() : content;
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8');
  return { bytes, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Shell lines setting `target`, `dir`, `base` for a path (parameter expansion, no
 * dirname/basename processes: every fork costs milliseconds on a busy host) and removing the temps
 * a killed write of that path left. For `/x`, `dir` is empty and `"$dir/.$base"` is `/.x`.
 */
export function targetPrelude(path: string): string {
  return [
    `target=${quotePosix(path)}; case $target in */*) dir=\${target%/*} ;; *) dir=. ;; esac; base=\${target##*/}`,
    // A killed write leaves its temp behind; it is never loaded (see the name), but it is litter.
    `for stale in "$dir/.$base.ns-"????????"~"; do if [ -e "$stale" ] || [ -L "$stale" ]; then rm -f -- "$stale"; fi; done`,
  ].join('\n');
}

/** The write script; the content itself travels on the command's stdin. */
export function atomicWriteScript(
  path: string,
  content: { size: number; sha256: string },
  options: WriteFileOptions = {},
): string {
  const mode =
    options.mode === undefined
      ? undefined
      : typeof options.mode === 'number'
        ? options.mode.toString(8)
        : options.mode;
  const owner = options.owner
    ? `${options.owner}${options.group ? `:${options.group}` : ''}`
    : options.group
      ? `:${options.group}`
      : undefined;
  const lines = [
    'set -e',
    targetPrelude(path),
    `tmp=$(mktemp -- "$dir/.$base.ns-XXXXXXXX~")`,
    `trap 'rm -f -- "$tmp"' EXIT`,
    // The folder may belong to another user (~/.ssh): between mktemp and our use of the name, that
    // user could swap the temp for a symlink to /etc/shadow. So the temp is opened once, fd 3 is
    // checked to be the empty regular file mktemp made for us, and every later write, chmod and
    // chown goes through the fd (/proc/self/fd/3 is the opened file itself, never a new lookup).
    `exec 3<>"$tmp"`,
    `if [ -L "$tmp" ] || [ "$(stat -L -c '%F:%u:%h' /proc/self/fd/3)" != "regular empty file:$EUID:1" ]; then`,
    `  echo "temp file $tmp was replaced by someone else; $target left unchanged" >&2; exit ${EXIT_TAMPERED}`,
    'fi',
    'fd=/proc/self/fd/3',
    `cat >&3`,
    // The SHA-256 covers the size too: a cut-off transfer cannot pass.
    `if [ "$(sha256sum < "$fd")" != ${quotePosix(`${content.sha256}  -`)} ]; then`,
    `  echo "incomplete content (expected ${content.size} bytes): the transfer was cut off; $target left unchanged" >&2; exit ${EXIT_INCOMPLETE}`,
    'fi',
    // What the replaced file had, where nothing else was asked (a new file: 0644, the login user).
    ...(mode
      ? []
      : [`if [ -e "$target" ]; then chmod --reference="$target" -- "$fd"; else chmod 0644 -- "$fd"; fi`]),
    ...(options.owner && options.group
      ? []
      : [`if [ -e "$target" ]; then chown --reference="$target" -- "$fd"; fi`]),
    // A leading 0 makes GNU chmod also clear setuid/setgid bits the mode does not ask for.
    ...(mode ? [`chmod ${quotePosix(`0${mode.padStart(4, '0')}`)} -- "$fd"`] : []),
    ...(owner ? [`chown ${quotePosix(owner)} -- "$fd"`] : []),
    'exec 3>&-',
  ];
  if (options.validate !== undefined) {
    const command = options.validate.split('%s').join('"$tmp"');
    lines.push(
      `if ! out=$( { ${command} ; } 2>&1 < /dev/null); then printf '%s\\n' "$out" >&2; exit ${EXIT_INVALID}; fi`,
    );
  }
  if (options.backup) {
    lines.push(
      `if [ -f "$target" ] && [ ! -L "$target" ]; then`,
      `  bak="$dir/.$base.$(date -u +%Y%m%dT%H%M%S.%NZ)~"`,
      `  ln -- "$target" "$bak" 2>/dev/null || cp -p -- "$target" "$bak"`,
      `  printf 'backup %s\\n' "$bak"`,
      'fi',
    );
  }
  lines.push(`mv -f -- "$tmp" "$target"`, 'trap - EXIT');
  return lines.join('\n');
}

/** Turns the script's result into the outcome, or the error that says what went wrong. */
export function atomicWriteResult(
  hostName: string,
  path: string,
  result: CommandResult,
  options: WriteFileOptions = {},
): WriteFileResult {
  if (result.exitCode === EXIT_INVALID && options.validate !== undefined) {
    throw new FileValidationError(path, options.validate, result.stderr);
  }
  if (result.exitCode !== 0) throw new CommandError(hostName, `write ${path}`, result);
  const backup = /^backup (.+)$/m.exec(result.stdout)?.[1];
  return backup ? { backup } : {};
}
