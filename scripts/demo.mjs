#!/usr/bin/env node
// `npm run demo`: site.ts end to end on the example inventory, against the Proxmox and Guacamole
// simulators and, as root with the test-host tools, real Debian 12 test hosts; it ends with an RDP
// login to a dev VM's desktop. The demo itself is test/demo/main.ts (it reuses the test harness,
// the simulators and the RDP client), run here through esbuild like the harness CLI.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTypeScript } from './run-ts.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Exit when done: nothing the demo started (simulators, hosts, clients) outlives it.
process.exit(await runTypeScript(join(root, 'test/demo/main.ts'), process.argv.slice(2)));
