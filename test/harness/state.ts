// Instance records under /run/novastation-testhosts/instances: who owns which hosts, addresses and
// kernel objects. Every harness instance (a vitest file, the CLI's `up`) writes its record before it
// creates anything, so whatever a killed run leaves behind can be found and removed by the next one.
// Callers hold STATE_LOCK around allocate/release/cleanStale.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dockerPathsOf, killCgroup } from './docker-daemon.js';
import { removeTree } from './mounts.js';
import { deleteHostNet, ensureNetwork, listLinks, listNetns, removeNetwork } from './network.js';
import {
  CACHE_DIR,
  FIRST_SLOT,
  HOSTS_DIR,
  INSTANCES_DIR,
  LAST_SLOT,
  NET_PREFIX,
  NETNS_PREFIX,
  VETH_PREFIX,
  netnsName,
  vethName,
} from './paths.js';
import {
  allPids,
  isAlive,
  killHard,
  parentOf,
  pidNamespaceOf,
  pidsInNamespace,
  pidsInNetns,
  startTimeOf,
} from './procs.js';
import { run, sleep } from './run.js';

export interface HostRecord {
  name: string;
  slot: number;
  address: string;
  netns: string;
  veth: string;
  /** Holds upper/, work/, root/ (the merged overlay), apt-upper/, console.log. */
  dir: string;
  /** The running systemd-nspawn and the container's init, updated at every (re)boot. */
  nspawnPid?: number;
  nspawnStart?: string;
  initPid?: number;
  initStart?: string;
}

export interface InstanceRecord {
  runId: string;
  ownerPid: number;
  ownerStart: string;
  createdAt: string;
  hosts: HostRecord[];
}

const recordFile = (runId: string) => `${INSTANCES_DIR}/${runId}.json`;

export function readRecords(): InstanceRecord[] {
  if (!existsSync(INSTANCES_DIR)) return [];
  const out: InstanceRecord[] = [];
  for (const f of readdirSync(INSTANCES_DIR)) {
    if (!f.endsWith('.json')) continue;
    try {
      out.push(JSON.parse(readFileSync(`${INSTANCES_DIR}/${f}`, 'utf8')) as InstanceRecord);
    } catch {
      /* a record being written right now (we write via rename, so this is rare): skip */
    }
  }
  return out;
}

/** Atomic (tmp + rename) so readers never see half a record. */
export function writeRecord(r: InstanceRecord): void {
  mkdirSync(INSTANCES_DIR, { recursive: true });
  const tmp = `${recordFile(r.runId)}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(r, null, 2));
  renameSync(tmp, recordFile(r.runId));
}

export function ownerAlive(r: InstanceRecord): boolean {
  return isAlive(r.ownerPid, r.ownerStart);
}

/** The container's init: the child of nspawn living in another pid namespace. */
export function containerInitOf(nspawnPid: number): number | undefined {
  const own = pidNamespaceOf(nspawnPid);
  for (const p of allPids()) {
    if (parentOf(p) === nspawnPid && pidNamespaceOf(p) !== own) return p;
  }
  return undefined;
}

/** Kills every process of one instance's hosts: each container's whole pid namespace, and nspawn. */
async function killInstanceProcesses(runId: string, hosts: HostRecord[]): Promise<void> {
  const marker = `${HOSTS_DIR}/${runId}/`;
  const victims = new Set<number>();
  for (const p of allPids()) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.startsWith('systemd-nspawn') && !cmdline.includes('/systemd-nspawn\0')) continue;
    if (!cmdline.includes(marker)) continue;
    victims.add(p);
    const init = containerInitOf(p);
    const ns = init ? pidNamespaceOf(init) : undefined;
    if (ns) for (const q of pidsInNamespace(ns)) victims.add(q);
  }
  // Containers whose nspawn died first (its init was reparented, still running): by the recorded
  // init, and by their network namespace, which only our hosts (and commands run in them) use.
  for (const h of hosts) {
    if (isAlive(h.initPid, h.initStart)) {
      const ns = pidNamespaceOf(h.initPid!);
      if (ns) for (const q of pidsInNamespace(ns)) victims.add(q);
    }
    for (const q of pidsInNetns(h.netns)) victims.add(q);
  }
  for (const p of victims) killHard(p);
  // Containers of a host's Docker daemon live in their own namespaces, under the host's cgroup.
  for (const h of hosts) await killCgroup(dockerPathsOf(h.dir ?? '', h.netns).cgroupParent);
  for (let i = 0; i < 100 && [...victims].some((p) => startTimeOf(p) !== undefined); i++) await sleep(50);
}

/** Removes everything an instance created: processes, mounts, namespaces, folders, its record. */
export async function destroyInstance(runId: string, hosts: HostRecord[]): Promise<void> {
  await killInstanceProcesses(runId, hosts);
  await Promise.all(hosts.map((h) => deleteHostNet(h.netns, h.veth)));
  await removeTree(`${HOSTS_DIR}/${runId}`);
  rmSync(recordFile(runId), { force: true });
}

/**
 * Removes leftovers of instances whose owner is dead (a SIGKILLed test run), and orphans that no
 * record names. Returns what it removed, for the CLI to print. Caller holds STATE_LOCK.
 */
export async function cleanStale(): Promise<string[]> {
  const removed: string[] = [];
  const records = readRecords();
  const live = new Set<string>();
  for (const r of records) {
    if (ownerAlive(r)) {
      live.add(r.runId);
      continue;
    }
    await destroyInstance(r.runId, r.hosts);
    removed.push(
      `instance ${r.runId} (owner pid ${r.ownerPid} is gone): ${r.hosts.map((h) => h.name).join(', ')}`,
    );
  }
  // Orphans: objects with our prefixes whose run has no live record (e.g. killed before writing one).
  const orphanRuns = new Set<string>();
  for (const ns of await listNetns()) {
    if (!ns.startsWith(NETNS_PREFIX)) continue;
    const runId = ns.slice(NETNS_PREFIX.length, ns.lastIndexOf('-'));
    if (!live.has(runId)) orphanRuns.add(runId);
  }
  for (const l of await listLinks()) {
    if (l.startsWith(VETH_PREFIX) && !live.has(l.slice(VETH_PREFIX.length, VETH_PREFIX.length + 6))) {
      await run('ip', ['link', 'del', l], { allowFail: true });
      removed.push(`link ${l}`);
    }
  }
  if (existsSync(HOSTS_DIR)) for (const d of readdirSync(HOSTS_DIR)) if (!live.has(d)) orphanRuns.add(d);
  for (const runId of orphanRuns) {
    const nets = (await listNetns()).filter((n) => n.startsWith(`${NETNS_PREFIX}${runId}-`));
    await destroyInstance(
      runId,
      nets.map((netns) => ({ netns, veth: '' }) as HostRecord),
    );
    removed.push(`orphaned run ${runId}`);
  }
  if (live.size === 0) {
    await removeNetwork();
    // Old base roots are kept while hosts may still overlay them (see base-image.ts).
    if (existsSync(CACHE_DIR)) {
      for (const e of readdirSync(CACHE_DIR))
        if (e.startsWith('base.old-')) await removeTree(`${CACHE_DIR}/${e}`);
    }
  }
  return removed;
}

function newRunId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Cleans stale leftovers, brings the network up and reserves `count` addresses. Caller holds STATE_LOCK. */
export async function allocate(count: number, prefix: string): Promise<InstanceRecord> {
  await cleanStale();
  await ensureNetwork();
  const used = new Set(readRecords().flatMap((r) => r.hosts.map((h) => h.slot)));
  const free: number[] = [];
  for (let s = FIRST_SLOT; s <= LAST_SLOT && free.length < count; s++) if (!used.has(s)) free.push(s);
  if (free.length < count) throw new Error(`test hosts: only ${free.length} free addresses, ${count} wanted`);
  const runId = newRunId();
  const record: InstanceRecord = {
    runId,
    ownerPid: process.pid,
    ownerStart: startTimeOf(process.pid) ?? '',
    createdAt: new Date().toISOString(),
    hosts: free.map((slot, i) => ({
      name: `${prefix}${i + 1}`,
      slot,
      address: `${NET_PREFIX}${slot}`,
      netns: netnsName(runId, i + 1),
      veth: vethName(runId, i + 1),
      dir: `${HOSTS_DIR}/${runId}/${prefix}${i + 1}`,
    })),
  };
  writeRecord(record);
  return record;
}

/** After destroyInstance: drops the network once no instance is left. Caller holds STATE_LOCK. */
export async function releaseNetworkIfUnused(): Promise<void> {
  if (readRecords().some(ownerAlive)) return;
  await removeNetwork();
}
