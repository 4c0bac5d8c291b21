#!/usr/bin/env node
// Test-host harness CLI (see test/harness/README.md): `node scripts/testhosts.mjs up 3`.
// Node 20 cannot run TypeScript, so esbuild bundles test/harness/cli.ts (~50 ms) into a private
// temp file, which is imported and removed: concurrent invocations never read each other's output.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const result = await build({
  entryPoints: [join(root, 'test/harness/cli.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  write: false,
  logLevel: 'warning',
});
const dir = join(root, 'node_modules/.cache/novastation-testhosts');
mkdirSync(dir, { recursive: true });
const file = join(dir, `cli-${process.pid}.mjs`);
writeFileSync(file, result.outputFiles[0].contents);
let main;
try {
  ({ main } = await import(pathToFileURL(file).href));
} finally {
  rmSync(file, { force: true });
}
process.exitCode = await main(process.argv.slice(2));
