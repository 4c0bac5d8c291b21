/**
 * `iniSetting`: one `key = value` in an INI file's `[section]`, or — without `section` — one
 * `KEY=value` in a plain key=value file (/etc/default/*, EnvironmentFile, sysctl.conf style).
 *
 * present — the first active `key` line of the section gets the value (other active lines of the
 * same key in that section are removed, so the value is unambiguous); a line whose value already
 * equals it is kept as written (its spacing too). With no active line, a commented-out one
 * (`# key = …`, `;key=…`) is replaced in place, so the setting stays where the file documents it;
 * else the line goes after the section's last non-blank line. A missing section is appended.
 * absent — every active `key` line of the section is removed (comments are kept).
 *
 * Without `section`, the part of the file before the first `[section]` header is the scope. The
 * new content is computed on the controller (editIniSetting, pure) and written atomically.
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { isSecret, Secret } from '../../lib/secret.js';
import { convergeFile, managedFileResource, type ManagedFileResource } from './file.js';
import { AbsolutePath, checkOptions, fail, Flag, InstanceOf, OneOf, Options } from '../options.js';
import { writeAttributeOptions } from './file-options.js';

export const IniSettingOptions = Options({
  path: AbsolutePath(),
  /** The `[section]`; omit for a plain key=value file (the part before any section). */
  section: Type.Optional(
    Type.String({
      pattern: '^(?!\\s)[^\\]\\n\\r]*(?<!\\s)$',
      expected: 'must be a one-line name without ] or surrounding spaces',
    }),
  ),
  key: Type.String({
    pattern: '^[^\\s=#;[](?:[^=\\n\\r]*[^\\s=])?$',
    expected: 'must be a name without =, newlines or surrounding spaces',
  }),
  /** Required for `present`. A Secret makes the task sensitive (no diff). */
  value: Type.Optional(
    Type.Union([Type.String(), Type.Number(), Type.Boolean(), InstanceOf(Secret)], {
      expected: 'must be a string, number, boolean or Secret',
    }),
  ),
  state: Type.Optional(OneOf(['present', 'absent'])),
  /** Between key and value on lines written: default `" = "` with a section, `"="` without. */
  separator: Type.Optional(
    Type.String({ pattern: '^\\s*=\\s*$', expected: 'must be "=" with optional spaces around it' }),
  ),
  /** Create the file when missing (default true, as Ansible's ini_file). */
  create: Type.Optional(Flag()),
  /** Replace a commented-out `# key = …` line when the key is not set (default true). */
  replaceCommented: Type.Optional(Flag()),
  ...writeAttributeOptions,
});
export type IniSettingOptions = Static<typeof IniSettingOptions>;

const PRIMITIVE = 'ini-setting';

function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const HEADER = /^\s*\[([^\]]*)\]/;

export interface IniEdit {
  section?: string;
  key: string;
  /** The value as text; undefined with state absent. */
  value?: string;
  state: 'present' | 'absent';
  separator: string;
  create: boolean;
  replaceCommented: boolean;
}

/** The new content, or null when the file is absent and stays absent. */
export function editIniSetting(text: string | null, o: IniEdit, path = ''): string | null {
  if (text === null) {
    if (o.state === 'absent') return null;
    if (!o.create)
      throw new Error(`${PRIMITIVE} ${path}: the file does not exist (set create: true to create it)`);
  }
  const lines = splitLines(text ?? '');
  const key = escapeRe(o.key);
  const active = new RegExp(`^\\s*${key}\\s*=`);
  const commented = new RegExp(`^\\s*[#;]\\s*${key}\\s*=`);
  const newLine = `${o.key}${o.separator}${o.value ?? ''}\n`;

  // The scope: [start, end) line ranges of the section (all its occurrences), or the head.
  const ranges: [number, number][] = [];
  let current: string | undefined; // undefined: the head, before any header
  let from = 0;
  lines.forEach((line, i) => {
    const h = HEADER.exec(line);
    if (!h) return;
    if (current === o.section) ranges.push([from, i]);
    current = h[1]!.trim();
    from = i + 1;
  });
  if (current === o.section) ranges.push([from, lines.length]);
  if (o.section !== undefined && ranges.length === 0) {
    if (o.state === 'absent') return lines.join('');
    // Append the section, after a blank line when the file has content.
    if (lines.length && !lines[lines.length - 1]!.endsWith('\n')) lines[lines.length - 1] += '\n';
    if (lines.length && lines[lines.length - 1]!.trim() !== '') lines.push('\n');
    lines.push(`[${o.section}]\n`, newLine);
    return lines.join('');
  }

  const inScope = (i: number) => ranges.some(([a, b]) => i >= a && i < b);
  const hits = lines.map((l, i) => (inScope(i) && active.test(l) ? i : -1)).filter((i) => i >= 0);
  const drop = new Set<number>(o.state === 'absent' ? hits : hits.slice(1));
  if (o.state === 'present') {
    const first = hits[0];
    if (first !== undefined) {
      const existing = lines[first]!.replace(/[\r\n]+$/, '')
        .replace(active, '')
        .trim();
      if (existing !== o.value) lines[first] = newLine;
    } else {
      const comment = o.replaceCommented ? lines.findIndex((l, i) => inScope(i) && commented.test(l)) : -1;
      if (comment !== -1) lines[comment] = newLine;
      else {
        // After the scope's last non-blank line (the first range; the head may be empty).
        const [a, b] = ranges[0] ?? [0, 0];
        let at = a;
        for (let i = a; i < b; i++) if (lines[i]!.trim() !== '') at = i + 1;
        if (at > 0 && !lines[at - 1]!.endsWith('\n')) lines[at - 1] += '\n';
        lines.splice(at, 0, newLine);
        // Indices after `at` moved; `drop` is empty here (no hits), so nothing else to shift.
      }
    }
  }
  return lines.filter((_, i) => !drop.has(i)).join('');
}

function valueText(value: IniSettingOptions['value']): string | undefined {
  if (value === undefined) return undefined;
  return isSecret(value) ? value.reveal() : String(value);
}

/** The rules between options (and on a Secret's value) that their declaration cannot say. */
function checkCombinations(o: IniSettingOptions): void {
  checkOptions(PRIMITIVE, IniSettingOptions, o);
  const v = o.value;
  if (/[\n\r]/.test(valueText(v) ?? ''))
    fail(PRIMITIVE, 'value', 'must be one line', isSecret(v) ? '(secret)' : v);
  if ((o.state ?? 'present') === 'present' && v === undefined)
    fail(PRIMITIVE, 'value', 'is required with state present', v);
}

export function iniSettingResource(options: IniSettingOptions): ManagedFileResource {
  checkCombinations(options);
  const edit: IniEdit = {
    ...(options.section !== undefined ? { section: options.section } : {}),
    key: options.key,
    ...(options.state !== 'absent' ? { value: valueText(options.value) } : {}),
    state: options.state ?? 'present',
    separator: options.separator ?? (options.section !== undefined ? ' = ' : '='),
    create: options.create ?? true,
    replaceCommented: options.replaceCommented ?? true,
  };
  return managedFileResource({
    id: `setting ${options.section !== undefined ? `[${options.section}] ` : ''}${options.key} in ${options.path}`,
    path: options.path,
    attributes: options,
    sensitive: isSecret(options.value),
    edit: (current) => {
      const next = editIniSetting(current === null ? null : current.toString('utf8'), edit, options.path);
      return next === null ? null : Buffer.from(next, 'utf8');
    },
  });
}

/**
 * One `key = value` in an INI `[section]`, or one `KEY=value` in a plain key=value file.
 *
 * @example
 * await iniSetting(host, { path: '/etc/php/8.2/fpm/php.ini', section: 'PHP', key: 'memory_limit', value: '256M' });
 * await iniSetting(host, { path: '/etc/default/grub', key: 'GRUB_TIMEOUT', value: 2 });
 */
export function iniSetting(host: Host, options: IniSettingOptions): Promise<TaskOutcome> {
  return convergeFile(host, iniSettingResource(options));
}
