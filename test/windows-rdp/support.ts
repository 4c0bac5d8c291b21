/**
 * The windows-rdp role against pve-sim's scripted Windows guest (test/pve-sim/state/windows.ts),
 * through the real CLI: two running Windows VMs (a dev VM and the GPU VM) made through the API
 * with a disk that boots Windows, an inventory with site users whose passwords come from the
 * environment (`!env`, as Secrets), and a playbook with the role alone.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli, type CliRun } from '../support/cli.js';
import { simClient } from '../pve-sim/client.js';
import { startPveSim, type PveSim } from '../pve-sim/index.js';
import { seedWindows, type WindowsModel } from '../pve-sim/state/windows.js';

export const PASSWORDS = {
  ALICE_PW: 'Alice-Corr3ct-Horse-42',
  BRUNO_PW: 'Brun0-Staple-Battery-7',
  DANA_PW: 'Dana-Former-Pa55word-9',
};
export const DEV = { name: 'vm-win-01', vmid: 2003 };
export const GPU = { name: 'vm-gpu-01', vmid: 3001 };

export interface WinSite {
  sim: PveSim;
  inventory: string;
  run(args?: string[]): Promise<CliRun>;
  writeInventory(tweak?: (inv: any) => void): void;
  win(vmid: number): WindowsModel;
  /** Scripts decoded by the guest since `from` (index into the VM's log). */
  scripts(vmid: number, from?: number): string[];
  close(): Promise<void>;
}

export function baseInventory(sim: PveSim): any {
  return {
    all: {
      vars: {
        site_users: {
          alice: { full_name: 'Alice Lindqvist', password: '__ALICE_PW__', sudo: true, vms: ['windows_vms'] },
          bruno: { full_name: 'Bruno Costa', password: '__BRUNO_PW__', vms: [DEV.name] },
          dana: { full_name: 'Dana Former', password: '__DANA_PW__', vms: [DEV.name], state: 'disabled' },
          chen: { full_name: 'Chen Wei', sso: true, vms: [DEV.name] }, // no password: no Windows account
        },
        site_gateway_addresses: ['192.168.10.5'],
        site_admin_networks: ['192.168.1.0/24'],
      },
      children: {
        proxmox: {
          hosts: {
            pve1: {
              ansible_host: '127.0.0.1',
              pve_api_url: sim.url,
              pve_token_id: sim.token.id,
              pve_token_secret: '__PVE_TOKEN__',
              pve_fingerprint: sim.fingerprint,
              pve_node: 'pve1',
            },
          },
        },
        windows_vms: {
          vars: { pve_host: 'pve1', ansible_shell_type: 'powershell', win_agent_timeout_s: 20 },
          hosts: {
            [DEV.name]: { vm_id: DEV.vmid },
            [GPU.name]: { vm_id: GPU.vmid, gpu_mapping: 'rtx3090' },
          },
        },
      },
    },
  };
}

async function windowsVm(sim: PveSim, vmid: number, name: string, extra: Record<string, string> = {}) {
  const c = simClient(sim);
  const call = async (method: string, path: string, params: Record<string, string | number> = {}) => {
    const r = await c.call(method, path, params);
    if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${r.statusText}`);
    if (typeof r.body.data === 'string' && r.body.data.startsWith('UPID:'))
      await c.waitTask('pve1', r.body.data);
  };
  await call('POST', '/nodes/pve1/qemu', {
    vmid,
    name,
    ostype: 'win11',
    memory: 8192,
    agent: 'enabled=1',
    scsihw: 'virtio-scsi-single',
    scsi0: 'local-lvm:64',
    net0: 'virtio,bridge=vmbr0',
    ...extra,
  });
  // Its disk holds an installed Windows (what a clone of the Windows template boots).
  const disk = sim.state.vms.get(vmid)!.config.scsi0!.split(',')[0]!;
  sim.state.volumes.get(disk)!.os = 'windows';
  await call('POST', `/nodes/pve1/qemu/${vmid}/status/start`);
  await c.close();
}

/** The GPU VM's guest sees the passed-through RTX 3090 with NVIDIA's driver. */
function withGpuDriver(sim: PveSim, vmid: number) {
  const vm = sim.state.vms.get(vmid)!;
  vm.windows = seedWindows(vm, Date.now());
  vm.windows.video.unshift({
    name: 'NVIDIA GeForce RTX 3090',
    driverVersion: '32.0.15.6094',
    pnp: 'PCI\\VEN_10DE&DEV_2204&SUBSYS_00000000&REV_A1\\3&1',
  });
}

export async function startWinSite(): Promise<WinSite> {
  const sim = await startPveSim({ taskMs: 10, bootMs: 30 });
  await windowsVm(sim, DEV.vmid, DEV.name);
  await windowsVm(sim, GPU.vmid, GPU.name);
  withGpuDriver(sim, GPU.vmid);
  const dir = mkdtempSync(join(tmpdir(), 'ns-win-'));
  const inventory = join(dir, 'hosts.yml');
  const env = { PVE_TOKEN: sim.token.secret, ...PASSWORDS };
  const site: WinSite = {
    sim,
    inventory,
    writeInventory(tweak = () => {}) {
      const inv = baseInventory(sim);
      tweak(inv);
      const text = stringify(inv).replace(/'?__([A-Z_]+)__'?/g, (_m, name: string) =>
        name === 'PVE_TOKEN' ? '!env PVE_TOKEN' : `!env ${name}`,
      );
      writeFileSync(inventory, text);
    },
    run: (args = []) =>
      runCli(['test/fixtures/windows-rdp/playbook.ts', '-i', inventory, '--json', ...args], {
        env,
        timeoutMs: 90_000,
      }),
    win: (vmid) => {
      const w = sim.state.vms.get(vmid)!.windows;
      if (!w) throw new Error(`VM ${vmid}: no command has reached its Windows yet`);
      return w;
    },
    scripts: (vmid, from = 0) =>
      (sim.state.vms.get(vmid)!.windows?.log ?? []).slice(from).map((l) => l.script),
    close: () => sim.close(),
  };
  site.writeInventory();
  return site;
}

export function summary(run: CliRun): string {
  const bad = run.events
    .filter((e) => e.type === 'task' && e.status === 'failed')
    .map((e) => `${e.host} ${e.task}: ${e.error}`);
  return `exit ${run.code}\n${bad.join('\n')}\n${run.stderr.slice(-3000)}`;
}

/** `host: change` lines of every changed task, sorted. */
export function changeLines(run: CliRun): string[] {
  return run.events
    .filter((e) => e.type === 'task' && e.status === 'changed')
    .flatMap((e) => (e.changes ?? []).map((c: string) => `${e.host}: ${c}`))
    .sort();
}
