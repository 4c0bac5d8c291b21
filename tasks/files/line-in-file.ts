/**
 * `lineInFile`: one line present in (or absent from) a file, with Ansible lineinfile semantics:
 *
 * present — the LAST line matching `regexp` (or containing `searchString`; the first with
 * `firstMatch`) is replaced by `line`. With no match, and `line` not already in the file, the line
 * is inserted after the last line matching `insertAfter` (or before the last matching
 * `insertBefore`; the first match with `firstMatch`), at `'BOF'`, or by default at the end
 * (`'EOF'`). If `regexp` and `insertAfter` are both given, `insertAfter` is used only when
 * `regexp` matches nothing. `backrefs`: `line` may use `\1`, `\g<name>` of the regexp's match,
 * and the file is left alone when the regexp does not match.
 * absent — every line matching `regexp` / containing `searchString` / equal to `line` is removed.
 *
 * Regexps are JavaScript regexps, tested against each line without its `\n`. The new content is
 * computed on the controller (editLineInFile, pure) from the content read in one round trip, and
 * written with the same atomic write as `file`.
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { convergeFile, managedFileResource, type ManagedFileResource } from './file.js';
import { AbsolutePath, checkOptions, fail, Flag, OneOf, Options, RegExpOption } from '../options.js';
import { writeAttributeOptions } from './file-options.js';

export const LineInFileOptions = Options({
  path: AbsolutePath(),
  /** The line (without newline). Required for `present`. */
  line: Type.Optional(
    Type.String({ pattern: '^[^\\n\\r]*$', expected: 'must be a string without newlines' }),
  ),
  /** Lines matching this are replaced (present) or removed (absent). */
  regexp: Type.Optional(RegExpOption()),
  /** Like regexp, but a plain substring. */
  searchString: Type.Optional(Type.String({ minLength: 1, expected: 'must be a non-empty string' })),
  state: Type.Optional(OneOf(['present', 'absent'])),
  /** Where to insert when nothing matched: after the last line matching this, or `'EOF'` (default) / `'BOF'`. */
  insertAfter: Type.Optional(RegExpOption()),
  /** Where to insert when nothing matched: before the last line matching this, or `'BOF'`. */
  insertBefore: Type.Optional(RegExpOption()),
  /** Use the first match (of regexp and of insertAfter/insertBefore) instead of the last. */
  firstMatch: Type.Optional(Flag()),
  /** `line` refers to the regexp's groups; nothing is inserted when the regexp does not match. */
  backrefs: Type.Optional(Flag()),
  /** Create the file when missing (default: fail, as Ansible does). */
  create: Type.Optional(Flag()),
  ...writeAttributeOptions,
});
export type LineInFileOptions = Static<typeof LineInFileOptions>;

const PRIMITIVE = 'line-in-file';

function toRegExp(value: RegExp | string): RegExp {
  // `g`/`y` would make test() stateful.
  return typeof value === 'string'
    ? new RegExp(value)
    : new RegExp(value.source, value.flags.replace(/[gy]/g, ''));
}

/** Python's match.expand: `\1`…`\99`, `\g<1>`, `\g<name>`, `\\`. An unmatched group is empty. */
export function expandBackrefs(template: string, match: RegExpExecArray): string {
  return template.replace(
    /\\(?:(\d{1,2})|g<(\w+)>|(\\))/g,
    (_, num?: string, name?: string, slash?: string) => {
      if (slash) return '\\';
      const key = num ?? name ?? '';
      const value = /^\d+$/.test(key) ? match[Number(key)] : match.groups?.[key];
      return value ?? '';
    },
  );
}

function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

const bare = (line: string): string => line.replace(/[\r\n]+$/, '');

/** The new content, or null when the file is absent and stays absent. Throws when the file is missing and `create` is not set. */
export function editLineInFile(text: string | null, o: LineInFileOptions): string | null {
  const state = o.state ?? 'present';
  if (text === null) {
    if (state === 'absent') return null;
    if (!o.create)
      throw new Error(`${PRIMITIVE} ${o.path}: the file does not exist (set create: true to create it)`);
  }
  const lines = splitLines(text ?? '');
  const regexp = o.regexp !== undefined ? toRegExp(o.regexp) : undefined;
  const matches = (l: string): RegExpExecArray | boolean | null =>
    regexp ? regexp.exec(bare(l)) : o.searchString !== undefined ? bare(l).includes(o.searchString) : null;

  if (state === 'absent') {
    const kept = lines.filter(
      (l) => !(regexp || o.searchString !== undefined ? matches(l) : bare(l) === o.line),
    );
    return kept.join('');
  }

  const line = o.line ?? '';
  let found = -1;
  let match: RegExpExecArray | null = null;
  if (regexp || o.searchString !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      const m = matches(lines[i]!);
      if (m) {
        found = i;
        match = m === true ? null : (m as RegExpExecArray);
        if (o.firstMatch) break;
      }
    }
  }
  const anchor = o.insertAfter ?? o.insertBefore;
  const insertRe =
    anchor !== undefined && anchor !== 'EOF' && anchor !== 'BOF' ? toRegExp(anchor) : undefined;
  let insertAt = -1;
  if (found === -1) {
    for (let i = 0; i < lines.length; i++) {
      if (line === bare(lines[i]!)) {
        found = i;
      } else if (insertRe && insertRe.test(lines[i]!.replace(/\n$/, ''))) {
        insertAt = o.insertAfter !== undefined ? i + 1 : i;
        if (o.firstMatch) break;
      }
    }
  }
  const newLine = `${o.backrefs && match ? expandBackrefs(line, match) : line}\n`;
  const ensureFinalNewline = () => {
    const last = lines.length - 1;
    if (last >= 0 && !/[\n\r]$/.test(lines[last]!)) lines[last] += '\n';
  };

  if (found !== -1) {
    // A regexp/searchString match, or (no match) the line itself already there: replace only if
    // different — which also normalises a missing final newline or a CRLF ending, as Ansible does.
    if (lines[found] !== newLine) lines[found] = newLine;
    return lines.join('');
  }
  if (o.backrefs) return lines.join(''); // no match: generating the line would be unsafe
  if (o.insertBefore === 'BOF' || o.insertAfter === 'BOF') {
    lines.unshift(newLine);
  } else if (o.insertAfter === 'EOF' || insertAt === -1) {
    ensureFinalNewline();
    lines.push(newLine);
  } else if (o.insertAfter !== undefined) {
    // Not again if the line right after the anchor is already it.
    if (insertAt === lines.length) {
      if (bare(lines[insertAt - 1]!) !== line) {
        ensureFinalNewline();
        lines.push(newLine);
      }
    } else if (bare(lines[insertAt]!) !== line) {
      lines.splice(insertAt, 0, newLine);
    }
  } else {
    lines.splice(insertAt, 0, newLine);
  }
  return lines.join('');
}

/** The rules between options that their declaration cannot say. */
function checkCombinations(o: LineInFileOptions): void {
  checkOptions(PRIMITIVE, LineInFileOptions, o);
  const state = o.state ?? 'present';
  if (state === 'present' && o.line === undefined)
    fail(PRIMITIVE, 'line', 'is required with state present', o.line);
  if (state === 'absent' && o.line === undefined && o.regexp === undefined && o.searchString === undefined) {
    fail(PRIMITIVE, 'regexp', 'or searchString or line is required with state absent', o.regexp);
  }
  if (o.regexp !== undefined && o.searchString !== undefined)
    fail(PRIMITIVE, 'searchString', 'cannot be used with regexp', o.searchString);
  if (o.insertAfter !== undefined && o.insertBefore !== undefined)
    fail(PRIMITIVE, 'insertBefore', 'cannot be used with insertAfter', o.insertBefore);
  if (o.backrefs && o.regexp === undefined) fail(PRIMITIVE, 'backrefs', 'needs regexp', o.backrefs);
}

export function lineInFileResource(options: LineInFileOptions): ManagedFileResource {
  checkCombinations(options);
  return managedFileResource({
    id: `line in ${options.path}`,
    path: options.path,
    attributes: options,
    sensitive: false,
    edit: (current) => {
      const next = editLineInFile(current === null ? null : current.toString('utf8'), options);
      return next === null ? null : Buffer.from(next, 'utf8');
    },
  });
}

/**
 * One line present or absent, Ansible lineinfile style.
 *
 * @example
 * await lineInFile(host, { path: '/etc/ssh/sshd_config', regexp: /^#?PasswordAuthentication\b/, line: 'PasswordAuthentication no', validate: 'sshd -t -f %s' });
 */
export function lineInFile(host: Host, options: LineInFileOptions): Promise<TaskOutcome> {
  return convergeFile(host, lineInFileResource(options));
}
