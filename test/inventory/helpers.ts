/** Small fixtures for the inventory unit tests: write files to a temp dir, load them. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import { InvalidInputError } from '../../lib/errors.js';
import { loadInventorySync, type Inventory, type LoadOptions } from '../../lib/inventory/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Write `files` (path → content) under a fresh temp dir and return the dir. */
export function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'novastation-inv-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    const full = path.join(dir, name);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return dir;
}

/** Load `sources` (relative to a fixture of `files`). */
export function load(
  files: Record<string, string>,
  sources: string[] = [Object.keys(files)[0] as string],
  options?: LoadOptions,
): Inventory {
  const dir = fixture(files);
  return loadInventorySync(
    sources.map((s) => path.join(dir, s)),
    options,
  );
}

/** The InvalidInputError loading these files throws (fails the test if none). */
export function loadError(
  files: Record<string, string>,
  sources: string[] = [Object.keys(files)[0] as string],
): InvalidInputError & { dir: string } {
  const dir = fixture(files);
  try {
    loadInventorySync(sources.map((s) => path.join(dir, s)));
  } catch (e) {
    if (e instanceof InvalidInputError) return Object.assign(e, { dir });
    throw e;
  }
  throw new Error('expected an InvalidInputError, but the inventory loaded');
}

/** A host's merged vars. */
export function varsOf(inv: Inventory, host: string): Record<string, unknown> {
  const h = inv.hosts.get(host);
  if (!h) throw new Error(`no host ${host}`);
  return h.vars;
}
