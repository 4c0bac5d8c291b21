/**
 * Handlebars helpers for the config formats our templates write. Each quotes a value so that the
 * program reading the file gets back exactly that value, whatever characters it holds — the
 * template author should never hand-quote a variable.
 *
 *   {{json value [indent]}}   JSON (also valid YAML 1.2 for any value)
 *   {{yaml value}}            a YAML scalar: strings double-quoted, numbers/booleans/null bare
 *   {{ini value}}             an INI value: bare when safe, else double-quoted with \" and \\
 *   {{env value}}             a shell / systemd EnvironmentFile value: double-quoted, \ " $ ` escaped
 *   {{shell value}}           one POSIX shell word (single-quoted when needed)
 *   {{join list [sep]}}       list items joined (default ", ")
 *   {{indent n text}} / {{#indent n}}…{{/indent}}   every non-empty line indented by n spaces
 *   {{#if (eq a b)}}          equality, for conditionals
 *
 * A helper given an undefined value throws: the template is strict (tasks/files/template.ts), and a
 * helper must not turn a missing value into an empty string either.
 */
import type { HelperOptions } from 'handlebars';
import { quotePosix } from '../../lib/shell/quote.js';

type Helper = (...args: unknown[]) => unknown;

/** The helper's own arguments (Handlebars appends its options object), each checked defined. */
function params(name: string, raw: unknown[], count: number): unknown[] {
  const args = raw.slice(0, -1);
  for (let i = 0; i < count; i++) {
    if (args[i] === undefined) throw new Error(`helper ${name}: argument ${i + 1} is undefined`);
  }
  return args;
}

function scalar(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  throw new Error(
    `helper ${name}: expected a string, number or boolean, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
  );
}

/** INI readers (Python configparser, systemd, PHP, Samba) agree on bare values without these. */
const INI_SAFE = /^[^\s"'\\;#=][^"'\\;#=\n\r]*(?<!\s)$/;

export const templateHelpers: Record<string, Helper> = {
  json(...raw) {
    const [value, indent] = params('json', raw, 1);
    return JSON.stringify(value, null, typeof indent === 'number' ? indent : undefined);
  },
  yaml(...raw) {
    const [value] = params('yaml', raw, 1);
    if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
    // A JSON string is a valid YAML double-quoted scalar; objects/arrays become YAML flow collections.
    return JSON.stringify(value);
  },
  ini(...raw) {
    const text = scalar('ini', params('ini', raw, 1)[0]);
    if (/[\n\r]/.test(text)) throw new Error('helper ini: an INI value cannot hold a newline');
    return INI_SAFE.test(text) ? text : `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  },
  env(...raw) {
    const text = scalar('env', params('env', raw, 1)[0]);
    return `"${text.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
  },
  shell(...raw) {
    return quotePosix(scalar('shell', params('shell', raw, 1)[0]));
  },
  join(...raw) {
    const [list, sep] = params('join', raw, 1);
    if (!Array.isArray(list)) throw new Error(`helper join: expected a list, got ${typeof list}`);
    return list.map((item) => scalar('join', item)).join(typeof sep === 'string' ? sep : ', ');
  },
  indent(this: unknown, ...raw: unknown[]) {
    const options = raw[raw.length - 1] as HelperOptions;
    const [n, given] = params('indent', raw, 1);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
      throw new Error('helper indent: the first argument must be a number of spaces');
    const text = raw.length > 2 ? scalar('indent', given) : options.fn(this);
    const pad = ' '.repeat(n);
    return text.replace(/^(?=.)/gm, pad);
  },
  eq(...raw) {
    const [a, b] = params('eq', raw, 2);
    return a === b;
  },
};

/** Register the helpers on a Handlebars environment (an isolated one: `Handlebars.create()`). */
export function registerTemplateHelpers(hb: { registerHelper(name: string, fn: Helper): void }): void {
  for (const [name, fn] of Object.entries(templateHelpers)) hb.registerHelper(name, fn);
}
