/**
 * Where the contract and its upstream live, and the contract's text as committed: the derived
 * object in Prettier's JSON layout (the repository's own settings), so `npm run lint` accepts the
 * generated file as it is and regenerating gives the same bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiContract } from './derive.js';

/** The repository root: the nearest folder above `from` whose package.json is named novastation. */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'novastation'
    )
      return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('pve-sim: cannot find the novastation repository root');
    dir = up;
  }
}

/** The committed contract. */
export const contractFile = (): string => join(repoRoot(), 'test', 'pve-sim', 'contract', 'pve-api.json');

/**
 * The upstream schema, when it is there: beside the repository (`../shared/reference`, as on the
 * development machine and in CI), or where $PVE_API_SCHEMA says (a worktree elsewhere); never
 * inside the repository.
 */
export const upstreamFile = (): string =>
  process.env.PVE_API_SCHEMA || resolve(repoRoot(), '..', 'shared', 'reference', 'pve-api-schema.json');

export async function contractText(contract: ApiContract): Promise<string> {
  const prettier = await import('prettier');
  const file = contractFile();
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(JSON.stringify(contract), { ...options, filepath: file });
}
