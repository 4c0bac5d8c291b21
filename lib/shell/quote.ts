/**
 * The one place where values become shell words. Every interpolation in `host.$\`…\`` passes
 * through here, chosen by the target's shell type, so adding a shell means adding a case here.
 *
 * POSIX quoting (single quotes, `'` written as `'\''`) is used rather than zx's `$'…'`, which only
 * bash understands: the same command text is then valid for bash, dash and busybox sh.
 */
import type { ShellType } from '../transport/types.js';

const SAFE_POSIX = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function quotePosix(value: string): string {
  if (value === '') return "''";
  if (SAFE_POSIX.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** PowerShell: single-quoted strings are literal; a quote inside is doubled. */
export function quotePowerShell(value: string): string {
  return `'${value.replace(/['‘’‚‛]/g, (q) => q + q)}'`;
}

export function quoteFor(shell: ShellType, value: string): string {
  return shell === 'powershell' ? quotePowerShell(value) : quotePosix(value);
}
