#!/usr/bin/env node
// `npm run demo`: the site playbook end to end on a built-in demo.
// As root with the test-host tools: boots three real Debian 12 hosts (test/harness), runs the
// site on them with --diff, runs it again to show that nothing changes, then tears them down.
// Otherwise: runs the site on this machine (localhost) in check mode, which changes nothing.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const playbook = join(root, 'node_modules', '.bin', 'playbook');
const DEMO_VARS = { site_name: 'NovaStation demo', banner: 'NovaStation demo host. Authorised users only.' };

function onPath(tool) {
  return (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']).some((d) => {
    try { accessSync(join(d, tool), constants.X_OK); return true; } catch { return false; }
  });
}

function step(title, command, args) {
  console.log(`\n$ ${[command, ...args].map((a) => a.replace(root + '/', '')).join(' ')}    # ${title}`);
  const r = spawnSync(command, args, { stdio: 'inherit', cwd: root });
  if (r.status !== 0) throw Object.assign(new Error(`${title} failed (exit ${r.status})`), { code: r.status });
}

const canBootHosts = process.getuid?.() === 0 && ['debootstrap', 'systemd-nspawn', 'nft', 'ip'].every(onPath);
const dir = mkdtempSync(join(tmpdir(), 'novastation-demo-'));
let exitCode = 0;
try {
  if (canBootHosts) {
    const testhosts = join(root, 'scripts', 'testhosts.mjs');
    step('boot 3 Debian 12 test hosts', 'node', [testhosts, 'up', '3', '--prefix', 'demo']);
    try {
      const state = JSON.parse(readFileSync('/run/novastation-testhosts/cli/cli.json', 'utf8'));
      const hosts = parse(readFileSync(state.inventoryFile, 'utf8')).all.hosts;
      const inventory = join(dir, 'site.yml');
      writeFileSync(inventory, stringify({ all: { vars: DEMO_VARS, children: { linux: { hosts } } } }));
      const common = ['site.ts', '-i', inventory, '--known-hosts', state.knownHostsFile];
      step('first run: everything changes', playbook, [...common, '--diff']);
      step('second run: nothing changes', playbook, common);
      step('check mode after a rerun: still nothing to change', playbook, [...common, '--check']);
    } finally {
      step('tear the test hosts down', 'node', [testhosts, 'down']);
    }
  } else {
    console.log('Not root, or the test-host tools are missing: running the site on localhost in check mode (changes nothing).');
    const inventory = join(dir, 'localhost.yml');
    writeFileSync(inventory, stringify({ all: { vars: DEMO_VARS, children: { linux: { hosts: { localhost: { ansible_connection: 'local' } } } } } }));
    step('check mode on localhost', playbook, ['site.ts', '-i', inventory, '--check', '--diff']);
  }
} catch (error) {
  console.error(`demo: ${error.message}`);
  exitCode = error.code ?? 1;
}
process.exit(exitCode);
