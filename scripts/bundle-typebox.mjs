#!/usr/bin/env node
// Part of `npm run build`: dist/lib/typebox.js becomes one file with TypeBox inside (see lib/typebox.ts).
import { buildSync } from 'esbuild';

buildSync({
  entryPoints: [new URL('../lib/typebox.ts', import.meta.url).pathname],
  outfile: new URL('../dist/lib/typebox.js', import.meta.url).pathname,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  allowOverwrite: true,
  logLevel: 'warning',
});
