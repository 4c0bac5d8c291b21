/**
 * An unknown command-line option, said the way a user can act on: the usage line and the nearest
 * known option (`--chekc` → did you mean `--check`?) instead of node's parser text. Exit 5.
 */
import { BadOptionsError } from '../errors.js';

type OptionSpec = Record<string, { type: string; short?: string }>;

/** Optimal string alignment distance: Levenshtein plus swapped neighbours (chekc → check is 1). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known option closest to `given`, if it is close enough to be a typo of it. */
export function nearestOption(given: string, options: OptionSpec): string | undefined {
  const name = given.replace(/^-+/, '').split('=')[0]!;
  let best: { option: string; score: number } | undefined;
  for (const [long, spec] of Object.entries(options)) {
    const candidates = [
      [`--${long}`, long] as const,
      ...(spec.short ? [[`-${spec.short}`, spec.short] as const] : []),
    ];
    for (const [option, bare] of candidates) {
      const score = bare.startsWith(name) && name.length >= 3 ? 0.5 : distance(name, bare);
      if (!best || score < best.score) best = { option, score };
    }
  }
  return best && best.score <= Math.max(1, Math.floor(name.length / 3)) ? best.option : undefined;
}

/** Turns node's parseArgs error into a BadOptionsError a user can act on. */
export function optionsError(error: unknown, options: OptionSpec, usage: string): BadOptionsError {
  const text = (error as Error).message;
  const unknown = /^Unknown option '([^']+)'/.exec(text)?.[1];
  if (unknown) {
    const near = nearestOption(unknown, options);
    return new BadOptionsError(
      `unknown option ${unknown}${near ? `: did you mean ${near}?` : ''}\n${usage}\n(see --help for all options)`,
    );
  }
  return new BadOptionsError(`${text.split('. To specify a positional')[0]}\n${usage}`);
}
