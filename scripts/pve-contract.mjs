#!/usr/bin/env node
// `npm run pve-contract`: regenerates the Proxmox VE API contract of the simulator
// (test/pve-sim/contract/pve-api.json, README.md there) from the upstream schema beside the
// repository. Runs the TypeScript sources through run-ts.mjs (esbuild), like `npm run pve-sim`.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTypeScript } from './run-ts.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.exitCode = await runTypeScript(join(root, 'test/pve-sim/contract/cli.ts'), process.argv.slice(2));
