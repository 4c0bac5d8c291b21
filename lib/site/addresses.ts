/**
 * Site addresses are IP addresses or CIDR ranges, never DNS names: firewall rules are written
 * from them, and a name resolved at rule-writing time would silently pin whatever it resolved to.
 */
import { isIP } from 'node:net';

/** Why `value` is not an IPv4/IPv6 address or CIDR range, or undefined when it is one. */
export function addressProblem(value: string): string | undefined {
  const [address = '', prefix, extra] = value.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined)
    return 'is not an IP address or CIDR range (DNS names are not accepted: firewall rules need addresses)';
  if (prefix === undefined) return undefined;
  const bits = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits)
    return `has an invalid prefix length /${prefix} (0–${bits} for IPv${family})`;
  return undefined;
}

/** 4 or 6, for a valid address or range. */
export function addressFamily(value: string): 4 | 6 {
  return isIP(value.split('/')[0] ?? '') === 6 ? 6 : 4;
}
