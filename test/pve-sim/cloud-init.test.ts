/**
 * The Ubuntu guest agent (state/cloud-init.ts): Ubuntu's cloud image has no qemu-guest-agent, so
 * an Ubuntu VM's agent answers only when cloud-init installs it — when `cicustom` references a
 * vendor (or user) snippet on a snippets storage that installs and starts it, as the one the
 * proxmox-host role writes does. A snippet that is referenced but missing fails the start, as on
 * Proxmox (cloud-init's drive is generated at start). Deterministic: `guest.agentAt` is decided
 * at boot, so no test waits for the agent.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST_AGENT_SNIPPET } from '../../roles/proxmox-host/snippets.js';
import { ok, openSim, task, ubuntuVm } from './helpers.js';
import { addSnippet } from './state/cloud-init.js';

let t: Awaited<ReturnType<typeof openSim>>;
beforeAll(async () => {
  t = await openSim({ taskMs: 10 });
  addSnippet(t.sim.state, 'local', 'novastation-guest-agent.yaml', GUEST_AGENT_SNIPPET);
  addSnippet(t.sim.state, 'local', 'hostname-only.yaml', '#cloud-config\nhostname: x\n');
});
afterAll(() => t.close());

const agentAt = (vmid: number) => t.sim.state.vm(vmid)!.guest.agentAt;

describe('the Ubuntu guest agent comes from cloud-init vendor data', () => {
  it('the snippet is storage content of type snippets', async () => {
    const rows = await ok(t.c, 'GET', '/nodes/pve1/storage/local/content', { content: 'snippets' });
    expect(rows.map((r: { volid: string }) => r.volid)).toContain(
      'local:snippets/novastation-guest-agent.yaml',
    );
  });

  it('without cicustom the cloud image boots but its agent never answers', async () => {
    await ubuntuVm(t.c, 401);
    expect((await task(t.c, 'POST', '/nodes/pve1/qemu/401/status/start')).exitstatus).toBe('OK');
    expect(t.sim.state.vm(401)!.guest.os).toBe('ubuntu');
    expect(agentAt(401)).toBeUndefined();
  });

  it('with the guest-agent snippet as vendor data the agent answers', async () => {
    await ubuntuVm(t.c, 402, { cicustom: 'vendor=local:snippets/novastation-guest-agent.yaml' });
    expect((await task(t.c, 'POST', '/nodes/pve1/qemu/402/status/start')).exitstatus).toBe('OK');
    expect(agentAt(402)).toBeTypeOf('number');
  });

  it('a snippet that does not install qemu-guest-agent gives no agent', async () => {
    await ubuntuVm(t.c, 403, { cicustom: 'vendor=local:snippets/hostname-only.yaml' });
    expect((await task(t.c, 'POST', '/nodes/pve1/qemu/403/status/start')).exitstatus).toBe('OK');
    expect(agentAt(403)).toBeUndefined();
  });

  it('a referenced snippet that does not exist fails the start', async () => {
    await ubuntuVm(t.c, 404, { cicustom: 'vendor=local:snippets/missing.yaml' });
    const s = await task(t.c, 'POST', '/nodes/pve1/qemu/404/status/start');
    expect(s.exitstatus).toBe("can't open '/var/lib/vz/snippets/missing.yaml' - No such file or directory");
    expect(t.sim.state.vm(404)!.status).toBe('stopped');
  });

  it('a snippet written into the storage’s real folder (a node’s disk, over SSH) is read at start', async () => {
    // The demo's pve1 is a test host: proxmox-host writes the snippet to its /var/lib/vz.
    const dir = mkdtempSync(join(tmpdir(), 'pve-sim-vz-'));
    try {
      t.sim.state.storageDirs.set('local', dir);
      await ubuntuVm(t.c, 405, { cicustom: 'vendor=local:snippets/on-disk.yaml' });
      const missing = await task(t.c, 'POST', '/nodes/pve1/qemu/405/status/start');
      expect(missing.exitstatus).toMatch(/can't open .*on-disk\.yaml/);
      mkdirSync(join(dir, 'snippets'));
      writeFileSync(join(dir, 'snippets', 'on-disk.yaml'), GUEST_AGENT_SNIPPET);
      expect((await task(t.c, 'POST', '/nodes/pve1/qemu/405/status/start')).exitstatus).toBe('OK');
      expect(agentAt(405)).toBeTypeOf('number');
    } finally {
      t.sim.state.storageDirs.delete('local');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
