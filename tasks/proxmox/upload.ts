/**
 * `POST /nodes/{node}/storage/{storage}/upload`: a file sent as multipart/form-data, the way
 * Proxmox's web UI does (pve-manager UploadToStorage.js: fields `content`, then the file as
 * `filename`). The API client speaks only form-urlencoded (proxmox-api's shape), so this one
 * request is sent here, over the same trust settings (pinned fingerprint or CA, through
 * lib/proxmox's dispatcher) with an API token. Like every write it is never re-sent: an upload
 * whose answer is lost is reported, and the next run sees whether the file arrived. The answer
 * is a task (the node moves the file into place), waited for with the client.
 */
import { Blob } from 'node:buffer';
import { FormData, fetch } from 'undici';
import { ProxmoxApiError, type ProxmoxClient, type ProxmoxConnection } from '../../lib/proxmox/index.js';
import { createDispatcher } from '../../lib/proxmox/tls.js';

export interface UploadRequest {
  node: string;
  storage: string;
  content: 'iso' | 'vztmpl' | 'import';
  filename: string;
  data: Buffer;
}

export async function uploadToStorage(client: ProxmoxClient, connection: ProxmoxConnection, r: UploadRequest, timeoutMs = 30 * 60_000): Promise<void> {
  if (!connection.tokenId || !connection.tokenSecret) {
    throw new Error('uploading to Proxmox storage needs an API token (pve_token_id and pve_token_secret)');
  }
  const path = `/nodes/${encodeURIComponent(r.node)}/storage/${encodeURIComponent(r.storage)}/upload`;
  const dispatcher = createDispatcher({
    ...(connection.fingerprint ? { fingerprint: connection.fingerprint } : {}),
    ...(connection.caFile ? { caFile: connection.caFile } : {}),
  });
  const form = new FormData();
  form.append('content', r.content);
  form.append('filename', new Blob([r.data], { type: 'application/octet-stream' }), r.filename);
  let status = 0;
  let reason = '';
  let body: { data?: unknown; message?: unknown } | undefined;
  try {
    const res = await fetch(`${client.origin}/api2/json${path}`, {
      method: 'POST',
      headers: { accept: 'application/json', authorization: `PVEAPIToken=${connection.tokenId}=${connection.tokenSecret.reveal()}` },
      body: form,
      dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    reason = res.statusText;
    const text = await res.text();
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
  } catch (cause) {
    throw new ProxmoxApiError({
      status: 0,
      method: 'POST',
      path,
      pveMessage: `upload of ${r.filename}: no answer (${(cause as Error).message}); it may or may not have arrived: the next run checks`,
      answerLost: true,
      cause,
    });
  } finally {
    await dispatcher.close();
  }
  if (status !== 200) {
    const message = typeof body?.message === 'string' && body.message.trim() ? body.message.trim() : reason || `HTTP ${status}`;
    throw new ProxmoxApiError({ status, method: 'POST', path, pveMessage: message });
  }
  if (typeof body?.data === 'string' && body.data.startsWith('UPID:')) await client.waitForTask(body.data, { timeoutMs });
}
