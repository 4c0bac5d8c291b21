/**
 * The front end over real HTTPS: token and ticket auth (CSRF, 2 h expiry), PVE's status codes,
 * reason phrases and bodies, `allowtoken`, and that rejections land in `sim.violations`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simClient } from './client.js';
import { startPveSim, type PveSim } from './index.js';

let sim: PveSim;
let c: ReturnType<typeof simClient>;

beforeAll(async () => {
  sim = await startPveSim({ taskMs: 10, authFailureDelayMs: 150 });
  c = simClient(sim);
});
afterAll(async () => {
  await c.close();
  await sim.close();
});

describe('responses', () => {
  it('answers with PVE content type and {data}', async () => {
    const r = await c.call('GET', '/version');
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('application/json;charset=UTF-8');
    expect(r.body.data.version).toBe('9.1.3');
  });

  it('fingerprint is the SHA-256 of the served certificate, AA:BB:… upper-case', () => {
    expect(sim.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(sim.caPem).toContain('BEGIN CERTIFICATE');
  });

  it('400 "Parameter verification failed." with errors, and records the violation', async () => {
    const before = sim.violations.length;
    const r = await c.call('POST', '/nodes/pve1/qemu', { vmid: 100, net0: 'virtio,brige=vmbr0' });
    expect(r.status).toBe(400);
    expect(r.statusText).toBe('Parameter verification failed.');
    expect(r.body).toEqual({
      data: null,
      errors: { net0: 'invalid format - invalid key in comma-separated list property: brige\n' },
      message: 'Parameter verification failed.\n',
    });
    expect(sim.violations.length).toBe(before + 1);
    expect(sim.violations.at(-1)).toMatchObject({
      kind: 'params',
      status: 400,
      method: 'POST',
      path: '/nodes/pve1/qemu',
    });
    expect(sim.state.vms.has(100)).toBe(false);
  });

  it('501 for an unknown path or method', async () => {
    const p = await c.call('POST', '/nodes/pve1/qemu/clone');
    expect(p.status).toBe(501);
    expect(p.statusText).toBe("Method 'POST /nodes/pve1/qemu/clone' not implemented");
    const u = await c.call('GET', '/nodes/pve1/frobnicate');
    expect(u.status).toBe(501);
    const m = await c.call('DELETE', '/cluster/nextid');
    expect(m.status).toBe(501);
    // '/nodes/pve1/qemu/clone' is the path /nodes/{node}/qemu/{vmid}, which has no POST.
    expect(sim.violations.slice(-3).map((v) => v.kind)).toEqual(['method', 'path', 'method']);
  });

  it('501 "not implemented by pve-sim" for what PVE has but the contract does not describe, listed as unhandled', async () => {
    const before = sim.violations.length;
    const r = await c.call('POST', '/nodes/pve1/qemu/100/snapshot', { snapname: 'before' });
    expect(r.status).toBe(501);
    expect(r.statusText).toBe("Method 'POST /nodes/pve1/qemu/100/snapshot' not implemented by pve-sim");
    expect(sim.unhandled.at(-1)).toEqual({ method: 'POST', template: '/nodes/{node}/qemu/{vmid}/snapshot' });
    expect(sim.violations.length, 'not a request PVE would refuse').toBe(before);
  });

  it('500 with the message as reason phrase and in the body for handler errors', async () => {
    const r = await c.call('GET', '/nodes/pve1/qemu/4242/config');
    expect(r.status).toBe(500);
    expect(r.statusText).toBe("Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist");
    expect(r.body).toEqual({
      data: null,
      message: "Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist\n",
    });
  });

  it('accepts JSON bodies as well as forms', async () => {
    const r = await c.call(
      'POST',
      '/cluster/mapping/pci',
      { id: 'jsonmap', map: ['node=pve1,path=0000:01:00,id=10de:2204'] },
      { json: true },
    );
    expect(r.status).toBe(200);
    expect(sim.state.mappings.get('jsonmap')?.map).toEqual(['node=pve1,path=0000:01:00,id=10de:2204']);
  });
});

describe('API token', () => {
  it('401 without credentials, delayed like PVE (configurable)', async () => {
    const t0 = Date.now();
    const r = await c.call('GET', '/version', {}, { auth: 'none' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(r.status).toBe(401);
    expect(r.statusText).toBe('No ticket');
    expect(r.body).toBeUndefined();
  });

  it('401 for a wrong secret', async () => {
    const r = await c.call(
      'GET',
      '/version',
      {},
      {
        auth: 'none',
        headers: { Authorization: `PVEAPIToken=${sim.token.id}=00000000-0000-0000-0000-000000000000` },
      },
    );
    expect(r.status).toBe(401);
  });

  it('403 on an endpoint without allowtoken, recorded as a violation', async () => {
    const r = await c.call('POST', '/access/ticket', { username: 'root@pam', password: sim.root.password });
    expect(r.status).toBe(403);
    expect(r.statusText).toBe(
      "Permission check failed (URI '/access/ticket' not available with API token, need proper ticket.",
    );
    expect(sim.violations.at(-1)?.kind).toBe('allowtoken');
  });

  it('needs no CSRF token for writes', async () => {
    const r = await c.call('POST', '/cluster/mapping/pci', {
      id: 'tokenmap',
      map: 'node=pve1,path=0000:01:00,id=10de:2204',
    });
    expect(r.status).toBe(200);
  });

  it('403 when the token lacks a privilege; the denial names it', async () => {
    sim.tokenPrivileges = new Set(['Sys.Audit', 'VM.Audit']);
    try {
      const r = await c.call('POST', '/cluster/mapping/pci', {
        id: 'denied',
        map: 'node=pve1,path=0000:01:00,id=10de:2204',
      });
      expect(r.status).toBe(403);
      expect(r.statusText).toBe('Permission check failed (/mapping/pci, Mapping.Modify)');
      expect(sim.permissionDenials.at(-1)?.detail).toBe('/mapping/pci, Mapping.Modify');
    } finally {
      sim.tokenPrivileges = undefined;
    }
  });
});

describe('ticket', () => {
  const login = async () => {
    const r = await c.call(
      'POST',
      '/access/ticket',
      { username: 'root@pam', password: sim.root.password },
      { auth: 'none' },
    );
    expect(r.status).toBe(200);
    return r.body.data as { ticket: string; CSRFPreventionToken: string; username: string };
  };

  it('rejects a wrong password with 401', async () => {
    const r = await c.call(
      'POST',
      '/access/ticket',
      { username: 'root@pam', password: 'wrong' },
      { auth: 'none' },
    );
    expect(r.status).toBe(401);
    expect(r.statusText).toBe('authentication failure');
  });

  it('reads with the cookie; writes need the CSRF token', async () => {
    const t = await login();
    expect(t.username).toBe('root@pam');
    expect((await c.call('GET', '/nodes', {}, { auth: { ticket: t.ticket } })).status).toBe(200);
    const noCsrf = await c.call(
      'POST',
      '/cluster/mapping/pci',
      { id: 'nocsrf', map: 'node=pve1,path=0000:01:00,id=10de:2204' },
      { auth: { ticket: t.ticket } },
    );
    expect(noCsrf.status).toBe(401);
    expect(noCsrf.statusText).toBe('Permission denied - invalid csrf token');
    expect(sim.state.mappings.has('nocsrf')).toBe(false);
    const ok = await c.call(
      'POST',
      '/cluster/mapping/pci',
      { id: 'withcsrf', map: 'node=pve1,path=0000:01:00,id=10de:2204' },
      { auth: { ticket: t.ticket, csrf: t.CSRFPreventionToken } },
    );
    expect(ok.status).toBe(200);
  });

  it('expires after 2 hours; renewal with the ticket as password works before that', async () => {
    const t = await login();
    sim.advanceClock(110 * 60 * 1000);
    const renewed = await c.call(
      'POST',
      '/access/ticket',
      { username: 'root@pam', password: t.ticket },
      { auth: 'none' },
    );
    expect(renewed.status).toBe(200);
    sim.advanceClock(11 * 60 * 1000);
    const old = await c.call('GET', '/nodes', {}, { auth: { ticket: t.ticket } });
    expect(old.status).toBe(401);
    expect(old.statusText).toBe('invalid PVE ticket');
    expect((await c.call('GET', '/nodes', {}, { auth: { ticket: renewed.body.data.ticket } })).status).toBe(
      200,
    );
  });

  it('root@pam may set a raw hostpci device; a token may not', async () => {
    const t = await login();
    const root = { auth: { ticket: t.ticket, csrf: t.CSRFPreventionToken } };
    const create = await c.call(
      'POST',
      '/nodes/pve1/qemu',
      { vmid: 700, hostpci0: '0000:01:00,pcie=1', machine: 'q35' },
      root,
    );
    expect(create.status).toBe(200);
    await c.waitTask('pve1', create.body.data);
    const token = await c.call('PUT', '/nodes/pve1/qemu/700/config', { hostpci1: '0000:01:00.1' });
    expect(token.status).toBe(500);
    expect(token.statusText).toBe("only root can set 'hostpci1' config for non-mapped devices");
    const mapped = await c.call('PUT', '/nodes/pve1/qemu/700/config', {
      hostpci1: 'mapping=tokenmap,pcie=1',
    });
    expect(mapped.status).toBe(200);
  });
});
