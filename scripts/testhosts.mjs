#!/usr/bin/env node
// Test-host harness CLI (see test/harness/README.md): `node scripts/testhosts.mjs up 3`.
// Runs in this process (the CLI re-spawns this file as its detached `serve` owner).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTypeScript } from './run-ts.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.exitCode = await runTypeScript(join(root, 'test/harness/cli.ts'), process.argv.slice(2));
