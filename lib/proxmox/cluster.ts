/**
 * Cluster-wide lookups, all from `GET /cluster/resources` (one request that covers every node,
 * so a VM is found wherever it lives) and `GET /cluster/nextid`.
 *
 * VMID allocation is racy by nature: `nextid` returns the lowest free id but reserves nothing
 * (bpg/terraform-provider-proxmox#1610), so two runs — or two hosts of one run — asking at the
 * same time get the same id, and one create fails with "VM N already exists". The caller must
 * therefore hold a run-wide lock around allocate + create, e.g.
 * `ctx.lock('vmid:<cluster>', async () => { const vmid = await allocateVmid(c); … create …; await c.waitForTask(upid) })`.
 */
import type { ProxmoxClient } from './client.js';
import { ProxmoxApiError } from './errors.js';

export interface ClusterGuest {
  vmid: number;
  name?: string;
  node: string;
  status: string;
  template: boolean;
  lock?: string;
  /** `qemu` or `lxc` (type=vm lists both). */
  type: 'qemu' | 'lxc';
}

interface ResourceRow {
  id?: string;
  type?: string;
  vmid?: number | string;
  name?: string;
  node?: string;
  status?: string;
  template?: number | boolean | string;
  lock?: string;
  cpu?: number;
  maxcpu?: number;
  mem?: number;
  maxmem?: number;
}

export async function listGuests(client: ProxmoxClient): Promise<ClusterGuest[]> {
  const rows = ((await client.api.cluster.resources.$get({ type: 'vm' })) ?? []) as ResourceRow[];
  return rows
    .filter((r) => (r.type === 'qemu' || r.type === 'lxc') && r.vmid !== undefined && r.node)
    .map((r) => ({
      vmid: Number(r.vmid),
      ...(r.name !== undefined ? { name: r.name } : {}),
      node: r.node!,
      status: r.status ?? 'unknown',
      template: r.template === true || Number(r.template) === 1,
      ...(r.lock ? { lock: r.lock } : {}),
      type: r.type as 'qemu' | 'lxc',
    }));
}

/**
 * The guest with this VMID, or else with this name; undefined if none. With both, the VMID
 * decides and the caller compares the name (a renamed VM is drift to correct, not another VM).
 * Two guests with the same name make a name lookup ambiguous: that is an error, not a guess.
 */
export async function findGuest(
  client: ProxmoxClient,
  by: { vmid?: number; name?: string },
): Promise<ClusterGuest | undefined> {
  if (by.vmid === undefined && by.name === undefined) throw new TypeError('findGuest: give a vmid or a name');
  const guests = await listGuests(client);
  if (by.vmid !== undefined) return guests.find((g) => g.vmid === by.vmid);
  const named = guests.filter((g) => g.name === by.name);
  if (named.length > 1) {
    const list = named.map((g) => `${g.vmid} on ${g.node}`).join(', ');
    throw new Error(
      `more than one Proxmox guest is named "${by.name}" (VMIDs ${list}): give the VM's vmid in the inventory, or rename the others`,
    );
  }
  return named[0];
}

/**
 * The node for a new VM: `preferred` if it is online; else the online node with the lowest
 * load (CPU fraction + memory fraction), ties by name. A preferred node that does not exist is
 * an error (a typo should not silently place the VM elsewhere); one that is offline is logged.
 */
export async function pickNode(
  client: ProxmoxClient,
  preferred?: string,
  log?: (line: string) => void,
): Promise<string> {
  const rows = ((await client.api.cluster.resources.$get({ type: 'node' })) ?? []) as ResourceRow[];
  const nodes = rows.filter((r) => r.type === 'node' && r.node);
  if (preferred !== undefined) {
    const wanted = nodes.find((r) => r.node === preferred);
    if (!wanted)
      throw new Error(
        `Proxmox node "${preferred}" is not in the cluster (nodes: ${nodes.map((r) => r.node).join(', ') || 'none'})`,
      );
    if (wanted.status === 'online') return preferred;
    log?.(
      `proxmox: node ${preferred} is ${wanted.status ?? 'not online'}; choosing the least loaded online node`,
    );
  }
  const online = nodes.filter((r) => r.status === 'online');
  if (!online.length) throw new Error('no Proxmox node is online');
  const load = (r: ResourceRow) => (r.cpu ?? 0) + (r.maxmem ? (r.mem ?? 0) / r.maxmem : 0);
  online.sort((a, b) => load(a) - load(b) || a.node!.localeCompare(b.node!));
  return online[0]!.node!;
}

/**
 * A free VMID. With `preferred`, exactly that one (checked with `nextid?vmid=N`, which answers
 * 400 when it is taken) or an error; else `nextid`, or — with `min` above it — the lowest id
 * ≥ min that no guest uses, checked the same way. Nothing is reserved: hold a lock (see top).
 */
export async function allocateVmid(
  client: ProxmoxClient,
  options: { preferred?: number; min?: number } = {},
): Promise<number> {
  if (options.preferred !== undefined) {
    if (!(await isVmidFree(client, options.preferred))) {
      const owner = (await listGuests(client)).find((g) => g.vmid === options.preferred);
      throw new Error(
        `VMID ${options.preferred} is already used${owner ? ` by "${owner.name ?? '?'}" on ${owner.node}` : ''}`,
      );
    }
    return options.preferred;
  }
  const next = Number(await client.api.cluster.nextid.$get());
  if (!Number.isInteger(next)) throw new Error(`Proxmox nextid returned ${JSON.stringify(next)}, not a VMID`);
  if (options.min === undefined || next >= options.min) return next;
  const used = new Set((await listGuests(client)).map((g) => g.vmid));
  for (let id = options.min; id <= 999_999_999; id++) {
    if (used.has(id)) continue;
    if (await isVmidFree(client, id)) return id;
  }
  throw new Error(`no free VMID at or above ${options.min}`);
}

/** `GET /cluster/nextid?vmid=N`: N if free; 400 "VM N already exists" if not. */
export async function isVmidFree(client: ProxmoxClient, vmid: number): Promise<boolean> {
  try {
    await client.api.cluster.nextid.$get({ vmid });
    return true;
  } catch (error) {
    if (
      error instanceof ProxmoxApiError &&
      error.status === 400 &&
      /already exists/i.test(error.errors?.['vmid'] ?? error.pveMessage)
    )
      return false;
    throw error;
  }
}
