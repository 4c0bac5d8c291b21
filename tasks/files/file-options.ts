/**
 * The options every file primitive shares (mode, owner, group; validate and backup for content
 * writes), declared once as TypeBox schemas (tasks/options.ts): each primitive spreads them into
 * its own declaration, so the type and the run-time check cannot disagree.
 */
import { FormatRegistry, Type } from '../../lib/vendor/typebox.js';
import type { Static, TObject } from '@sinclair/typebox';
import { validateCommandProblem } from '../../lib/host/atomic-write.js';
import { Flag } from '../options.js';

// A validate command must name the temp file (%s), unquoted: atomic-write quotes it.
FormatRegistry.Set('novastation-validate', (v) => validateCommandProblem(v) === undefined);

/** Octal string, e.g. `"0644"` or `"2775"`. A number is refused: `644` is not `0o644`. */
export const Mode = () =>
  Type.String({
    pattern: '^[0-7]{3,4}$',
    expected: (value) =>
      typeof value === 'number'
        ? 'must be an octal string like "0644" (a number is ambiguous: 644 is not 0o644)'
        : 'must be octal like "0644"',
  });

/** A user or group name, or a numeric id. */
const Id = () =>
  Type.String({
    pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*\\$?$',
    expected: 'must be a user/group name or numeric id',
  });

export const fileAttributeOptions = {
  /** Octal string, e.g. `"0644"` or `"2775"`. A number is refused: `644` is not `0o644`. */
  mode: Type.Optional(Mode()),
  /** User name or numeric uid. */
  owner: Type.Optional(Id()),
  /** Group name or numeric gid. */
  group: Type.Optional(Id()),
};

export const writeAttributeOptions = {
  ...fileAttributeOptions,
  /** Check the new content before it replaces the file; `%s` is the temp file (`visudo -cf %s`). */
  validate: Type.Optional(
    Type.String({
      format: 'novastation-validate',
      expected: (value) => (validateCommandProblem(value) ?? '').replace(/, got .*$/, ''),
    }),
  ),
  /** Keep the replaced file as `.<base>.<UTC timestamp>~` beside it (named in the task's message). */
  backup: Type.Optional(Flag()),
};

/** Mode, owner and group of a managed path. */
export type FileAttributes = Static<TObject<typeof fileAttributeOptions>>;
/** Mode, owner and group, plus how content is written. */
export type WriteAttributes = Static<TObject<typeof writeAttributeOptions>>;

/** The mode as the host's `stat %a` prints it, padded: `644` → `0644`. */
export function normalMode(mode: string | undefined): string | undefined {
  return mode?.padStart(4, '0');
}

/** Does the stat's owner (name or uid) match what was asked (a name or a numeric id)? */
export function sameId(wanted: string, name: string, id: number): boolean {
  return /^\d+$/.test(wanted) ? Number(wanted) === id : wanted === name;
}
