/**
 * A VM's pending configuration (`GET /nodes/{node}/qemu/{vmid}/pending`): what Proxmox has
 * accepted for a running VM but could not hot-plug, kept in the config's [PENDING] section until
 * the VM stops or starts. `GET …/config` shows those values as if applied (PVE's default; its
 * `current=1` shows the running ones), so a reader of the config alone takes a change that never
 * reached the VM for done. One request gives both sides: each key with its running `value`, its
 * `pending` value and/or `delete` (1, or 2 for a forced delete).
 */
import type { ProxmoxClient } from './client.js';
import { pveGet, vmPath } from './requests.js';

interface PendingEntry {
  key: string;
  value?: unknown;
  pending?: unknown;
  delete?: number;
}

/** One pending change: `to` undefined means the key is to be removed. */
export interface PendingChange {
  key: string;
  from?: string;
  to?: string;
}

export interface VmPending {
  /** The configuration the VM runs with (pending values not applied). */
  running: Record<string, string>;
  /** What waits for the next stop/start, sorted by key. */
  changes: PendingChange[];
}

const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

export function parsePending(entries: PendingEntry[]): VmPending {
  const running: Record<string, string> = {};
  const changes: PendingChange[] = [];
  for (const e of [...entries].sort((a, b) => a.key.localeCompare(b.key))) {
    const value = text(e.value);
    if (value !== undefined) running[e.key] = value;
    const from = value !== undefined ? { from: value } : {};
    if (e.delete) changes.push({ key: e.key, ...from });
    else if (e.pending !== undefined) changes.push({ key: e.key, ...from, to: text(e.pending)! });
  }
  return { running, changes };
}

export async function readPending(client: ProxmoxClient, node: string, vmid: number): Promise<VmPending> {
  return parsePending((await pveGet<PendingEntry[]>(client, vmPath(node, vmid, '/pending'))) ?? []);
}
