/**
 * Option schemas shared by `user`, `group`, `authorized_key` and `sudoers`, declared with TypeBox
 * (tasks/options.ts): each primitive builds its declaration from them, so its TypeScript type and
 * its run-time check are one thing, and a refusal names the primitive, the option and what was
 * expected before the host is touched.
 */
import { Kind, Type, TypeRegistry } from '../../lib/vendor/typebox.js';
import type { SchemaOptions, TUnsafe } from '@sinclair/typebox';
import { isSecret, type Secret } from '../../lib/secret.js';

/**
 * A user or group name useradd/groupadd accept on Debian (shadow's is_valid_name, minus the
 * uppercase its default configuration refuses): a lowercase letter or `_` first, then lowercase
 * letters, digits, `_`, `-`, `.`, an optional final `$` (Samba machine accounts); 32 at most.
 * A purely numeric name is refused: `getent passwd 1000` would look up a uid.
 */
const NAME = '[a-z_][a-z0-9_.-]*\\$?';
const NAME_EXPECTED =
  'must be a user/group name (a lowercase letter or _ first, then a-z 0-9 _ - ., at most 32 characters)';

export const AccountName = (options: SchemaOptions = {}) =>
  Type.String({ pattern: `^${NAME}$`, maxLength: 32, expected: NAME_EXPECTED, ...options });

/** A group given by name or numeric gid (as a string, like `owner`/`group` of the file primitives). */
export const GroupRef = () =>
  Type.String({ pattern: `^(\\d+|${NAME})$`, maxLength: 32, expected: NAME_EXPECTED });

/** A uid/gid: an integer from 0 to 4294967294 (2^32-1 is "no id"). */
export const AccountId = () =>
  Type.Integer({ minimum: 0, maximum: 4294967294, expected: 'must be an integer from 0 to 4294967294' });

/** Text for a passwd field: no `:` (the field separator) and no newline. */
export const PasswdField = () =>
  Type.String({ pattern: '^[^:\\n\\0]*$', expected: 'must be a string without ":" or a newline' });

/** An absolute path for a passwd field (home, shell): no `:`, newline or trailing slash. */
export const PasswdPath = () =>
  Type.String({
    pattern: '^/([^:\\n\\0]*[^:\\n\\0/])?$',
    expected: 'must be an absolute path without ":", a newline or a trailing slash',
  });

/** `present` (the default) or `absent`. */
export const PRESENCE = ['present', 'absent'] as const;

// Text that may be a password, checked without ever being shown: a Secret (and, where allowed,
// a plain string) whose text matches a pattern. JSON Schema cannot look inside a Secret.
const HIDDEN_TEXT = 'NovaStation:HiddenText';
TypeRegistry.Set<{ pattern: string; plain: boolean }>(HIDDEN_TEXT, (schema, value) => {
  const text = isSecret(value) ? value.reveal() : schema.plain ? value : undefined;
  return typeof text === 'string' && new RegExp(schema.pattern).test(text);
});

/** A Secret whose text matches `pattern`; refusals never show the value. */
export function SecretText(pattern: string, options: SchemaOptions): TUnsafe<Secret> {
  return Type.Unsafe<Secret>({ ...options, hidden: true, [Kind]: HIDDEN_TEXT, pattern, plain: false });
}

/** Like SecretText, but a plain string is accepted too (a hash, not a password). */
export function TextOrSecret(pattern: string, options: SchemaOptions): TUnsafe<string | Secret> {
  return Type.Unsafe<string | Secret>({
    ...options,
    hidden: true,
    [Kind]: HIDDEN_TEXT,
    pattern,
    plain: true,
  });
}
