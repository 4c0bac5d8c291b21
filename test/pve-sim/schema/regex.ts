/**
 * Perl regular expressions from the PVE schema, compiled for JavaScript.
 *
 * The schema dump stringifies Perl `qr//` objects, so patterns carry Perl-only syntax:
 * `(?^:…)` / `(?^i:…)` (inline flag groups), `(?>…)` (atomic groups) and `{,n}`. PVE applies a
 * pattern anchored at both ends (`$value =~ m/^$pattern$/`, pve-common JSONSchema.pm check_prop),
 * so we do the same. Inline `(?^i:…)` has no JS equivalent on Node 20; a pattern that contains one
 * is compiled case-insensitive as a whole (slightly more lenient than PVE, never stricter).
 */
const cache = new Map<string, RegExp>();

export function perlPattern(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  const insensitive = pattern.includes('(?^i:');
  const source = pattern
    .replace(/\(\?\^i?:/g, '(?:')
    .replace(/\(\?>/g, '(?:')
    .replace(/\{,(\d+)\}/g, '{0,$1}');
  re = new RegExp(`^(?:${source})$`, insensitive ? 'i' : '');
  cache.set(pattern, re);
  return re;
}
