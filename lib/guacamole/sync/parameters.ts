/** Comparing connection parameters as the JDBC backend stores them. */

const SECRET_PARAMETERS = /password|passphrase|private-key|secret/;

/** Parameter changes, empty values counted as absent (the backend does not store them). */
export function parameterDiffs(have: Record<string, string>, want: Record<string, string>): string[] {
  const norm = (p: Record<string, string>) =>
    Object.fromEntries(Object.entries(p).filter(([, v]) => v !== '' && v != null));
  const a = norm(have);
  const b = norm(want);
  const out: string[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (a[key] === b[key]) continue;
    if (SECRET_PARAMETERS.test(key)) out.push(`parameter ${key} changed`);
    else out.push(`parameter ${key} ${a[key] ?? '(unset)'} → ${b[key] ?? '(unset)'}`);
  }
  return out;
}
