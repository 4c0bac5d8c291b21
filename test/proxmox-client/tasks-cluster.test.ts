/**
 * Task waiting and the cluster helpers, against a scripted server: the exact status sequences
 * (400 before the task is visible, running, stopped with OK / WARNINGS / an error) and cluster
 * listings (duplicate names, offline nodes, taken VMIDs) that are awkward to provoke in a
 * simulator. The simulator tests (sim.test.ts) run the same helpers against modelled Proxmox.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  allocateVmid,
  connectProxmox,
  findGuest,
  pickNode,
  ProxmoxTaskError,
  ProxmoxTaskTimeoutError,
  type ProxmoxClient,
} from '../../lib/proxmox/index.js';
import { Secret } from '../../lib/secret.js';
import {
  answer,
  makeCerts,
  startFakeServer,
  type CertSet,
  type FakeServer,
  type Handler,
} from './support.js';

const UPID = 'UPID:pve2:0000A1B2:0012D687:66F0A1B2:qmclone:9000:novastation@pve!site:';
let certs: CertSet;
let server: FakeServer | undefined;
let client: ProxmoxClient | undefined;

beforeAll(() => {
  certs = makeCerts();
});
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});
afterAll(() => certs?.cleanup());

async function connect(handler: Handler, taskTimeoutMs = 5000): Promise<ProxmoxClient> {
  server = await startFakeServer(certs.selfSigned, handler);
  client = connectProxmox(
    {
      url: server.url,
      fingerprint: certs.selfSigned.fingerprint,
      tokenId: 'novastation@pve!site',
      tokenSecret: new Secret('1e0c4b7a-9d3f-4a2b-8c6e-0f5d7b9a1c3e'),
    },
    { taskTimeoutMs, retry: { baseMs: 1, maxDelayMs: 5 } },
  );
  return client;
}

/** A task status endpoint that answers from a script, one entry per poll (the last repeats). */
function taskScript(steps: Array<'missing' | 'running' | string>, log: string[] = []): Handler {
  let poll = 0;
  return (req, res) => {
    if (req.path.endsWith('/log'))
      return answer(res, 200, { data: log.map((t, i) => ({ n: i + 1, t })), total: log.length });
    const step = steps[Math.min(poll++, steps.length - 1)]!;
    if (step === 'missing')
      return answer(
        res,
        400,
        { data: null, errors: { upid: 'unable to parse worker upid' } },
        'Parameter verification failed.',
      );
    return answer(res, 200, {
      data:
        step === 'running'
          ? { status: 'running', upid: UPID }
          : { status: 'stopped', exitstatus: step, upid: UPID },
    });
  };
}

describe('waitForTask', () => {
  it("polls the node from the UPID, with the UPID encoded, through 'not visible yet' 400s until OK", async () => {
    const pve = await connect(taskScript(['missing', 'missing', 'running', 'running', 'OK']));
    expect(await pve.waitForTask(UPID)).toEqual({ upid: UPID, exitstatus: 'OK' });
    const paths = server!.received.map((r) => r.path);
    expect(new Set(paths)).toEqual(
      new Set([`/api2/json/nodes/pve2/tasks/${encodeURIComponent(UPID)}/status`]),
    );
    expect(paths).toHaveLength(5);
  });

  it('counts WARNINGS: n as success', async () => {
    const pve = await connect(taskScript(['WARNINGS: 1']));
    expect((await pve.waitForTask(UPID)).exitstatus).toBe('WARNINGS: 1');
  });

  it('throws ProxmoxTaskError with the exit status and the log on failure', async () => {
    const log = [
      'create full clone of drive scsi0 (local-lvm:base-9000-disk-0)',
      "TASK ERROR: can't lock file '/var/lock/pve-manager/pve-storage-local-lvm' - got timeout",
    ];
    const pve = await connect(
      taskScript(
        ['running', "can't lock file '/var/lock/pve-manager/pve-storage-local-lvm' - got timeout"],
        log,
      ),
    );
    const error = (await pve.waitForTask(UPID).catch((e: unknown) => e)) as ProxmoxTaskError;
    expect(error).toBeInstanceOf(ProxmoxTaskError);
    expect(error.upid).toBe(UPID);
    expect(error.exitstatus).toMatch(/got timeout/);
    expect(error.log).toEqual(log);
    expect(error.message).toContain(`task ${UPID} failed: can't lock file`);
    expect(error.message).toContain('  TASK ERROR:');
    const logRequest = server!.received.find((r) => r.path.endsWith('/log'))!;
    expect(logRequest.query.get('limit')).toBe('10000');
  });

  it('times out naming the UPID and how long it waited', async () => {
    const pve = await connect(taskScript(['running']), 300);
    const started = Date.now();
    const error = (await pve.waitForTask(UPID).catch((e: unknown) => e)) as ProxmoxTaskTimeoutError;
    expect(error).toBeInstanceOf(ProxmoxTaskTimeoutError);
    expect(error.message).toMatch(
      new RegExp(`task ${UPID.replace(/[!]/g, '\\$&')} still running after waiting 0\\.[345] s`),
    );
    expect(Date.now() - started).toBeLessThan(1500);
    // polling starts fast (100 ms, then 200…) rather than once a second
    expect(server!.received.length).toBeGreaterThanOrEqual(2);
  });

  it('does not take a 400 after the task was seen as "not visible yet"', async () => {
    const pve = await connect(taskScript(['running', 'missing']));
    await expect(pve.waitForTask(UPID)).rejects.toMatchObject({ status: 400 });
  });

  it('refuses what is not a UPID before sending anything', async () => {
    const pve = await connect(taskScript(['OK']));
    await expect(pve.waitForTask('null')).rejects.toThrow(/not a Proxmox task id/);
    expect(server!.received).toHaveLength(0);
  });
});

const guests = [
  {
    id: 'qemu/9000',
    type: 'qemu',
    vmid: 9000,
    name: 'tpl-ubuntu-2204',
    node: 'pve1',
    status: 'stopped',
    template: 1,
  },
  {
    id: 'qemu/2001',
    type: 'qemu',
    vmid: 2001,
    name: 'vm-dev-01',
    node: 'pve2',
    status: 'running',
    template: 0,
    lock: 'backup',
  },
  { id: 'lxc/300', type: 'lxc', vmid: 300, name: 'dup', node: 'pve1', status: 'running', template: 0 },
  { id: 'qemu/301', type: 'qemu', vmid: 301, name: 'dup', node: 'pve2', status: 'stopped', template: 0 },
];
const nodes = [
  {
    id: 'node/pve1',
    type: 'node',
    node: 'pve1',
    status: 'online',
    cpu: 0.5,
    maxcpu: 16,
    mem: 60,
    maxmem: 100,
  },
  {
    id: 'node/pve2',
    type: 'node',
    node: 'pve2',
    status: 'online',
    cpu: 0.1,
    maxcpu: 16,
    mem: 20,
    maxmem: 100,
  },
  { id: 'node/pve3', type: 'node', node: 'pve3', status: 'offline' },
];
const cluster: Handler = (req, res) => {
  if (req.path === '/api2/json/cluster/resources')
    return answer(res, 200, { data: req.query.get('type') === 'node' ? nodes : guests });
  if (req.path === '/api2/json/cluster/nextid') {
    const vmid = req.query.get('vmid');
    if (vmid && [9000, 2001, 300, 301, 2002].includes(Number(vmid)))
      return answer(
        res,
        400,
        { data: null, errors: { vmid: `VM ${vmid} already exists` } },
        'Parameter verification failed.',
      );
    return answer(res, 200, { data: vmid ?? '100' });
  }
  return answer(res, 501, { data: null }, 'Method not implemented');
};

describe('cluster helpers', () => {
  it('finds a guest by vmid or by name, cluster-wide', async () => {
    const pve = await connect(cluster);
    expect(await findGuest(pve, { vmid: 2001 })).toEqual({
      vmid: 2001,
      name: 'vm-dev-01',
      node: 'pve2',
      status: 'running',
      template: false,
      lock: 'backup',
      type: 'qemu',
    });
    expect(await findGuest(pve, { name: 'tpl-ubuntu-2204' })).toMatchObject({ vmid: 9000, template: true });
    expect(await findGuest(pve, { name: 'vm-dev-09' })).toBeUndefined();
    expect(server!.received[0]!.query.get('type')).toBe('vm');
  });

  it('refuses to guess between two guests with the same name', async () => {
    const pve = await connect(cluster);
    await expect(findGuest(pve, { name: 'dup' })).rejects.toThrow(
      /more than one Proxmox guest is named "dup" \(VMIDs 300 on pve1, 301 on pve2\)/,
    );
  });

  it('picks the preferred node if online, else the least loaded online one', async () => {
    const pve = await connect(cluster);
    expect(await pickNode(pve, 'pve1')).toBe('pve1');
    expect(await pickNode(pve)).toBe('pve2');
    expect(await pickNode(pve, 'pve3')).toBe('pve2');
    await expect(pickNode(pve, 'pve9')).rejects.toThrow(
      /"pve9" is not in the cluster \(nodes: pve1, pve2, pve3\)/,
    );
  });

  it('allocates nextid, a preferred VMID if free, or the lowest free one above min', async () => {
    const pve = await connect(cluster);
    expect(await allocateVmid(pve)).toBe(100);
    expect(await allocateVmid(pve, { preferred: 2003 })).toBe(2003);
    await expect(allocateVmid(pve, { preferred: 2001 })).rejects.toThrow(
      /VMID 2001 is already used by "vm-dev-01" on pve2/,
    );
    // 2001 is in the listing; 2002 is not, but nextid says it is taken (created meanwhile): skip both.
    expect(await allocateVmid(pve, { min: 2001 })).toBe(2003);
  });
});
