#!/usr/bin/env node
// `npm run demo`: the site playbook end to end on a built-in demo.
// The Proxmox part runs against the Proxmox VE API simulator (test/pve-sim; Proxmox cannot run
// here): both VM templates, four development VMs and the GPU VM, through its HTTPS API with an
// API token and a pinned certificate, exactly as against a real server.
// As root with the test-host tools: also boots three real Debian 12 hosts (test/harness) for the
// baseline play, runs the site with --diff, runs it again to show that nothing changes, runs check
// mode, then tears everything down.
// Otherwise: runs the site in check mode (the simulator, and this machine as localhost), which
// changes nothing.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { $, which } from 'zx';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const playbook = join(root, 'node_modules', '.bin', 'playbook');
const DEMO_VARS = {
  site_name: 'NovaStation demo',
  banner: 'NovaStation demo host. Authorised users only.',
  // Where RDP to the Windows VMs is accepted from (windows-rdp scopes the firewall rules to these).
  site_gateway_addresses: ['192.168.10.5'],
  site_admin_networks: ['192.168.1.0/24'],
};
const DEMO_KEYS = [
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGRlbW9rZXlvbmx5Zm9ydGhlbm92YXN0YXRpb25kZW1v dev@demo',
];

/** Starts the simulator (a child process) and reads its URL, fingerprint and token from its banner. */
async function startSimulator() {
  const args = ['--port', '0', '--task-ms', '100', '--windows-install-ms', '2000'];
  const child = $({
    stdio: ['ignore', 'pipe', 'inherit'],
    nothrow: true,
  })`${process.execPath} ${join(root, 'scripts', 'pve-sim.mjs')} ${args}`;
  let banner = '';
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      banner += chunk;
      if (banner.includes('Ctrl-C stops it.')) resolve();
    });
    child.then((out) =>
      reject(new Error(`the Proxmox simulator exited (${out.exitCode}) before it was ready`)),
    );
  });
  const field = (name) => new RegExp(`^${name}:\\s+(\\S+)$`, 'm').exec(banner)?.[1] ?? '';
  const sim = {
    child,
    url: field('url'),
    fingerprint: field('fingerprint'),
    tokenId: field('token id'),
    tokenSecret: field('token secret'),
  };
  console.log(
    `Proxmox VE simulator at ${sim.url} (certificate ${sim.fingerprint.slice(0, 23)}…), API token ${sim.tokenId}`,
  );
  child.stdout.on('data', (chunk) => process.stdout.write(chunk)); // its closing line: requests and schema violations
  return sim;
}

async function stopSimulator(sim) {
  await sim.child.kill('SIGTERM');
  await sim.child;
}

/** The Proxmox part of inventory/site.yml, pointed at the simulator; secrets come from the environment (`!env`). */
function proxmoxGroups(sim) {
  return {
    proxmox: {
      hosts: {
        pve1: {
          pve_api_url: sim.url,
          pve_token_id: sim.tokenId,
          pve_token_secret: '__ENV_TOKEN__',
          pve_fingerprint: sim.fingerprint,
          pve_node: 'pve1',
          pve_windows_iso: 'Win11_24H2_English_x64.iso',
          pve_virtio_iso: 'virtio-win-0.1.262.iso',
        },
      },
    },
    proxmox_vms: {
      vars: { pve_host: 'pve1' },
      children: {
        vm_templates: {
          hosts: {
            'tpl-ubuntu-2204': { vm_os: 'ubuntu', vm_id: 9000 },
            'tpl-win11': { vm_os: 'windows', vm_id: 9001, vm_disk_gb: 64, win_admin_password: '__ENV_WIN__' },
          },
        },
        dev_vms: {
          vars: {
            vm_template: 'tpl-ubuntu-2204',
            vm_cores: 4,
            vm_memory: 8192,
            vm_disk_gb: 64,
            ci_user: 'dev',
            ci_ssh_keys: DEMO_KEYS,
            vm_ip: 'dhcp',
          },
          hosts: {
            'vm-dev-01': { vm_id: 2001 },
            'vm-dev-02': { vm_ip: '192.168.10.22/24', vm_gateway: '192.168.10.1' },
            'vm-dev-03': { vm_id: 2003, vm_template: 'tpl-win11' },
            'vm-dev-04': { vm_template: 'tpl-win11', vm_clone: 'linked', vm_power: 'stopped' },
          },
        },
        gpu_vms: {
          hosts: {
            'vm-gpu-01': {
              vm_id: 3001,
              vm_template: 'tpl-win11',
              vm_memory: 32768,
              gpu_mapping: 'rtx3090',
              gpu_device: '10de:2204',
            },
          },
        },
      },
    },
    // windows-rdp reaches them through the simulator's guest agent (a scripted Windows guest).
    windows_vms: { hosts: { 'vm-dev-03': {}, 'vm-dev-04': {}, 'vm-gpu-01': {} } },
  };
}

/** Writes the inventory; `!env` is a YAML tag, so it is placed as text after stringify. */
function writeInventory(file, linuxHosts, sim) {
  const text = stringify({
    all: { vars: DEMO_VARS, children: { linux: { hosts: linuxHosts }, ...proxmoxGroups(sim) } },
  })
    .replace(/'?__ENV_TOKEN__'?/, '!env NOVASTATION_DEMO_PVE_TOKEN')
    .replace(/'?__ENV_WIN__'?/, '!env NOVASTATION_DEMO_WIN_PASSWORD');
  writeFileSync(file, text);
}

const onPath = (tool) =>
  which.sync(tool, { nothrow: true, path: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` }) !== null;

async function step(title, command, args) {
  console.log(`\n$ ${[command, ...args].map((a) => a.replace(root + '/', '')).join(' ')}    # ${title}`);
  const r = await $({ stdio: 'inherit', cwd: root, nothrow: true })`${command} ${args}`;
  if (r.exitCode !== 0)
    throw Object.assign(new Error(`${title} failed (exit ${r.exitCode})`), { code: r.exitCode });
}

const canBootHosts = process.getuid?.() === 0 && ['debootstrap', 'systemd-nspawn', 'nft', 'ip'].every(onPath);
const dir = mkdtempSync(join(tmpdir(), 'novastation-demo-'));
let exitCode = 0;
let sim;
try {
  sim = await startSimulator();
  process.env.NOVASTATION_DEMO_PVE_TOKEN = sim.tokenSecret;
  process.env.NOVASTATION_DEMO_WIN_PASSWORD = 'Demo-Only-Passw0rd!';
  const inventory = join(dir, 'site.yml');
  if (canBootHosts) {
    const testhosts = join(root, 'scripts', 'testhosts.mjs');
    await step('boot 3 Debian 12 test hosts', 'node', [testhosts, 'up', '3', '--prefix', 'demo']);
    try {
      const state = JSON.parse(readFileSync('/run/novastation-testhosts/cli/cli.json', 'utf8'));
      writeInventory(inventory, parse(readFileSync(state.inventoryFile, 'utf8')).all.hosts, sim);
      const common = ['site.ts', '-i', inventory, '--known-hosts', state.knownHostsFile];
      await step('first run: everything changes', playbook, [...common, '--diff']);
      await step('second run: nothing changes', playbook, common);
      await step('check mode after a rerun: still nothing to change', playbook, [...common, '--check']);
    } finally {
      await step('tear the test hosts down', 'node', [testhosts, 'down']);
    }
  } else {
    console.log(
      'Not root, or the test-host tools are missing: running the site in check mode (changes nothing), with this machine as its Linux host.',
    );
    writeInventory(inventory, { localhost: { ansible_connection: 'local' } }, sim);
    await step('check mode', playbook, ['site.ts', '-i', inventory, '--check', '--diff']);
  }
} catch (error) {
  console.error(`demo: ${error.message}`);
  exitCode = error.code ?? 1;
} finally {
  if (sim) await stopSimulator(sim);
}
process.exit(exitCode);
