/**
 * The client against the Proxmox simulator (test/pve-sim): the same HTTPS, auth, schema checks,
 * tasks, locks and faults the roles meet. Each test gets a fresh simulator; every request the
 * client sends on its own (outside the deliberately wrong ones) must pass the schema check.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectProxmox,
  findGuest,
  ProxmoxApiError,
  ProxmoxTaskError,
  ProxmoxTaskTimeoutError,
  type ProxmoxClient,
  type ProxmoxClientOptions,
  type ProxmoxConnection,
} from '../../lib/proxmox/index.js';
import { Secret } from '../../lib/secret.js';
import { startPveSim, type PveSim, type PveSimOptions } from '../pve-sim/index.js';

let sim: PveSim | undefined;
let client: ProxmoxClient | undefined;
const lines: string[] = [];

afterEach(async () => {
  await client?.close();
  await sim?.close();
  sim = client = undefined;
  lines.length = 0;
});

/** A fresh simulator and a client for it (token auth unless `conn` gives a user). */
async function start(
  simOptions: PveSimOptions = {},
  makeConn: (sim: PveSim) => Partial<ProxmoxConnection> = () => ({}),
  options: ProxmoxClientOptions = {},
): Promise<ProxmoxClient> {
  sim = await startPveSim({ taskMs: 20, ...simOptions });
  const conn = makeConn(sim);
  const auth = conn.username ? {} : { tokenId: sim.token.id, tokenSecret: new Secret(sim.token.secret) };
  client = connectProxmox(
    { url: sim.url, fingerprint: sim.fingerprint, ...auth, ...conn },
    { retry: { baseMs: 5, maxDelayMs: 50 }, log: (l) => lines.push(l), ...options },
  );
  return client;
}

const createParams = (vmid: number) => ({
  vmid,
  name: `vm-test-${vmid}`,
  memory: '1024',
  cores: 1,
  net0: 'virtio,bridge=vmbr0',
  scsihw: 'virtio-scsi-single' as const,
  scsi0: 'local-lvm:4',
});
const creates = () =>
  sim!.requests.filter(
    (r) => r.method === 'POST' && /^\/nodes\/[^/]+\/qemu$/.test(r.path.replace(/^\/api2\/json/, '')),
  );

describe('auth and TLS against the simulator', () => {
  it('authenticates with the API token over the pinned certificate', async () => {
    const pve = await start();
    const nodes = await pve.api.nodes.$get();
    expect(nodes.map((n) => n.node)).toContain('pve1');
    expect(sim!.requests.at(-1)).toMatchObject({ method: 'GET', auth: 'token', status: 200 });
    expect(sim!.violations).toEqual([]);
  });

  it('logs in with a ticket, writes with the CSRF token, and logs in again after 1 h 45 min', async () => {
    let now = 0;
    const pve = await start(
      {},
      (s) => ({ username: s.root.username, password: new Secret(s.root.password) }),
      { clock: () => now },
    );
    const upid = await pve.api.nodes.$('pve1').qemu.$post(createParams(150));
    await pve.waitForTask(upid);
    now += 106 * 60_000;
    await pve.api.nodes.$('pve1').qemu.$(150).config.$put({ cores: 2 });
    const logins = sim!.requests.filter((r) => r.path.endsWith('/access/ticket'));
    expect(logins).toHaveLength(2);
    expect(
      sim!.requests
        .filter((r) => r.method !== 'GET' && !r.path.endsWith('/access/ticket'))
        .every((r) => r.auth === 'ticket' && r.status === 200),
    ).toBe(true);
    expect(sim!.violations).toEqual([]);
  });

  it('logs in again when Proxmox refuses an expired ticket (401), and re-sends the write once', async () => {
    const pve = await start({}, (s) => ({
      username: s.root.username,
      password: new Secret(s.root.password),
    }));
    await pve.waitForTask(await pve.api.nodes.$('pve1').qemu.$post(createParams(149)));
    sim!.advanceClock(2 * 3600_000 + 1000); // the server's clock: the ticket is now 2 h old
    await pve.api.nodes.$('pve1').qemu.$(149).config.$put({ cores: 2 });
    const puts = sim!.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.status)).toEqual([401, 200]);
    expect(sim!.requests.filter((r) => r.path.endsWith('/access/ticket'))).toHaveLength(2);
    expect(String(sim!.state.vm(149)?.config['cores'])).toBe('2');
  });

  it('refuses a wrong pin naming both fingerprints, and the self-signed certificate without a pin', async () => {
    await start();
    const wrong = 'AB:'.repeat(31) + 'AB';
    const pinned = connectProxmox({
      url: sim!.url,
      fingerprint: wrong,
      tokenId: sim!.token.id,
      tokenSecret: new Secret(sim!.token.secret),
    });
    const unpinned = connectProxmox({
      url: sim!.url,
      tokenId: sim!.token.id,
      tokenSecret: new Secret(sim!.token.secret),
    });
    try {
      const pinError = (await pinned.api.version.$get().catch((e: unknown) => e)) as ProxmoxApiError;
      expect(pinError.message).toContain(`expected ${wrong}, got ${sim!.fingerprint}`);
      const plainError = (await unpinned.api.version.$get().catch((e: unknown) => e)) as ProxmoxApiError;
      expect(plainError.message).toMatch(/not trusted/);
      expect(sim!.requests).toHaveLength(0);
    } finally {
      await Promise.all([pinned.close(), unpinned.close()]);
    }
  });

  it('trusts the certificate given as caFile', async () => {
    await start();
    const caFile = join(tmpdir(), `pve-sim-ca-${process.pid}-${sim!.port}.pem`);
    writeFileSync(caFile, sim!.caPem);
    const pve = connectProxmox({
      url: sim!.url,
      caFile,
      tokenId: sim!.token.id,
      tokenSecret: new Secret(sim!.token.secret),
    });
    try {
      expect(await pve.api.version.$get()).toHaveProperty('version');
    } finally {
      await pve.close();
    }
  });
});

describe('errors and tasks against the simulator', () => {
  it('reports a 400 with per-parameter errors, and no secret in any message', async () => {
    const pve = await start();
    const error = (await pve.api.nodes
      .$('pve1')
      .qemu.$post({ ...createParams(151), cores: 'many' as unknown as number })
      .catch((e: unknown) => e)) as ProxmoxApiError;
    expect(error).toBeInstanceOf(ProxmoxApiError);
    expect(error.status).toBe(400);
    expect(Object.keys(error.errors ?? {})).toContain('cores');
    expect(JSON.stringify({ m: error.message, lines })).not.toContain(sim!.token.secret);
    expect(sim!.violations.length).toBeGreaterThan(0); // this one was wrong on purpose
  });

  it('waits for a task to succeed', async () => {
    const pve = await start();
    const upid = await pve.api.nodes.$('pve1').qemu.$post(createParams(152));
    expect(await pve.waitForTask(upid)).toEqual({ upid, exitstatus: 'OK' });
    expect(await findGuest(pve, { vmid: 152 })).toMatchObject({ name: 'vm-test-152', node: 'pve1' });
    expect(sim!.violations).toEqual([]);
  });

  it('reports a failed task with its log', async () => {
    const pve = await start();
    sim!.faults.failTask({
      exitstatus: "can't lock file '/var/lock/pve-manager/pve-storage-local-lvm' - got timeout",
      type: 'qmcreate',
    });
    const upid = await pve.api.nodes.$('pve1').qemu.$post(createParams(153));
    const error = (await pve.waitForTask(upid).catch((e: unknown) => e)) as ProxmoxTaskError;
    expect(error).toBeInstanceOf(ProxmoxTaskError);
    expect(error.exitstatus).toMatch(/got timeout/);
    expect(error.log.join('\n')).toMatch(/got timeout/);
    expect(sim!.violations).toEqual([]);
  });

  it('gives up waiting with the UPID and the time waited', async () => {
    const pve = await start({ taskMs: 5000 });
    const upid = await pve.api.nodes.$('pve1').qemu.$post(createParams(154));
    const error = (await pve
      .waitForTask(upid, { timeoutMs: 300 })
      .catch((e: unknown) => e)) as ProxmoxTaskTimeoutError;
    expect(error).toBeInstanceOf(ProxmoxTaskTimeoutError);
    expect(error.message).toContain(upid);
    expect(error.message).toMatch(/after waiting 0\.\d s/);
  });
});

describe('retries against the simulator', () => {
  it('retries a write refused because the VM is locked, until the lock is gone', async () => {
    // Backoff 10, 20, 40, 50, 50 ms at least: the fifth attempt comes after the 150 ms lock.
    const pve = await start({}, undefined, { retry: { baseMs: 20, maxDelayMs: 100 } });
    await pve.waitForTask(await pve.api.nodes.$('pve1').qemu.$post(createParams(155)));
    await sim!.faults.lockVm(155, 150, { kind: 'config', reason: 'backup' });
    await pve.api.nodes.$('pve1').qemu.$(155).config.$put({ cores: 2 });
    const puts = sim!.requests.filter((r) => r.method === 'PUT');
    expect(puts.length).toBeGreaterThan(1);
    expect(puts.at(-1)!.status).toBe(200);
    expect(lines.some((l) => /VM 155 is locked \(backup\)/.test(l))).toBe(true);
    expect(sim!.violations).toEqual([]);
  });

  it('retries a write that timed out on the config file lock ("can\'t lock file … got timeout")', async () => {
    const pve = await start({ lockTimeoutMs: { config: 30 } }, undefined, {
      retry: { baseMs: 40, maxDelayMs: 200 },
    });
    await pve.waitForTask(await pve.api.nodes.$('pve1').qemu.$post(createParams(157)));
    await sim!.faults.lockVm(157, 200, { kind: 'flock' });
    await pve.api.nodes.$('pve1').qemu.$(157).config.$put({ memory: '2048' });
    const puts = sim!.requests.filter((r) => r.method === 'PUT');
    expect(puts.length).toBeGreaterThan(1);
    expect(puts.at(-1)!.status).toBe(200);
    expect(lines.some((l) => /can't lock file '[^']*' - got timeout/.test(l))).toBe(true);
    expect(sim!.violations).toEqual([]);
  });

  it('does not re-send a create whose answer was dropped: the simulator receives it once', async () => {
    const pve = await start();
    sim!.faults.dropConnection({ method: 'POST', path: /\/qemu$/ });
    const error = (await pve.api.nodes
      .$('pve1')
      .qemu.$post(createParams(156))
      .catch((e: unknown) => e)) as ProxmoxApiError;
    expect(error).toMatchObject({ status: 0, answerLost: true });
    expect(creates()).toHaveLength(1);
    // the state tells what happened: the VM exists (the simulator acted before dropping)
    expect(await findGuest(pve, { vmid: 156 })).toBeDefined();
  });

  it('retries a GET that got a 500', async () => {
    const pve = await start();
    sim!.faults.http500({ method: 'GET', path: '/cluster/resources' }, { message: 'proxy loop detected' });
    expect(await findGuest(pve, { name: 'nothing-here' })).toBeUndefined();
    expect(sim!.requests.filter((r) => r.path.endsWith('/cluster/resources'))).toHaveLength(2);
  });
});
