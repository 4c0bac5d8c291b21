/**
 * Files in a Proxmox storage: `pveDownload` (the node downloads a URL into the storage,
 * `download-url`), `pveUpload` (an ISO from the controller, the storage `upload` API) and
 * `pveVolumeAbsent`. Present means a volume with that name exists: a file is downloaded or
 * uploaded only when it is missing (cloud images and install ISOs are large; Proxmox keeps no
 * checksum to compare with, and `download-url` checks the optional one while downloading).
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import type { ProxmoxClient } from '../../lib/proxmox/index.js';
import { converge, type Resource } from '../../lib/resource.js';
import { pveGet, pveWrite } from '../../lib/proxmox/requests.js';

export type StorageContent = 'iso' | 'import' | 'vztmpl';

interface ContentRow {
  volid: string;
  size?: number;
}

export function volumeId(storage: string, content: StorageContent, filename: string): string {
  return `${storage}:${content}/${filename}`;
}

function storagePath(node: string, storage: string, rest = ''): string {
  return `/nodes/${encodeURIComponent(node)}/storage/${encodeURIComponent(storage)}${rest}`;
}

export async function findVolume(
  client: ProxmoxClient,
  node: string,
  storage: string,
  content: StorageContent,
  filename: string,
): Promise<ContentRow | undefined> {
  const rows =
    (await pveGet<ContentRow[]>(client, storagePath(node, storage, '/content'), { content })) ?? [];
  const volid = volumeId(storage, content, filename);
  return rows.find((r) => r.volid === volid);
}

const FILENAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

function checkFilename(primitive: string, filename: string): void {
  if (!FILENAME.test(filename))
    throw new Error(
      `${primitive}: filename "${filename}" must be a plain file name (letters, digits, . _ + -)`,
    );
}

export interface PveDownloadOptions {
  client: ProxmoxClient;
  node: string;
  storage: string;
  content: StorageContent;
  url: string;
  filename: string;
  /** Checked by Proxmox while downloading. */
  checksum?: { algorithm: 'sha256' | 'sha512'; value: string };
  /** How long the download may take (default 60 min). */
  timeoutMs?: number;
}

export function pveDownloadResource(o: PveDownloadOptions): Resource<ContentRow | undefined> {
  checkFilename('pveDownload', o.filename);
  if (!/^https?:\/\//.test(o.url)) throw new Error(`pveDownload: url "${o.url}" must be http(s)`);
  const volid = volumeId(o.storage, o.content, o.filename);
  return {
    id: `volume ${volid}`,
    read: () => findVolume(o.client, o.node, o.storage, o.content, o.filename),
    plan: (found) => (found ? [] : [{ field: 'download', to: `${o.url} on ${o.node}` }]),
    async apply() {
      await pveWrite(
        o.client,
        'POST',
        storagePath(o.node, o.storage, '/download-url'),
        {
          url: o.url,
          filename: o.filename,
          content: o.content,
          ...(o.checksum ? { checksum: o.checksum.value, 'checksum-algorithm': o.checksum.algorithm } : {}),
        },
        { timeoutMs: o.timeoutMs ?? 60 * 60_000 },
      );
    },
  };
}

/**
 * @example
 * await pveDownload(ctx.host, { client, node: 'pve1', storage: 'local', content: 'import',
 *   url: 'https://cloud-images.ubuntu.com/jammy/current/jammy-server-cloudimg-amd64.img', filename: 'jammy-server-cloudimg-amd64.qcow2' });
 */
export function pveDownload(host: Host, options: PveDownloadOptions): Promise<TaskOutcome> {
  return converge(host, pveDownloadResource(options));
}

export interface PveUploadOptions {
  client: ProxmoxClient;
  node: string;
  storage: string;
  content: 'iso';
  filename: string;
  /** The file's bytes (made only when an upload is needed: an answer file is rendered then). */
  data: Buffer | (() => Buffer);
  /** The content is sensitive: no size or content in messages. */
  sensitive?: boolean;
}

export function pveUploadResource(o: PveUploadOptions): Resource<ContentRow | undefined> {
  checkFilename('pveUpload', o.filename);
  const volid = volumeId(o.storage, o.content, o.filename);
  return {
    id: `volume ${volid}`,
    sensitive: o.sensitive ?? false,
    read: () => findVolume(o.client, o.node, o.storage, o.content, o.filename),
    plan: (found) => (found ? [] : [{ field: 'upload', to: `${o.filename} to ${o.storage} on ${o.node}` }]),
    async apply() {
      const data = typeof o.data === 'function' ? o.data() : o.data;
      // One multipart request, never re-sent once it may have arrived (lib/proxmox); then its task.
      const upid = await o.client.uploadFile(o.node, o.storage, {
        content: o.content,
        filename: o.filename,
        data,
      });
      await o.client.waitForTask(upid);
    },
  };
}

export function pveUpload(host: Host, options: PveUploadOptions): Promise<TaskOutcome> {
  return converge(host, pveUploadResource(options));
}

export interface PveVolumeAbsentOptions {
  client: ProxmoxClient;
  node: string;
  storage: string;
  content: StorageContent;
  filename: string;
}

export function pveVolumeAbsentResource(o: PveVolumeAbsentOptions): Resource<ContentRow | undefined> {
  checkFilename('pveVolumeAbsent', o.filename);
  const volid = volumeId(o.storage, o.content, o.filename);
  return {
    id: `volume ${volid}`,
    read: () => findVolume(o.client, o.node, o.storage, o.content, o.filename),
    plan: (found) => (found ? [{ field: 'volume', from: 'present', to: 'removed' }] : []),
    async apply() {
      await pveWrite(
        o.client,
        'DELETE',
        storagePath(o.node, o.storage, `/content/${encodeURIComponent(volid)}`),
      );
    },
  };
}

export function pveVolumeAbsent(host: Host, options: PveVolumeAbsentOptions): Promise<TaskOutcome> {
  return converge(host, pveVolumeAbsentResource(options));
}
