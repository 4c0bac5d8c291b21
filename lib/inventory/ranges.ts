/**
 * Host names with ports and ranges, as ansible-core 2.14 reads them:
 * - `parseAddress` is `ansible.parsing.utils.addresses.parse_address(allow_ranges=True)`:
 *   `host:port`, `[v6]:port`, IPv4/IPv6/host names that may contain `[x:y(:z)]` ranges.
 * - `expandHostPattern` is `BaseInventoryPlugin._expand_hostpattern`: if the text is not a valid
 *   address it is used whole as the name (no port), then `[a:b(:step)]` ranges are expanded
 *   (`expand_hostname_range`): numeric `[1:3]`, zero-padded `[01:10]` (begin and end must have
 *   the same width), alphabetic `[a:c]` (over `string.ascii_letters`, so `[x:B]` wraps from `z` to
 *   `A`), and a step `[01:50:2]`. Several ranges in one name multiply.
 */

export class RangeError extends Error {}

// Regex sources mirror addresses.py (verbose mode flattened); `\w` is Python's Unicode \w.
const W = '[\\p{L}\\p{N}_]';
const NUMERIC_RANGE = '\\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\\]';
const HEX_RANGE = '\\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\\]';
const ALNUM_RANGE = '\\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\\]';
const IPV6_C = `(?:[0-9a-f]{1,4}|${HEX_RANGE})`;
const IPV4_C = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
const LABEL = `(?:${W}|${ALNUM_RANGE})(?:[\\p{L}\\p{N}_-]|${ALNUM_RANGE})*(?<![_-])`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/s;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/s;
const IPV4 = new RegExp(`^(?:${IPV4_C}\\.){3}${IPV4_C}$`, 'i');
const IPV6 = new RegExp(
  '^(?:' +
    [
      `(?:${IPV6_C}:){7}${IPV6_C}`,
      `(?:${IPV6_C}:){1,6}:`,
      `(?:${IPV6_C}:)(?::${IPV6_C}){1,6}`,
      `(?:${IPV6_C}:){2}(?::${IPV6_C}){1,5}`,
      `(?:${IPV6_C}:){3}(?::${IPV6_C}){1,4}`,
      `(?:${IPV6_C}:){4}(?::${IPV6_C}){1,3}`,
      `(?:${IPV6_C}:){5}(?::${IPV6_C}){1,2}`,
      `(?:${IPV6_C}:){6}(?::${IPV6_C})`,
      `:(?::${IPV6_C}){1,6}`,
      `${IPV6_C}?::`,
      `(?:0:){6}(?:${IPV6_C}\\.){3}${IPV6_C}`,
      `::(?:ffff:)?(?:${IPV6_C}\\.){3}${IPV6_C}`,
      `(?:0:){5}ffff:(?:${IPV6_C}\\.){3}${IPV6_C}`,
    ].join('|') +
    ')$',
  'i',
);
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`, 'iu');
// A plain ASCII host name (the usual case) matches HOSTNAME too; this is tested first because
// V8 compiles HOSTNAME's case-insensitive Unicode classes lazily, at ~30–70 ms on the first call:
// start-up time of every run. An ASCII label: one letter or digit, or a letter, digit or `_`,
// then letters, digits, `_` or `-`, ending in a letter or digit (LABEL's look-behind).
const ASCII_LABEL = '(?:[A-Za-z0-9]|[A-Za-z0-9_][A-Za-z0-9_-]*[A-Za-z0-9])';
const ASCII_HOSTNAME = new RegExp(`^${ASCII_LABEL}(?:\\.${ASCII_LABEL})*$`);
/** Used for `inventory_hostname_short`-style checks by callers. */
export const IP_ADDRESS = { ipv4: IPV4, ipv6: IPV6 };

/** `parse_address(address, allow_ranges=True)`; undefined where Python raises. */
export function parseAddress(address: string): { host: string; port: number | undefined } | undefined {
  let port: number | undefined;
  let rest = address;
  // Both patterns are tried in turn (Python's loop uses `continue`, not `break`).
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(rest);
    if (m) {
      rest = m[1] as string;
      port = parseInt(m[2] as string, 10);
    }
  }
  if (ASCII_HOSTNAME.test(rest) || IPV4.test(rest) || IPV6.test(rest) || HOSTNAME.test(rest))
    return { host: rest, port };
  return undefined;
}

/** `_expand_hostpattern`: the host names a pattern stands for, and the port given with it. */
export function expandHostPattern(pattern: string): { hosts: string[]; port: number | undefined } {
  const parsed = parseAddress(pattern);
  const name = parsed ? parsed.host : pattern;
  const port = parsed ? parsed.port : undefined;
  return { hosts: name.includes('[') ? expandHostnameRange(name) : [name], port };
}

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Python's int(): optional sign, digits with single underscores, surrounding whitespace. */
function pyInt(text: string): number {
  const t = text.trim();
  if (!/^[+-]?[0-9](?:_?[0-9])*$/.test(t))
    throw new RangeError(`invalid literal for int() with base 10: '${text}'`);
  return parseInt(t.replace(/_/g, ''), 10);
}

/** `expand_hostname_range` from plugins/inventory/__init__.py. */
export function expandHostnameRange(line: string): string[] {
  const open = line.indexOf('[');
  const close = line.indexOf(']');
  // Python replaces the first '[' and first ']' with '|' and needs exactly three parts.
  const marked = line.replace('[', '|').replace(']', '|');
  const parts = marked.split('|');
  if (parts.length !== 3 || open < 0 || close < 0) {
    throw new RangeError(`invalid host range in '${line}': expected one '[' before one ']'`);
  }
  const [head, nrange, tail] = parts as [string, string, string];
  const bounds = nrange.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new RangeError(`host range must be begin:end or begin:end:step, got '[${nrange}]'`);
  }
  let beg = bounds[0] as string;
  const end = bounds[1] as string;
  const stepText = bounds.length === 3 ? (bounds[2] as string) : '1';
  if (!beg) beg = '0';
  if (!end) throw new RangeError(`host range must specify end value, got '[${nrange}]'`);
  let fill = (x: string | number): string => String(x);
  if (beg[0] === '0' && beg.length > 1) {
    const width = beg.length;
    if (width !== end.length) {
      throw new RangeError(`host range must specify equal-length begin and end formats, got '[${nrange}]'`);
    }
    fill = (x) => String(x).padStart(width, '0');
  }
  const step = pyInt(stepText);
  let seq: (string | number)[];
  const iBeg = ASCII_LETTERS.indexOf(beg);
  const iEnd = ASCII_LETTERS.indexOf(end);
  if (iBeg >= 0 && iEnd >= 0) {
    // str.index finds substrings, so Python accepts this branch for any letters it can locate.
    if (iBeg > iEnd) throw new RangeError(`host range must have begin <= end, got '[${nrange}]'`);
    if (step === 0) throw new RangeError('slice step cannot be zero');
    seq = [];
    if (step > 0) for (let k = iBeg; k <= iEnd; k += step) seq.push(ASCII_LETTERS[k] as string);
  } else {
    const b = pyInt(beg);
    const e = pyInt(end);
    if (step === 0) throw new RangeError('range() arg 3 must not be zero');
    seq = [];
    if (step > 0) for (let k = b; k <= e; k += step) seq.push(k);
    else for (let k = b; k > e + 1; k += step) seq.push(k);
  }
  const all: string[] = [];
  for (const r of seq) {
    const name = head + fill(r) + tail;
    if (name.includes('[')) all.push(...expandHostnameRange(name));
    else all.push(name);
  }
  return all;
}
