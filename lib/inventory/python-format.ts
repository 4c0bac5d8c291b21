/**
 * Printing values the way ansible-inventory (Python) prints them:
 * - `pyStr`: `str(value)`, used by `--graph --vars` (`{name = value}`): strings bare, everything
 *   else as Python's repr (`True`, `None`, `['a', 1]`, `{'k': 'v'}`, `(1, 2)` for INI tuples);
 * - `pythonJson`: `json.dumps(sort_keys=True, indent=4, ensure_ascii=False)`, used by `--list` and
 *   `--host`, with keys sorted by code point (a JS object would put "9" before "10").
 * JS has one number type: a float with an integral value (YAML `2.0`) prints as `2`, where Python
 * prints `2.0`. That is the one known byte difference; parsed JSON is equal.
 */
import { PY_SET, PY_TUPLE } from './python-literal.js';
import { pyCompare } from './model.js';
import { UnsafeText, VaultedValue } from './tagged-values.js';
import { SecretReference } from '../secrets/reference.js';
import { pyKindAt, type PyKind } from './python-types.js';

const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

export function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x7f || (ch !== ' ' && !NON_PRINTABLE.test(ch))) out += ch;
    else if (cp <= 0xff) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp <= 0xffff) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + quote;
}

/** Python's repr of a number: an int, or (for `float`, or any non-integral value) a float. */
export function pyNumberRepr(n: number, float = false): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  const abs = Math.abs(n);
  if (Number.isInteger(n) && !float) return BigInt(n).toString();
  if (Number.isInteger(n) && abs < 1e16) return `${Object.is(n, -0) ? '-0' : BigInt(n).toString()}.0`;
  if (abs >= 1e-4 && abs < 1e16) return String(n);
  // Python switches to exponent form below 1e-4 and from 1e16, with at least two exponent digits.
  const [mant, exp] = n.toExponential().split('e') as [string, string];
  const sign = exp[0] === '-' ? '-' : '+';
  const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
  return `${mant}e${sign}${digits}`;
}

export function pyRepr(v: unknown, kind?: PyKind): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pyNumberRepr(v, kind === 'float');
  if (typeof v === 'string' && (kind === 'date' || kind === 'datetime')) return pyDateRepr(v);
  if (typeof v === 'string') return pyStringRepr(v);
  if (v instanceof UnsafeText) return pyStringRepr(v.value);
  if (v instanceof VaultedValue) return '<vaulted value>';
  if (Array.isArray(v)) {
    const items = v.map((x, i) => pyRepr(x, pyKindAt(v, i)));
    if ((v as unknown as Record<symbol, unknown>)[PY_TUPLE])
      return `(${items.join(', ')}${items.length === 1 ? ',' : ''})`;
    if ((v as unknown as Record<symbol, unknown>)[PY_SET])
      return items.length ? `{${items.join(', ')}}` : 'set()';
    return `[${items.join(', ')}]`;
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).map(
      ([k, x]) => `${pyStringRepr(k)}: ${pyRepr(x, pyKindAt(v as object, k))}`,
    );
    return `{${entries.join(', ')}}`;
  }
  return String(v);
}

export function pyStr(v: unknown, kind?: PyKind): string {
  // str(datetime) separates date and time with a space; isoformat() (what we keep) with 'T'.
  if (typeof v === 'string') return kind === 'datetime' ? v.replace('T', ' ') : v;
  if (v instanceof UnsafeText) return v.value;
  return pyRepr(v, kind);
}

/** repr() of a datetime.date / datetime.datetime given its isoformat() text. */
function pyDateRepr(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{6}))?([+-]\d{2}:\d{2})?)?$/.exec(
    iso,
  );
  if (!m) return pyStringRepr(iso);
  const n = (x: string | undefined) => String(Number(x ?? 0));
  const [, y, mo, d, h, mi, s, us, tz] = m;
  if (h === undefined) return `datetime.date(${n(y)}, ${n(mo)}, ${n(d)})`;
  const parts = [n(y), n(mo), n(d), n(h), n(mi)];
  if (Number(us ?? 0)) parts.push(n(s), n(us));
  else if (Number(s)) parts.push(n(s));
  if (tz) {
    const sign = tz[0] === '-' ? -1 : 1;
    const secs = sign * (Number(tz.slice(1, 3)) * 3600 + Number(tz.slice(4, 6)) * 60);
    if (secs === 0) parts.push('tzinfo=datetime.timezone.utc');
    else {
      const days = Math.floor(secs / 86400);
      const rest = secs - days * 86400;
      const delta = days ? `days=${days}, seconds=${rest}` : `seconds=${rest}`;
      parts.push(`tzinfo=datetime.timezone(datetime.timedelta(${delta}))`);
    }
  }
  return `datetime.datetime(${parts.join(', ')})`;
}

/** `json.dumps(value, sort_keys=True, indent=4, ensure_ascii=False)` with AnsibleJSONEncoder. */
export function pythonJson(value: unknown, level = 0, kind?: PyKind): string {
  const pad = ' '.repeat(4 * (level + 1));
  const close = ' '.repeat(4 * level);
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return pyNumberRepr(value, kind === 'float');
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof VaultedValue || value instanceof UnsafeText || value instanceof SecretReference)
    return pythonJson(value.toJSON(), level);
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    return `[\n${value.map((x, i) => pad + pythonJson(x, level + 1, pyKindAt(value, i))).join(',\n')}\n${close}]`;
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value as object).sort(pyCompare);
    if (!keys.length) return '{}';
    const body = keys.map(
      (k) =>
        `${pad}${JSON.stringify(k)}: ${pythonJson((value as Record<string, unknown>)[k], level + 1, pyKindAt(value as object, k))}`,
    );
    return `{\n${body.join(',\n')}\n${close}}`;
  }
  return JSON.stringify(String(value));
}
