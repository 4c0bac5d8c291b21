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
import { isFloat } from './python-float.js';

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
  if (Number.isInteger(n) && abs < 1e16) return `${BigInt(n).toString()}.0`;
  if (abs >= 1e-4 && abs < 1e16) return String(n);
  // Python switches to exponent form below 1e-4 and from 1e16, with at least two exponent digits.
  const [mant, exp] = n.toExponential().split('e') as [string, string];
  const sign = exp[0] === '-' ? '-' : '+';
  const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
  return `${mant}e${sign}${digits}`;
}

export function pyRepr(v: unknown, float = false): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pyNumberRepr(v, float);
  if (typeof v === 'string') return pyStringRepr(v);
  if (v instanceof UnsafeText) return pyStringRepr(v.value);
  if (v instanceof VaultedValue) return '<vaulted value>';
  if (Array.isArray(v)) {
    const items = v.map((x, i) => pyRepr(x, isFloat(v, i)));
    if ((v as unknown as Record<symbol, unknown>)[PY_TUPLE]) return `(${items.join(', ')}${items.length === 1 ? ',' : ''})`;
    if ((v as unknown as Record<symbol, unknown>)[PY_SET]) return items.length ? `{${items.join(', ')}}` : 'set()';
    return `[${items.join(', ')}]`;
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyStringRepr(k)}: ${pyRepr(x, isFloat(v, k))}`);
    return `{${entries.join(', ')}}`;
  }
  return String(v);
}

export function pyStr(v: unknown, float = false): string {
  if (typeof v === 'string') return v;
  if (v instanceof UnsafeText) return v.value;
  return pyRepr(v, float);
}

/** `json.dumps(value, sort_keys=True, indent=4, ensure_ascii=False)` with AnsibleJSONEncoder. */
export function pythonJson(value: unknown, level = 0, float = false): string {
  const pad = ' '.repeat(4 * (level + 1));
  const close = ' '.repeat(4 * level);
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return pyNumberRepr(value, float);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof VaultedValue || value instanceof UnsafeText) return pythonJson(value.toJSON(), level);
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    return `[\n${value.map((x, i) => pad + pythonJson(x, level + 1, isFloat(value, i))).join(',\n')}\n${close}]`;
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value as object).sort(pyCompare);
    if (!keys.length) return '{}';
    const body = keys.map((k) => `${pad}${JSON.stringify(k)}: ${pythonJson((value as Record<string, unknown>)[k], level + 1, isFloat(value, k))}`);
    return `{\n${body.join(',\n')}\n${close}}`;
  }
  return JSON.stringify(String(value));
}
