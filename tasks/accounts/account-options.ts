/**
 * Option checks shared by `user`, `group` and `authorized_key`. Like tasks/files/file-options.ts, each
 * throws a TypeError naming the primitive, the option and what was expected, before the host is
 * touched.
 */
import { fail } from '../options.js';

/**
 * A user or group name useradd/groupadd accept on Debian (shadow's is_valid_name, minus the
 * uppercase its default configuration refuses): a lowercase letter or `_` first, then lowercase
 * letters, digits, `_`, `-`, `.`, an optional final `$` (Samba machine accounts); 32 at most.
 * A purely numeric name is refused: `getent passwd 1000` would look up a uid.
 */
const NAME = /^[a-z_][a-z0-9_.-]*\$?$/;

export function checkAccountName(primitive: string, option: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !NAME.test(value) || value.length > 32) {
    fail(
      primitive,
      option,
      'must be a user/group name (a lowercase letter or _ first, then a-z 0-9 _ - ., at most 32 characters)',
      value,
    );
  }
}

/** A uid/gid: an integer from 0 to 4294967294 (2^32-1 is "no id"). */
export function checkId(primitive: string, option: string, value: unknown): void {
  if (
    value !== undefined &&
    (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 4294967294)
  ) {
    fail(primitive, option, 'must be an integer from 0 to 4294967294', value);
  }
}

/** A group given by name or numeric gid (as a string, like `owner`/`group` of the file primitives). */
export function checkGroupRef(primitive: string, option: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value === 'string' && /^\d+$/.test(value)) return;
  checkAccountName(primitive, option, value);
}

/** Text for a passwd field: no `:` (the field separator) and no newline. */
export function checkField(primitive: string, option: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || /[:\n\0]/.test(value)))
    fail(primitive, option, 'must be a string without ":" or a newline', value);
}

/** An absolute path for a passwd field (home, shell). */
export function checkFieldPath(primitive: string, option: string, value: unknown): void {
  if (value === undefined) return;
  if (
    typeof value !== 'string' ||
    !value.startsWith('/') ||
    /[:\n\0]/.test(value) ||
    (value !== '/' && value.endsWith('/'))
  ) {
    fail(primitive, option, 'must be an absolute path without ":", a newline or a trailing slash', value);
  }
}
