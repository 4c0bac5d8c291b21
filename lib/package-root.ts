/**
 * The package's own folder, found from this file whether it runs compiled (dist/lib/) or from
 * source under vitest (lib/), so shipped files like templates/ are found the same way.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'templates'))) {
    const up = dirname(dir);
    if (up === dir)
      throw new Error('novastation: cannot find the package folder (package.json + templates/)');
    dir = up;
  }
  return (root = dir);
}
