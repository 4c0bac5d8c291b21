/**
 * Debian version ordering (dpkg's `verrevcmp`), so `apt` with `state: 'latest'` upgrades only
 * when the candidate is newer than what is installed, without a `dpkg --compare-versions` round
 * trip per package. Comparing strings for equality is not enough: a pinned or security candidate
 * can be *older* than the installed version, and `apt-get install` would then do nothing while
 * the task reported a change on every run.
 */

/** Negative, zero or positive, like dpkg: `compareDebianVersions('1:1.0', '2.0') > 0`. */
export function compareDebianVersions(a: string, b: string): number {
  const va = splitVersion(a);
  const vb = splitVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  return verrevcmp(va.upstream, vb.upstream) || verrevcmp(va.revision, vb.revision);
}

interface Parts {
  epoch: number;
  upstream: string;
  revision: string;
}

function splitVersion(version: string): Parts {
  let rest = version.trim();
  let epoch = 0;
  const colon = rest.indexOf(':');
  if (colon > 0 && /^\d+$/.test(rest.slice(0, colon))) {
    epoch = Number(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  // The revision follows the *last* hyphen; upstream versions may contain hyphens themselves.
  const hyphen = rest.lastIndexOf('-');
  return hyphen >= 0
    ? { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) }
    : { epoch, upstream: rest, revision: '' };
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string) => /^[A-Za-z]$/.test(c);

/** dpkg's character order: `~` sorts before everything (even the end), letters before other symbols. */
function order(c: string | undefined): number {
  if (c === undefined || c === '') return 0;
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // Non-digit prefix, character by character in dpkg's order.
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    // Digit run, numerically (leading zeros ignored).
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    let firstDiff = 0;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}
