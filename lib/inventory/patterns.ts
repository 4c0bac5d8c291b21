/**
 * Host patterns (plays' `hosts:`, `--limit`), ported from ansible-core 2.14
 * `inventory/manager.py` (`split_host_pattern`, `order_patterns`, `_evaluate_patterns`,
 * `_match_one_pattern`, `_enumerate_matches`, `subset`):
 * - `a,b` or `a:b` (`:` only when the whole text is not a host[:port]/range) is a union;
 *   `&x` intersects, `!x` excludes; plain patterns apply first, then all `&`, then all `!`
 *   (whatever their written order); only `&`/`!` means `all` first;
 * - a word is matched against group names (fnmatch-style glob, or a regex after `~`, anchored at
 *   the start only, as `re.match`), giving each matching group's hosts; host names are matched when
 *   no group matched or the pattern has `~ . ? * [`; `all`/`*` give every host;
 * - `g[0]`, `g[-1]`, `g[1:3]` (inclusive), `g[2:]` subscript the matches; `[x:0]` is read as the
 *   single index x, as Ansible reads it;
 * - `localhost`/`127.0.0.1`/`::1` not in the inventory is Ansible's implicit localhost;
 * - a limit (`--limit`, may be a list; `@file` reads one pattern per line) filters the result.
 * Order: a group's hosts are its own, then its children's level by level. Ansible walks levels
 * below the direct children through a Python set, so its order there varies from run to run; ours
 * is the stable child order.
 */
import * as fs from 'node:fs';
import { InvalidInputError } from '../errors.js';
import type { Inventory } from './types.js';
import { parseAddress } from './ranges.js';

export const LOCALHOST_NAMES = ['127.0.0.1', 'localhost', '::1'];

const PATTERN_WITH_SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

export function splitHostPattern(pattern: string | string[]): string[] {
  if (Array.isArray(pattern)) return pattern.flatMap((p) => splitHostPattern(p));
  let parts: string[];
  if (pattern.includes(',')) {
    parts = pattern.split(',');
  } else if (parseAddress(pattern)) {
    parts = [pattern];
  } else {
    // Legacy ':' separator; bracketed expressions stay whole.
    parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  }
  return parts.map((p) => p.trim()).filter(Boolean);
}

export function orderPatterns(patterns: string[]): string[] {
  const regular: string[] = [];
  const inter: string[] = [];
  const excl: string[] = [];
  for (const p of patterns) {
    if (!p) continue;
    if (p[0] === '!') excl.push(p);
    else if (p[0] === '&') inter.push(p);
    else regular.push(p);
  }
  return [...(regular.length ? regular : ['all']), ...inter, ...excl];
}

/** Python's fnmatch.translate, as a JS regex (full match). */
export function fnmatchToRegExp(pat: string): RegExp {
  let out = '';
  let i = 0;
  const n = pat.length;
  while (i < n) {
    const c = pat[i++] as string;
    if (c === '*') {
      if (!out.endsWith('[\\s\\S]*')) out += '[\\s\\S]*';
    } else if (c === '?') {
      out += '[\\s\\S]';
    } else if (c === '[') {
      let j = i;
      if (j < n && pat[j] === '!') j++;
      if (j < n && pat[j] === ']') j++;
      while (j < n && pat[j] !== ']') j++;
      if (j >= n) {
        out += '\\[';
      } else {
        let stuff = pat.slice(i, j);
        i = j + 1;
        let negate = false;
        if (stuff[0] === '!') {
          negate = true;
          stuff = stuff.slice(1);
        }
        if (!stuff) {
          out += negate ? '[\\s\\S]' : '(?!)';
        } else {
          const body = stuff.replace(/[\\\]^[]/g, (m) => '\\' + m);
          out += `[${negate ? '^' : ''}${body}]`;
        }
      }
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^(?:${out})$`);
}

/** A Python `re` pattern for `re.match` (anchored at the start only). */
function pythonRegExp(source: string): RegExp {
  const js = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\Z/g, '$(?![\\s\\S])')
    .replace(/\\A/g, '^');
  return new RegExp(`^(?:${js})`);
}

function matcher(pattern: string): RegExp {
  try {
    return pattern[0] === '~' ? pythonRegExp(pattern.slice(1)) : fnmatchToRegExp(pattern);
  } catch (e) {
    throw new InvalidInputError(`invalid host pattern '${pattern}': ${(e as Error).message}`);
  }
}

/** Group.get_hosts(): its own hosts, then its descendants', breadth first, without repeats. */
export function groupHosts(inv: Inventory, name: string): string[] {
  const start = inv.groups.get(name);
  if (!start) return [];
  const order = [start];
  const seenGroups = new Set([start.name]);
  for (let k = 0; k < order.length; k++) {
    for (const c of (order[k] as typeof start).children) {
      if (seenGroups.has(c)) continue;
      const child = inv.groups.get(c);
      if (!child) continue;
      seenGroups.add(c);
      order.push(child);
    }
  }
  const hosts: string[] = [];
  const seen = new Set<string>();
  for (const g of order) {
    for (const h of g.hosts) {
      if (!seen.has(h)) {
        seen.add(h);
        hosts.push(h);
      }
    }
  }
  return hosts;
}

function enumerateMatches(inv: Inventory, pattern: string): string[] {
  const re = matcher(pattern);
  const results: string[] = [];
  const groups = [...inv.groups.keys()].filter((g) => re.test(g));
  for (const g of groups) results.push(...groupHosts(inv, g));
  if (!groups.length || pattern[0] === '~' || /[.?*[]/.test(pattern)) {
    for (const h of inv.hosts.keys()) if (re.test(h)) results.push(h);
  }
  if (!results.length && LOCALHOST_NAMES.includes(pattern)) results.push(pattern);
  return results;
}

function matchOnePattern(inv: Inventory, raw: string): string[] {
  let pattern = raw[0] === '&' || raw[0] === '!' ? raw.slice(1) : raw;
  let subscript: [number, number | undefined] | undefined;
  const m = pattern[0] === '~' ? null : PATTERN_WITH_SUBSCRIPT.exec(pattern);
  if (m) {
    pattern = m[1] as string;
    if (m[2] !== undefined) subscript = [parseInt(m[2], 10), undefined];
    else subscript = [parseInt(m[3] as string, 10), m[5] ? parseInt(m[5], 10) : -1];
  }
  const hosts = enumerateMatches(inv, pattern);
  if (!hosts.length || !subscript) return hosts;
  const [start, end] = subscript;
  if (end) {
    const last = end === -1 ? hosts.length - 1 : end;
    return pySlice(hosts, start, last + 1);
  }
  const idx = start < 0 ? hosts.length + start : start;
  if (idx < 0 || idx >= hosts.length) {
    throw new InvalidInputError(
      `no hosts matched the subscripted pattern '${raw.replace(/^[&!]/, '')}': it selects ${hosts.length} host(s)`,
    );
  }
  return [hosts[idx] as string];
}

function pySlice<T>(arr: T[], start: number, stop: number): T[] {
  const norm = (i: number) => (i < 0 ? Math.max(0, arr.length + i) : Math.min(i, arr.length));
  return arr.slice(norm(start), norm(stop));
}

/** `_evaluate_patterns`: the hosts for a list of single patterns, in order, maybe repeated. */
function evaluatePatterns(inv: Inventory, patterns: string[]): string[] {
  let hosts: string[] = [];
  for (const p of orderPatterns(patterns)) {
    if (inv.hosts.has(p)) {
      hosts.push(p);
      continue;
    }
    const that = matchOnePattern(inv, p);
    if (p[0] === '!') {
      const drop = new Set(that);
      hosts = hosts.filter((h) => !drop.has(h));
    } else if (p[0] === '&') {
      const keep = new Set(that);
      hosts = hosts.filter((h) => keep.has(h));
    } else {
      const have = new Set(hosts);
      hosts.push(...that.filter((h) => !have.has(h)));
    }
  }
  return hosts;
}

/** `subset()`: a limit's patterns, `@file` expanded to one pattern per line. */
export function limitPatterns(limit: string | string[]): string[] {
  const out: string[] = [];
  for (const x of splitHostPattern(limit)) {
    if (x[0] !== '@') {
      out.push(x);
      continue;
    }
    const file = x.slice(1);
    let text: string;
    try {
      if (!fs.statSync(file).isFile())
        throw new InvalidInputError(`a limit starting with "@" must be a file, not a directory`, { file });
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if (e instanceof InvalidInputError) throw e;
      throw new InvalidInputError('limit file not found', { file });
    }
    out.push(...text.split('\n').map((l) => l.trim()));
  }
  return out;
}

export interface SelectOptions {
  /** `--limit`: one pattern, or several (each may be `a,b`, `@file`); combined as one list. */
  limit?: string | string[];
}

/**
 * The hosts a pattern selects, in Ansible's order, without repeats. Names may include an implicit
 * localhost that is not in `inv.hosts` (see `getHost`).
 */
export function selectHosts(
  inv: Inventory,
  pattern: string | string[],
  options: SelectOptions = {},
): string[] {
  // get_hosts([]) selects nothing, while '' (like only `!x` / `&x` patterns) means `all`.
  if (Array.isArray(pattern) && pattern.length === 0) return [];
  let hosts = evaluatePatterns(inv, splitHostPattern(pattern));
  const limit = options.limit;
  if (limit !== undefined && (Array.isArray(limit) ? limit.length : limit)) {
    const allowed = new Set(evaluatePatterns(inv, limitPatterns(limit).filter(Boolean)));
    hosts = hosts.filter((h) => allowed.has(h));
  }
  return [...new Set(hosts)];
}
