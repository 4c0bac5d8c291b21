#!/usr/bin/env node
// Part of `npm run build`: each lib/vendor/<name>.ts's compiled output, dist/lib/vendor/<name>.js,
// becomes one esbuild bundle with the package inside (see lib/vendor/README.md).
import { readdirSync } from 'node:fs';
import { buildSync } from 'esbuild';

const src = new URL('../lib/vendor/', import.meta.url).pathname;
const out = new URL('../dist/lib/vendor/', import.meta.url).pathname;
for (const file of readdirSync(src).filter((f) => f.endsWith('.ts'))) {
  buildSync({
    entryPoints: [src + file],
    outfile: out + file.replace(/\.ts$/, '.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // ESM builds where a package has one (yaml, TypeBox); CommonJS ones (Ajv, Handlebars) may
    // require Node's built-ins, which an ES module can only do through a require of its own.
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire as __nsRequire } from 'node:module'; const require = __nsRequire(import.meta.url);",
    },
    allowOverwrite: true,
    logLevel: 'warning',
  });
}
