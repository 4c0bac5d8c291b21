/**
 * The Proxmox part of the site against the simulator, through the real CLI: a temp inventory
 * like inventory/site.yml whose pve1 points at the simulator's URL, pins its certificate's
 * fingerprint and authenticates with its API token (the secret through `!env`, as a user would
 * keep it out of the file), and `site.ts` run with --json.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli, type CliRun } from '../support/cli.js';
import { startPveSim, type PveSim, type PveSimOptions, type RecordedRequest } from '../pve-sim/index.js';
import { addSnippet } from '../pve-sim/state/cloud-init.js';
import { decodeCommand } from '../pve-sim/state/windows.js';
import { GUEST_AGENT_SNIPPET } from '../../roles/proxmox-host/snippets.js';

export const VM_NAMES = [
  'tpl-ubuntu-2204',
  'tpl-win11',
  'vm-dev-01',
  'vm-dev-02',
  'vm-dev-03',
  'vm-dev-04',
  'vm-gpu-01',
];
export const WIN_PASSWORD = 'Corr3ct-Horse-Battery';
export const KEYS = ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGtestkeyonlyfortheproxmoxsuite dev@studio'];

/** Small task durations so a whole site converges in seconds. */
/** site.ts's roles that work through the Proxmox API (and its guest agent), not over SSH. */
export const API_ROLES = 'vm-template,dev-vm,gpu-vm,windows-rdp';

export const FAST: PveSimOptions = { taskMs: 10, windowsInstallMs: 400, bootMs: 20 };

/** The inventory: one Proxmox host and the seven VMs of inventory/site.yml. */
export function inventoryFor(sim: PveSim, tweak: (inv: any) => void = () => {}): object {
  const inv: any = {
    all: {
      // The site's addresses: the windows-rdp play scopes RDP to them (no users: none to make).
      vars: { site_gateway_addresses: ['192.168.10.5'], site_admin_networks: ['192.168.1.0/24'] },
      children: {
        proxmox: {
          hosts: {
            pve1: {
              ansible_host: '127.0.0.1',
              pve_api_url: sim.url,
              pve_token_id: sim.token.id,
              pve_token_secret: '__ENV_TOKEN__',
              pve_fingerprint: sim.fingerprint,
              pve_node: 'pve1',
              pve_vm_storage: 'local-lvm',
              pve_iso_storage: 'local',
              pve_import_storage: 'local',
              pve_bridge: 'vmbr0',
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
                'tpl-win11': {
                  vm_os: 'windows',
                  vm_id: 9001,
                  vm_disk_gb: 64,
                  win_admin_password: '__ENV_WIN__',
                  // The sim's boot prompt shows at once and waits 5 s: two presses answer it.
                  win_boot_keys_s: 2,
                },
              },
            },
            dev_vms: {
              vars: {
                vm_template: 'tpl-ubuntu-2204',
                vm_cores: 4,
                vm_memory: 8192,
                vm_disk_gb: 64,
                ci_user: 'dev',
                ci_ssh_keys: KEYS,
                vm_ip: 'dhcp',
              },
              hosts: {
                // VMIDs allocated for two of them: found again by name on every run.
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
                  vm_cores: 8,
                  vm_memory: 32768,
                  vm_disk_gb: 128,
                  gpu_mapping: 'rtx3090',
                  gpu_device: '10de:2204',
                },
              },
            },
          },
        },
        windows_vms: { hosts: { 'vm-dev-03': {}, 'vm-dev-04': {}, 'vm-gpu-01': {} } },
      },
    },
  };
  tweak(inv);
  return inv;
}

export interface Site {
  sim: PveSim;
  dir: string;
  inventory: string;
  env: NodeJS.ProcessEnv;
  /** `playbook site.ts -i <inventory> --json …` */
  run(args?: string[], options?: { env?: NodeJS.ProcessEnv }): Promise<CliRun>;
  writeInventory(tweak?: (inv: any) => void): void;
  /**
   * Requests that may change state (POST/PUT/DELETE) since `from`. The guest agent's ping and
   * windows-rdp's read script are POSTs by the API's design but change nothing: left out.
   */
  writes(from?: number): RecordedRequest[];
  close(): Promise<void>;
}

/** What the proxmox-host role writes over SSH (the API cannot): the guest-agent vendor snippet. */
export const AGENT_SNIPPET = 'local:snippets/novastation-guest-agent.yaml';

export async function startSite(options: PveSimOptions = FAST): Promise<Site> {
  const sim = await startPveSim(options);
  addSnippet(sim.state, 'local', 'novastation-guest-agent.yaml', GUEST_AGENT_SNIPPET);
  const dir = mkdtempSync(join(tmpdir(), 'ns-pve-'));
  const inventory = join(dir, 'hosts.yml');
  const env = { PVE_TOKEN_SECRET: sim.token.secret, WIN_ADMIN_PASSWORD: WIN_PASSWORD };
  const site: Site = {
    sim,
    dir,
    inventory,
    env,
    writeInventory(tweak) {
      // `!env` is a YAML tag: placed as text after stringify.
      const text = stringify(inventoryFor(sim, tweak))
        .replace(/'?__ENV_TOKEN__'?/, '!env PVE_TOKEN_SECRET')
        .replace(/'?__ENV_WIN__'?/, '!env WIN_ADMIN_PASSWORD');
      writeFileSync(inventory, text);
    },
    // The API roles only: pve1 is the simulator here, with no SSH for site.ts's proxmox-host play.
    run: (args = [], o = {}) =>
      runCli(['site.ts', '-i', inventory, '--json', '--lock-timeout', '15', '--role', API_ROLES, ...args], {
        env: { ...env, ...o.env },
        timeoutMs: 90_000,
      }),
    writes: (from = 0) => sim.requests.slice(from).filter((r) => r.method !== 'GET' && !isGuestRead(r)),
    close: () => sim.close(),
  };
  site.writeInventory();
  return site;
}

function isGuestRead(r: RecordedRequest): boolean {
  if (r.path.endsWith('/agent/ping')) return true;
  if (!r.path.endsWith('/agent/exec') || !Array.isArray(r.params.command)) return false;
  const decoded = decodeCommand(r.params.command as string[]);
  return 'name' in decoded && decoded.name === 'windows-rdp read';
}

/** Task events by status, for messages. */
export function summary(run: CliRun): string {
  const tasks = run.events.filter((e) => e.type === 'task');
  const bad = tasks.filter((e) => e.status === 'failed').map((e) => `${e.host} ${e.task}: ${e.error}`);
  return `exit ${run.code}\n${bad.join('\n')}\n${run.stderr.slice(-3000)}`;
}

export function changedTasks(run: CliRun): { host: string; task: string; changes?: string[] }[] {
  return run.events
    .filter((e) => e.type === 'task' && e.status === 'changed')
    .map((e) => ({ host: e.host, task: e.task, changes: e.changes }));
}

export function vmsByName(
  sim: PveSim,
): Map<string, { vmid: number; config: Record<string, string>; status: string }[]> {
  const out = new Map<string, { vmid: number; config: Record<string, string>; status: string }[]>();
  for (const vm of sim.state.vms.values()) {
    const name = vm.config.name ?? '';
    out.set(name, [
      ...(out.get(name) ?? []),
      { vmid: vm.vmid, config: vm.effectiveConfig(), status: vm.status },
    ]);
  }
  return out;
}

/**
 * Starts the CLI and SIGKILLs it the moment the simulator receives the first request matching
 * `when` (from the simulator's request hook, before it answers): as if the controller died just
 * after sending that request. Resolves once the process is gone, with what it printed.
 */
export async function runKilledAt(
  site: Site,
  when: (r: RecordedRequest) => boolean,
): Promise<{ signal: NodeJS.Signals | null; killedAt?: RecordedRequest; output: string }> {
  const { spawn } = await import('node:child_process');
  const { playbookBin, repoRoot } = await import('../support/cli.js');
  // A rerun right after a SIGKILL finds the killed run's site lock: it is taken over once 4 s
  // without a refresh show its holder is gone (lib/runner/run-lock.ts), so wait for it.
  const args = ['site.ts', '-i', site.inventory, '--json', '--lock-timeout', '15', '--role', API_ROLES];
  const child = spawn(playbookBin, args, {
    cwd: repoRoot,
    env: { ...process.env, CI: 'true', ...site.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let killedAt: RecordedRequest | undefined;
  let armed = true;
  site.sim.onRequest((r) => {
    if (!armed || !when(r)) return;
    armed = false;
    killedAt = r;
    child.kill('SIGKILL');
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, sig) => resolve(sig)),
  );
  armed = false;
  return { signal, ...(killedAt ? { killedAt } : {}), output };
}
