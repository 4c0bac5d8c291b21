#!/usr/bin/env node
// The Proxmox VE API simulator, standalone (test/pve-sim/README.md): `npm run pve-sim -- --port 8006`.
// Runs the TypeScript sources through run-ts.mjs (esbuild), like the test-host harness CLI.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTypeScript } from './run-ts.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.exitCode = await runTypeScript(join(root, 'test/pve-sim/cli.ts'), process.argv.slice(2));
