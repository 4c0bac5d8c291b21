#!/usr/bin/env node
// Runs a TypeScript script of this repository (test harness CLI, benchmarks) on Node 20, which
// cannot run TypeScript: esbuild bundles it (~50 ms; packages stay external) into a private temp
// file, which is imported and removed, so concurrent invocations never read each other's output.
// Each module keeps its own import.meta.url (rewritten to its source file's), so code that finds
// files beside itself (fixtures, the stand-in images' recipe) works bundled as it does under vitest.
// The script must export `main(argv: string[]): Promise<number>`; its result is the exit code.
// Usable as a command (`node scripts/run-ts.mjs FILE.ts ARGS…`) or imported (runTypeScript).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const importMetaUrlPerFile = {
  name: 'import-meta-url-per-file',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: source.replace(/\bimport\.meta\.url\b/g, url), loader: 'ts' };
    });
  },
};

export async function runTypeScript(entry, args) {
  const result = await build({
    entryPoints: [resolve(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'warning',
    plugins: [importMetaUrlPerFile],
  });
  const dir = join(root, 'node_modules/.cache/novastation-run-ts');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `script-${process.pid}-${Date.now()}.mjs`);
  writeFileSync(file, result.outputFiles[0].contents);
  let main;
  try {
    ({ main } = await import(pathToFileURL(file).href));
  } finally {
    rmSync(file, { force: true });
  }
  return main(args);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [entry, ...args] = process.argv.slice(2);
  if (!entry) {
    console.error('usage: node scripts/run-ts.mjs FILE.ts [ARGS…]');
    process.exit(5);
  }
  process.exitCode = await runTypeScript(entry, args);
}
