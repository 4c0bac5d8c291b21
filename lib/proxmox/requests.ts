/**
 * The few request shapes the Proxmox primitives use, over the client's `request` (lib/proxmox):
 * a read returns `data`; a write that answers with a task id (UPID) is waited for, so a
 * primitive's apply returns only once Proxmox has done the work, and a failed task throws with
 * its log. Retrying is the client's business (only what is safe: see lib/proxmox/retry.ts).
 */
import type { ProxmoxClient } from './client.js';
import { ProxmoxApiError } from './errors.js';

export type Params = Record<string, unknown>;

export async function pveGet<T>(client: ProxmoxClient, path: string, params?: Params): Promise<T> {
  return (await client.request('GET', path, params))?.data as T;
}

/** POST/PUT/DELETE; waits for the task when the answer is a UPID. Returns the answer's data. */
export async function pveWrite(
  client: ProxmoxClient,
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  params?: Params,
  wait?: { timeoutMs?: number },
): Promise<unknown> {
  const data = (await client.request(method, path, params))?.data;
  if (typeof data === 'string' && data.startsWith('UPID:')) await client.waitForTask(data, wait);
  return data;
}

/** `/nodes/pve1/qemu/2001` */
export function vmPath(node: string, vmid: number, rest = ''): string {
  return `/nodes/${encodeURIComponent(node)}/qemu/${vmid}${rest}`;
}

export function isNotFound(error: unknown): boolean {
  // Proxmox answers a missing VM with 500 "Configuration file … does not exist", a missing
  // storage volume or mapping with 404/500 "… does not exist"/"no such …".
  return (
    error instanceof ProxmoxApiError &&
    (error.status === 404 ||
      (error.status === 500 && /does not exist|no such|not found/i.test(error.pveMessage)))
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` until it returns a value (not undefined), first quickly, then backing off to
 * `maxDelayMs`, so a short wait (a clone of a small disk, the simulator) costs little and a long
 * one (a Windows install) does not hammer the API. Throws `onTimeout()` after `timeoutMs`.
 */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; maxDelayMs?: number; onTimeout: () => Error },
): Promise<T> {
  const started = Date.now();
  let delay = 50;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - started >= options.timeoutMs) throw options.onTimeout();
    await sleep(delay);
    delay = Math.min(delay * 2, options.maxDelayMs ?? 5000);
  }
}
