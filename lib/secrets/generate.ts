/**
 * Random secret strings from crypto.randomBytes, uniformly over the alphabet (rejection
 * sampling: bytes that would bias the modulo are thrown away).
 */
import { randomBytes } from 'node:crypto';

export const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface GenerateOptions {
  /** Characters (default 32). */
  length?: number;
  /** The characters to draw from (default A–Z a–z 0–9: safe in YAML, URLs, shells and SQL). */
  alphabet?: string;
}

export function randomSecretString(options: GenerateOptions = {}): string {
  const length = options.length ?? 32;
  const alphabet = [...new Set(options.alphabet ?? ALPHANUMERIC)];
  if (!Number.isInteger(length) || length < 8 || length > 4096)
    throw new RangeError(`a generated secret needs a length from 8 to 4096, got ${length}`);
  if (alphabet.length < 2 || alphabet.length > 256)
    throw new RangeError(
      `a generated secret needs an alphabet of 2 to 256 distinct characters, got ${alphabet.length}`,
    );
  const limit = 256 - (256 % alphabet.length); // bytes >= limit would favour the first characters
  const out: string[] = [];
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= limit) continue;
      out.push(alphabet[byte % alphabet.length]!);
      if (out.length === length) break;
    }
  }
  return out.join('');
}

/** Bits of entropy of a secret generated with these options. */
export function entropyBits(options: GenerateOptions = {}): number {
  return Math.floor((options.length ?? 32) * Math.log2(new Set(options.alphabet ?? ALPHANUMERIC).size));
}
