/**
 * The one way NovaStation replaces a file (or a symlink) on a host: one round trip, one perl
 * process (lib/host/atomic-replace.pl.ts says why perl and what each step guards against):
 * stale temps of dead writers removed, a new temp created exclusively in the same directory (so
 * the rename is atomic), the content streamed into it and checked to be complete, owner and mode
 * set BEFORE the rename, fsync, the optional validator (`visudo -cf %s`) and backup, a check that
 * the temp is still ours, rename(2), fsync of the folder. Readers see the old file or the new one,
 * never a mix, also after a power cut; a failed validation leaves the original byte-identical.
 *
 * Names: the temp and the backup start with a dot and end in `~`, so no include pattern of the
 * directories we write to loads them: `*.conf`/`*.list`/`*.sources` globs skip dotfiles, sudo's
 * `@includedir` skips names containing a dot or ending in `~`, nginx's `sites-enabled/*` is a glob
 * (dotfiles skipped), apt ignores `~` files, systemd drop-ins must end in `.conf`.
 */
import { createHash } from 'node:crypto';
import { quotePosix } from '../shell/quote.js';
import { ATOMIC_REPLACE_PL } from './atomic-replace.pl.js';
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

/** A backup stamp in UTC from the controller's clock: `20250102T030405.123456789Z`. */
export function backupStamp(now = new Date(), nanos = process.hrtime.bigint() % 1_000_000n): string {
  const iso = now.toISOString(); // 2025-01-02T03:04:05.123Z
  const base = iso.slice(0, 19).replace(/[-:]/g, '');
  return `${base}.${iso.slice(20, 23)}${nanos.toString().padStart(6, '0')}Z`;
}

function replaceCommand(args: string[]): string {
  // `exec`: the perl process replaces the command's subshell instead of being forked from it.
  return `exec perl -e ${quotePosix(ATOMIC_REPLACE_PL)} -- ${args.map(quotePosix).join(' ')}`;
}

/** The write command; the content itself (exactly `content.size` bytes) travels on its stdin. */
export function atomicWriteScript(
  path: string,
  content: { size: number },
  options: WriteFileOptions = {},
): string {
  const mode =
    options.mode === undefined
      ? ''
      : (typeof options.mode === 'number' ? options.mode.toString(8) : options.mode).padStart(4, '0');
  return replaceCommand([
    'file',
    path,
    String(content.size),
    mode,
    options.owner ?? '',
    options.group ?? '',
    options.validate === undefined ? '' : options.validate.split('%s').join('"$NS_TMP"'),
    options.backup ? backupStamp() : '',
    '',
  ]);
}

/** The command that only removes the temps dead writers of `path` left. */
export function strayTempsCommand(path: string): string {
  return replaceCommand(['clean', path, '', '', '', '', '', '', '']);
}

/** The command that points `path` at `target` atomically (a real directory in the way only with `replaceDirectory`). */
export function atomicSymlinkCommand(path: string, target: string, replaceDirectory = false): string {
  return replaceCommand(['link', path, target, '', '', '', '', '', replaceDirectory ? '1' : '']);
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
