/**
 * Where a user was declared, for messages: the inventory records the file and line of each
 * top-level variable (`site_users`), and the user's key is the first `login:` key below it.
 */
import { readFileSync } from 'node:fs';
import type { VariableSource } from '../inventory/types.js';

/** `file:line` of each login's key under the variable declared at `source` (or just `file`). */
export function userLines(source: VariableSource | undefined, logins: string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (!source) return out;
  let lines: string[] = [];
  try {
    lines = readFileSync(source.file, 'utf8').split('\n');
  } catch {
    lines = [];
  }
  const from = source.line ?? 1;
  for (const login of logins) {
    const key = new RegExp(`^\\s*(?:-\\s+)?["']?${login.replace(/[-]/g, '\\-')}["']?\\s*:`);
    const at = lines.findIndex((l, i) => i >= from && key.test(l));
    out.set(login, at >= 0 ? `${source.file}:${at + 1}` : placeOf(source));
  }
  return out;
}

export function placeOf(source: VariableSource | undefined): string {
  if (!source) return '(no file: --extra-vars or a play)';
  return source.line !== undefined ? `${source.file}:${source.line}` : source.file;
}
