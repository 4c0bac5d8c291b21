/**
 * The size to lay out live output in. A pseudo-terminal can report 0 columns and 0 rows
 * (`script -qc` without a terminal behind it, some CI runners): listr2 then wraps every character
 * onto its own line, and draws nothing until the end. Fall back to $COLUMNS/$LINES, then 80×24.
 */
export function terminalSize(
  stream: { columns?: number; rows?: number },
  env: NodeJS.ProcessEnv = process.env,
): { columns: number; rows: number } {
  const pick = (own: number | undefined, fromEnv: string | undefined, fallback: number) => {
    if (own && own > 0) return own;
    const n = Number(fromEnv);
    return Number.isInteger(n) && n > 0 ? n : fallback;
  };
  return { columns: pick(stream.columns, env.COLUMNS, 80), rows: pick(stream.rows, env.LINES, 24) };
}

/** Gives a terminal stream that reports no size a sane one (node updates it on resize). */
export function ensureTerminalSize(stream: { columns?: number; rows?: number }): void {
  const size = terminalSize(stream);
  if (!stream.columns) stream.columns = size.columns;
  if (!stream.rows) stream.rows = size.rows;
}
