/**
 * Primitive options, declared once with TypeBox: the declaration is both the TypeScript type a
 * role author writes against (`Static<typeof Schema>`) and the run-time check, because playbooks
 * run without a type check and a misspelt option (`recurse: true` for `recursive`) must not be
 * silently ignored. `checkOptions` runs synchronously when the primitive is called, so a bad
 * option fails the task before the host is touched.
 *
 * Every refusal names the primitive, the option, what was expected and what was given, then the
 * task and the role's file and line:
 *
 *   directory: unknown option recurse: did you mean recursive? (known: path, mode, …) (task "app folders", roles/app/index.ts:42)
 */
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatRegistry, Kind, Type, TypeRegistry } from '../lib/vendor/typebox.js';
import type { SchemaOptions, TObject, TSchema, TUnsafe, Static } from '@sinclair/typebox';
import { Value, ValueErrorType } from '../lib/vendor/typebox.js';
import type { ValueError } from '@sinclair/typebox/value';
import { nearestName } from '../lib/nearest.js';
import { packageRoot } from '../lib/package-root.js';
import { currentTaskScope } from '../lib/runner/task-scope.js';

/** What a refusal says the option must be: fixed text, or text chosen from the value given. */
export type Expected = string | ((value: unknown) => string);

declare module '@sinclair/typebox' {
  interface SchemaOptions {
    /** The refusal's wording (`must be octal like "0644"`), instead of TypeBox's own. */
    expected?: Expected;
    /** The value may be a password: a refusal never shows it. */
    hidden?: boolean;
  }
}

/** A primitive's option was refused (before the host was touched). */
export class OptionError extends TypeError {
  override name = 'OptionError';
}

// A value of a class (Buffer, Secret, RegExp, URL): JSON Schema cannot say it, TypeBox's registry can.
const INSTANCE = 'NovaStation:InstanceOf';
TypeRegistry.Set<{ instanceOf: abstract new (...args: never[]) => unknown }>(
  INSTANCE,
  (schema, value) => value instanceof schema.instanceOf,
);

export function InstanceOf<T>(
  ctor: abstract new (...args: never[]) => T,
  options: SchemaOptions = {},
): TUnsafe<T> {
  return Type.Unsafe<T>({ ...options, [Kind]: INSTANCE, instanceOf: ctor });
}

// A value whose rules a schema cannot say (an argv without Secrets): checked by a function that
// names the problem, which is also what the refusal says.
const CHECKED = 'NovaStation:Checked';
TypeRegistry.Set<{ problem: (value: unknown) => string | undefined }>(
  CHECKED,
  (schema, value) => schema.problem(value) === undefined,
);

/** A value of type T, checked by `problem` (undefined: fine; else what it must be: `must be …`). */
export function Checked<T>(
  problem: (value: unknown) => string | undefined,
  options: SchemaOptions = {},
): TUnsafe<T> {
  return Type.Unsafe<T>({
    expected: (value: unknown) => problem(value) ?? 'is invalid',
    ...options,
    [Kind]: CHECKED,
    problem,
  });
}

/** A closed object: an option it does not declare is refused, not ignored. */
export function Options<P extends Record<string, TSchema>>(properties: P): TObject<P> {
  return Type.Object(properties, { additionalProperties: false });
}

/** An absolute, normalised path: no `.`/`..` segments, no trailing slash, no `//`, no NUL or newline. */
FormatRegistry.Set('novastation-path', (p) => pathProblem(p) === undefined);
export const AbsolutePath = (options: SchemaOptions = {}) =>
  Type.String({
    format: 'novastation-path',
    expected: (value) => (typeof value === 'string' && pathProblem(value)) || 'must be absolute',
    ...options,
  });

function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must be absolute';
  if (/[\0\n]/.test(path)) return 'must not contain a NUL or newline';
  if (
    path !== '/' &&
    (path.endsWith('/') ||
      path
        .split('/')
        .slice(1)
        .some((s) => s === '' || s === '.' || s === '..'))
  )
    return 'must be normalised (no trailing slash, no //, . or .. segments)';
  return undefined;
}

export const Flag = (options: SchemaOptions = {}) =>
  Type.Boolean({ expected: 'must be true or false', ...options });

/** An array that a role author may pass as `readonly string[]` (TypeBox's own array type is mutable). */
export function ReadonlyArrayOf<T extends TSchema>(item: T, options: SchemaOptions = {}) {
  return Type.Array(item, options) as unknown as TUnsafe<readonly Static<T>[]>;
}

/** One of fixed words: `Oneof('state', ['present', 'absent'])`. */
export function OneOf<const T extends readonly string[]>(values: T, options: SchemaOptions = {}) {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    { expected: `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, ...options },
  ) as unknown as TUnsafe<T[number]>;
}

/**
 * Refuses options that do not match `schema`, naming the first problem. Narrows `options` to
 * the declared type, so the primitive reads them without casts.
 */
export function checkOptions<S extends TSchema>(
  primitive: string,
  schema: S,
  options: unknown,
): asserts options is Static<S> {
  if (Value.Check(schema, options)) return;
  // An unknown option first: a misspelt `key` for `keys` should be named, not reported as `keys` missing.
  const errors = [...Value.Errors(schema, options)];
  const first = errors.find((e) => e.type === ValueErrorType.ObjectAdditionalProperties) ?? errors[0];
  if (!first) return;
  const { option, expected, value } = explain(first);
  if (first.schema.hidden) failHidden(primitive, option, expected);
  fail(primitive, option, expected, value);
}

function explain(error: ValueError): { option: string; expected: string; value: unknown } {
  const option = error.path.split('/').slice(1).join('.') || 'options';
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    const known = Object.keys((error.schema as TObject).properties ?? {});
    // The error sits on the object; its path names the unknown key.
    const near = nearestName(option.split('.').pop()!, known);
    return {
      option: `unknown option ${option}${near ? `: did you mean ${near}?` : ''}`,
      expected: `(known: ${known.join(', ')})`,
      value: undefined,
    };
  }
  if (option === 'options') return { option, expected: 'must be an object', value: error.value };
  const wording = error.schema.expected;
  const expected =
    typeof wording === 'function'
      ? wording(error.value)
      : (wording ?? error.message.replace(/^Expected/, 'must be'));
  return { option, expected, value: error.value };
}

/** Refuses an option: `file: mode must be octal like "0644", got "999" (task "motd", roles/base/index.ts:12)`. */
export function fail(primitive: string, option: string, expected: string, got: unknown): never {
  const gotText = got === undefined && option.startsWith('unknown option') ? '' : `, got ${describe(got)}`;
  throw new OptionError(`${primitive}: ${option} ${expected}${gotText}${where()}`);
}

/** Refuses an option whose value may be a password: the message never shows it. */
export function failHidden(primitive: string, option: string, expected: string): never {
  throw new OptionError(`${primitive}: ${option} ${expected} (the value is not shown)${where()}`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value instanceof RegExp) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** ` (task "NAME", FILE:LINE)`: the running task, and the first caller outside this package's engine. */
function where(): string {
  const task = currentTaskScope()?.name;
  const site = callerLocation();
  const parts = [task === undefined ? undefined : `task ${JSON.stringify(task)}`, site].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

const root = packageRoot();
const engineDirs = ['tasks', 'lib', 'dist/tasks', 'dist/lib'].map((d) => `${root}/${d}/`);

/**
 * The role's (or playbook's) file and line that called the primitive: the first stack frame that
 * is not this package's engine, Node itself or a dependency. A playbook bundled by the CLI names
 * the bundle unless source maps are enabled.
 */
export function callerLocation(stack = new Error().stack ?? ''): string | undefined {
  for (const line of stack.split('\n').slice(1)) {
    const m = /(?:\(|^at )((?:file:\/\/)?\/[^()]*?):(\d+):\d+\)?$/.exec(line.trim());
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    if (engineDirs.some((d) => file.startsWith(d)) || file.includes('/node_modules/')) continue;
    const shown = relative(process.cwd(), file);
    return `${shown.startsWith('..') || isAbsolute(shown) ? file : shown}:${m[2]}`;
  }
  return undefined;
}

/** A RegExp, or a string compiled as one (refused when it does not compile). */
FormatRegistry.Set('novastation-regexp', (source) => regexpProblem(source) === undefined);
export const RegExpOption = (options: SchemaOptions = {}) =>
  Type.Union([InstanceOf(RegExp), Type.String({ format: 'novastation-regexp' })], {
    expected: (value) =>
      typeof value === 'string'
        ? `must be a valid regexp (${regexpProblem(value)})`
        : 'must be a RegExp or a string',
    ...options,
  });

function regexpProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
