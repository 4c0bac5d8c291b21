/**
 * `-e/--extra-vars` as Ansible takes it: `k=v k2=v2` (values are text, converted to a role's
 * declared type only when an exact rendering of it: lib/runner/extra-vars-coercion.ts), a
 * JSON/YAML mapping, or `@file` (YAML or JSON). Later `-e` win over earlier ones.
 */
import { readFileSync } from 'node:fs';
import { BadOptionsError, InvalidInputError } from '../errors.js';
import { markKeyValueText } from '../runner/extra-vars-coercion.js';

export async function parseExtraVars(values: string[]): Promise<Record<string, unknown>> {
  const merged: Record<string, unknown> = {};
  const fromText = new Set<string>(); // keys whose value is k=v text (see extra-vars-coercion.ts)
  for (const raw of values) {
    const text = raw.trim();
    let vars: unknown;
    if (text.startsWith('@')) {
      const file = text.slice(1);
      let content: string;
      try {
        content = readFileSync(file, 'utf8');
      } catch (error) {
        throw new BadOptionsError(`--extra-vars ${text}: cannot read ${file}: ${(error as Error).message}`);
      }
      vars = await parseMapping(content, file);
    } else if (text.startsWith('{')) {
      vars = await parseMapping(text, '--extra-vars');
    } else {
      vars = parseKeyValues(text);
      for (const key of Object.keys(vars as object)) fromText.add(key);
      Object.assign(merged, vars);
      continue;
    }
    for (const key of Object.keys(vars as object)) fromText.delete(key);
    Object.assign(merged, vars);
  }
  markKeyValueText(merged, fromText);
  return merged;
}

async function parseMapping(text: string, source: string): Promise<Record<string, unknown>> {
  const { parseDocument } = await import('../vendor/yaml.js');
  const doc = parseDocument(text);
  if (doc.errors.length) throw new InvalidInputError(doc.errors[0]!.message, { file: source });
  const value = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new InvalidInputError('extra vars must be a mapping', { file: source });
  return value as Record<string, unknown>;
}

/** `a=1 b="two words"`: shell-like words, each `key=value`. */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const words = text.match(/(?:[^\s"']+|"(?:\\.|[^"])*"|'[^']*')+/g) ?? [];
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new BadOptionsError(`--extra-vars: "${word}" is not key=value`);
    const value = word
      .slice(eq + 1)
      .replace(/^"(.*)"$/s, '$1')
      .replace(/^'(.*)'$/s, '$1');
    out[word.slice(0, eq)] = value;
  }
  return out;
}
