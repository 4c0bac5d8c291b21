/**
 * Option checks shared by the file primitives. Each throws a TypeError naming the primitive, the
 * option and what was expected, before the host is touched (the primitive calls them
 * synchronously, so a bad option fails the task without a round trip).
 */
import { validateCommandProblem } from '../../lib/host/atomic-write.js';

/** Mode, owner and group of a managed path, plus how its content is written. */
export interface FileAttributes {
  /** Octal string, e.g. `"0644"` or `"2775"`. A number is refused: `644` is not `0o644`. */
  mode?: string;
  /** User name or numeric uid. */
  owner?: string;
  /** Group name or numeric gid. */
  group?: string;
}

export interface WriteAttributes extends FileAttributes {
  /** Check the new content before it replaces the file; `%s` is the temp file (`visudo -cf %s`). */
  validate?: string;
  /** Keep the replaced file as `.<base>.<UTC timestamp>~` beside it (named in the task's message). */
  backup?: boolean;
}

export function fail(primitive: string, option: string, expected: string, got: unknown): never {
  throw new TypeError(`${primitive}: ${option} ${expected}, got ${describe(got)}`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value instanceof RegExp) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function checkObject(primitive: string, options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    fail(primitive, 'options', 'must be an object', options);
}

/** An absolute, normalised path: no `.`/`..` segments, no trailing slash, no newline. */
export function checkPath(primitive: string, path: unknown, option = 'path'): asserts path is string {
  if (typeof path !== 'string' || !path.startsWith('/')) fail(primitive, option, 'must be absolute', path);
  if (/[\0\n]/.test(path)) fail(primitive, option, 'must not contain a NUL or newline', path);
  if (
    path !== '/' &&
    (path.endsWith('/') ||
      path
        .split('/')
        .slice(1)
        .some((s) => s === '' || s === '.' || s === '..'))
  ) {
    fail(primitive, option, 'must be normalised (no trailing slash, no //, . or .. segments)', path);
  }
}

export function checkAttributes(primitive: string, o: FileAttributes): void {
  if (o.mode !== undefined && (typeof o.mode !== 'string' || !/^[0-7]{3,4}$/.test(o.mode))) {
    fail(
      primitive,
      'mode',
      typeof o.mode === 'number'
        ? 'must be an octal string like "0644" (a number is ambiguous: 644 is not 0o644)'
        : 'must be octal like "0644"',
      o.mode,
    );
  }
  for (const key of ['owner', 'group'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(v)))
      fail(primitive, key, 'must be a user/group name or numeric id', v);
  }
}

export function checkWriteAttributes(primitive: string, o: WriteAttributes): void {
  checkAttributes(primitive, o);
  if (o.validate !== undefined) {
    const problem = validateCommandProblem(o.validate);
    if (problem) fail(primitive, 'validate', problem.replace(/, got .*$/, ''), o.validate);
  }
  if (o.backup !== undefined && typeof o.backup !== 'boolean')
    fail(primitive, 'backup', 'must be true or false', o.backup);
}

export function checkOneOf<T extends string>(
  primitive: string,
  option: string,
  value: unknown,
  allowed: readonly T[],
): void {
  if (value !== undefined && !allowed.includes(value as T))
    fail(primitive, option, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
}

export function checkBoolean(primitive: string, option: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean')
    fail(primitive, option, 'must be true or false', value);
}

/** The mode as the host's `stat %a` prints it, padded: `644` → `0644`. */
export function normalMode(mode: string | undefined): string | undefined {
  return mode?.padStart(4, '0');
}

/** Does the stat's owner (name or uid) match what was asked (a name or a numeric id)? */
export function sameId(wanted: string, name: string, id: number): boolean {
  return /^\d+$/.test(wanted) ? Number(wanted) === id : wanted === name;
}
