/**
 * The known name closest to a misspelt one (`chekc` → `check`, `enable` → `enabled`), for "did
 * you mean" in refusals: the CLI's unknown options and the primitives' unknown options.
 */

/** Optimal string alignment distance: Levenshtein plus swapped neighbours (chekc → check is 1). */
export function editDistance(a: string, b: string): number {
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

/**
 * The name in `known` closest to `given`, if it is close enough to be a typo of it: a prefix of
 * three letters or more, or at most one edit per three letters.
 */
export function nearestName(given: string, known: Iterable<string>): string | undefined {
  let best: { name: string; score: number } | undefined;
  for (const name of known) {
    const score = name.startsWith(given) && given.length >= 3 ? 0.5 : editDistance(given, name);
    if (!best || score < best.score) best = { name, score };
  }
  return best && best.score <= Math.max(1, Math.floor(given.length / 3)) ? best.name : undefined;
}
