#!/usr/bin/env node
// The Guacamole REST API simulator, standalone (test/guac-sim/README.md): `npm run guac-sim -- --port 8080`.
// Runs the TypeScript sources through run-ts.mjs (esbuild), like the pve-sim CLI.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTypeScript } from './run-ts.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.exitCode = await runTypeScript(join(root, 'test/guac-sim/cli.ts'), process.argv.slice(2));
