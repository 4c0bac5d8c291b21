/**
 * `--limit` across site.ts's plays on the example inventory (inventory/site.yml and its vault,
 * unchanged, with an overlay pointing pve1's API at the Proxmox simulator): a VM's play finds
 * its Proxmox server's variables through `hostRefs` (`pve_host: pve1`) while pve1 itself is
 * outside the limit — so its proxmox-host play, which needs SSH to a real server, does not run.
 * Not covered here: the guest plays over SSH (ubuntu-dev, base; see the demo and their own tests).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST_AGENT_SNIPPET } from '../../roles/proxmox-host/snippets.js';
import { startPveSim, type PveSim } from '../pve-sim/index.js';
import { addSnippet } from '../pve-sim/state/cloud-init.js';
import { runCli, taskEvents, type CliRun } from '../support/cli.js';
import {
  copySite,
  DEMO_VAULT_PASSPHRASE,
  pveOverlay,
  PVE_TOKEN_ENV,
  type SiteCopy,
} from '../demo/site-copy.js';

let sim: PveSim;
let site: SiteCopy;
const run = (...args: string[]) =>
  runCli(['site.ts', ...site.args, '--json', ...args], {
    env: { [PVE_TOKEN_ENV]: sim.token.secret, NOVASTATION_VAULT_PASSWORD: DEMO_VAULT_PASSPHRASE },
    timeoutMs: 120_000,
  });
const hostsOf = (r: CliRun) => [...new Set(taskEvents(r).map((e) => e.host))].sort();
const changed = (r: CliRun) => taskEvents(r).filter((e) => e.status === 'changed');
const why = (r: CliRun) => `exit ${r.code}\n${r.stderr.slice(-3000)}`;

beforeAll(async () => {
  sim = await startPveSim({ taskMs: 10, windowsInstallMs: 400, bootMs: 20 });
  site = copySite('ns-site-limit-');
  site.writeOverlay({ pve1: pveOverlay(sim) });
  // What pve1's proxmox-host play writes over SSH (outside the limit here): the Ubuntu clones'
  // guest-agent snippet, without which Proxmox refuses to start them.
  addSnippet(sim.state, 'local', 'novastation-guest-agent.yaml', GUEST_AGENT_SNIPPET);
});
afterAll(async () => {
  await sim?.close();
});

describe('site.ts --limit across plays, pve1 outside the limit', () => {
  it('--limit vm_templates makes both templates through pve1’s API; pve1 has no task', async () => {
    const r = await run('--limit', 'vm_templates');
    expect(r.code, why(r)).toBe(0);
    expect(hostsOf(r)).toEqual(['tpl-ubuntu-2204', 'tpl-win11']);
    expect([...sim.state.vms.values()].map((vm) => vm.config.name).sort()).toEqual([
      'tpl-ubuntu-2204',
      'tpl-win11',
    ]);
    // The vault opened with the README's demo passphrase: the Windows template's administrator
    // password (!secret win_admin_password) went into its answer file, and nowhere into output.
    expect(r.stdout + r.stderr).not.toContain('Win-Demo-Admin-2026!');
    expect(sim.requests.every((q) => q.auth === 'token')).toBe(true);
  }, 180_000);

  it('--limit vm-dev-01: only its plays run (dev-vm, then the guest plays need SSH: --role dev-vm)', async () => {
    const check = await run('--limit', 'vm-dev-01', '--role', 'dev-vm', '--check');
    expect(check.code, why(check)).toBe(0);
    expect(hostsOf(check)).toEqual(['vm-dev-01']);
    expect(changed(check).length).toBeGreaterThan(0);
    const before = sim.state.vms.size;
    const r = await run('--limit', 'vm-dev-01', '--role', 'dev-vm');
    expect(r.code, why(r)).toBe(0);
    expect(hostsOf(r)).toEqual(['vm-dev-01']);
    const vm = [...sim.state.vms.values()].find((v) => v.config.name === 'vm-dev-01');
    expect(vm?.vmid).toBe(2001);
    expect(sim.state.vms.size).toBe(before + 1);
    const again = await run('--limit', 'vm-dev-01', '--role', 'dev-vm');
    expect(again.code, why(again)).toBe(0);
    expect(changed(again)).toEqual([]);
  }, 180_000);

  it('without its Proxmox server the VM play is refused up front (exit 4), naming pve_host', async () => {
    site.writeOverlay({ pve1: pveOverlay(sim), 'vm-dev-02': { pve_host: 'pve9' } });
    const r = await run('--limit', 'vm-dev-02', '--role', 'dev-vm', '--check');
    expect(r.code, why(r)).toBe(4);
    expect(r.stdout + r.stderr).toMatch(/pve_host|pve9/);
    site.writeOverlay({ pve1: pveOverlay(sim) });
  }, 60_000);
});
