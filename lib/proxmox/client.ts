/**
 * connectProxmox: one client per Proxmox connection (URL, credentials, TLS trust), exposing
 * proxmox-api's typed proxy over our own transport, a task waiter and request counters.
 *
 *   const pve = connectProxmox({ url: 'https://pve1.example', tokenId: 'novastation@pve!site',
 *                                tokenSecret, fingerprint: 'AA:BB:…' });
 *   const upid = await pve.api.nodes.$('pve1').qemu.$post({ vmid: 2001, name: 'vm-dev-01' });
 *   await pve.waitForTask(upid);
 *   await pve.close();
 *
 * The URL's port defaults to 8006 (proxmox-api has none: without it requests go to 443), and
 * only https is accepted — a token or password must not travel in clear text.
 */
import { Blob } from 'node:buffer';
import type { Proxmox } from 'proxmox-api';
import { proxmoxApiPackage, undici } from './lazy-deps.js';
import { Secret } from '../secret.js';
import { TicketAuth, TokenAuth, type Auth } from './auth.js';
import { DEFAULT_RETRY } from './retry.js';
import { waitForTask, type TaskResult } from './tasks.js';
import { createDispatcher } from './tls.js';
import { ProxmoxTransport } from './transport.js';

export interface ProxmoxConnection {
  /** `https://pve1.example:8006`; a missing port means 8006. */
  url: string;
  /** API token id, `user@realm!name` (preferred auth). */
  tokenId?: string;
  tokenSecret?: Secret;
  /** Ticket login instead of a token (`root@pam`). */
  username?: string;
  password?: Secret;
  /** Pinned certificate, SHA-256 `AA:BB:…` (any case, colons optional). */
  fingerprint?: string;
  /** Or a CA file to verify the certificate with. */
  caFile?: string;
}

export interface ProxmoxClientOptions {
  /** -v lines: one per request, retry and login (secrets masked). */
  log?(line: string): void;
  /** Default wait for waitForTask (default 15 min). */
  taskTimeoutMs?: number;
  retry?: { attempts?: number; baseMs?: number; maxDelayMs?: number };
  /** One request, connect to last byte (default 60 s). */
  requestTimeoutMs?: number;
  /** Clock for the ticket's age (tests move it forward). */
  clock?: () => number;
}

export interface ProxmoxClient {
  /** proxmox-api's typed proxy: `api.nodes.$(node).qemu.$(vmid).config.$get()`. */
  readonly api: Proxmox.Api;
  waitForTask(upid: string, options?: { timeoutMs?: number }): Promise<TaskResult>;
  /** Requests sent (each attempt, logins included) and writes (POST/PUT/DELETE, logins excluded). */
  readonly stats: { readonly requests: number; readonly writes: number };
  /** Sends one request and returns the whole JSON body (`data`, `total`, …), for what the proxy cannot say. */
  request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    params?: Record<string, unknown>,
  ): Promise<Record<string, unknown> | undefined>;
  /**
   * Uploads a file to a storage (`POST /nodes/{node}/storage/{storage}/upload`, multipart, the
   * file part last, as the Proxmox GUI sends it). Returns the UPID of the copy task (not waited
   * for). Like any write it is never re-sent once it may have arrived.
   */
  uploadFile(node: string, storage: string, file: UploadFile): Promise<string>;
  /** The base URL with the port made explicit (`https://pve1.example:8006`). */
  readonly origin: string;
  close(): Promise<void>;
}

export interface UploadFile {
  content: 'iso' | 'vztmpl' | 'import';
  filename: string;
  data: Uint8Array;
  checksum?: string;
  checksumAlgorithm?: 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  /** The whole upload (default: 60 s + 1 s per MiB). */
  timeoutMs?: number;
}

export const DEFAULT_PORT = 8006;

export function connectProxmox(conn: ProxmoxConnection, options: ProxmoxClientOptions = {}): ProxmoxClient {
  const origin = parseOrigin(conn.url);
  // Credentials are checked before anything is opened, so a bad inventory leaves nothing behind.
  const makeAuth = credentials(conn, options.clock ?? Date.now);
  const dispatcher = createDispatcher({
    ...(conn.fingerprint ? { fingerprint: conn.fingerprint } : {}),
    ...(conn.caFile ? { caFile: conn.caFile } : {}),
  });
  const transport = new ProxmoxTransport({
    origin,
    dispatcher,
    retry: { ...DEFAULT_RETRY, ...definedOnly(options.retry ?? {}) },
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
    usingCaFile: Boolean(conn.caFile),
    ...(options.log ? { log: (line: string) => options.log!(line) } : {}),
  });
  transport.auth = makeAuth(transport);
  const api = proxmoxApiPackage().proxmoxApi(transport);
  const taskTimeoutMs = options.taskTimeoutMs ?? 15 * 60_000;
  return {
    api,
    origin,
    stats: transport.stats,
    waitForTask: (upid, wait) =>
      waitForTask((path, params) => transport.request('GET', path, params), upid, {
        timeoutMs: wait?.timeoutMs ?? taskTimeoutMs,
        ...(options.log ? { log: options.log } : {}),
      }),
    request: (method, path, params) => transport.request(method, path, params),
    uploadFile: async (node, storage, file) => {
      const form = new (undici().FormData)();
      form.append('content', file.content);
      if (file.checksum) form.append('checksum', file.checksum);
      if (file.checksumAlgorithm) form.append('checksum-algorithm', file.checksumAlgorithm);
      form.append('filename', new Blob([file.data]), file.filename);
      const path = `/nodes/${encodeURIComponent(node)}/storage/${encodeURIComponent(storage)}/upload`;
      const timeoutMs = file.timeoutMs ?? 60_000 + Math.ceil(file.data.byteLength / 1048576) * 1000;
      const data = (await transport.request('POST', path, undefined, { form, timeoutMs }))?.data;
      if (typeof data !== 'string')
        throw new TypeError(
          `Proxmox upload of ${file.filename}: expected a task id, got ${JSON.stringify(data)}`,
        );
      return data;
    },
    close: () => dispatcher.close(),
  };
}

/** `https://host[:port][/…]` → `https://host:port`; the port is 8006 unless written. */
export function parseOrigin(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9A-Fa-f:.]+\]|[^/:?#@\s]+)(?::(\d{1,5}))?(\/[^?#]*)?$/i.exec(
    url.trim(),
  );
  if (!m) throw new TypeError(`Proxmox url "${url}" is not a URL like https://pve1.example:8006`);
  if (m[1]!.toLowerCase() !== 'https')
    throw new TypeError(
      `Proxmox url "${url}": only https is supported (credentials must not travel in clear text)`,
    );
  const port = m[3] === undefined ? DEFAULT_PORT : Number(m[3]);
  if (port < 1 || port > 65535) throw new TypeError(`Proxmox url "${url}": port ${port} is out of range`);
  const path = (m[4] ?? '').replace(/\/+$/, '');
  if (path && path !== '/api2/json')
    throw new TypeError(`Proxmox url "${url}": give the server only (https://host:8006), not a path`);
  return `https://${m[2]!.toLowerCase()}:${port}`;
}

function credentials(conn: ProxmoxConnection, clock: () => number): (transport: ProxmoxTransport) => Auth {
  const hasToken = conn.tokenId !== undefined || conn.tokenSecret !== undefined;
  const hasPassword = conn.username !== undefined || conn.password !== undefined;
  if (hasToken && hasPassword)
    throw new TypeError(
      'Proxmox connection: give either tokenId + tokenSecret or username + password, not both',
    );
  if (hasToken) {
    if (!conn.tokenId || !conn.tokenSecret)
      throw new TypeError('Proxmox connection: an API token needs both tokenId and tokenSecret');
    const auth = new TokenAuth(conn.tokenId, asSecret(conn.tokenSecret));
    return () => auth;
  }
  if (hasPassword) {
    if (!conn.username || !conn.password)
      throw new TypeError('Proxmox connection: a ticket login needs both username and password');
    const { username } = conn;
    const password = asSecret(conn.password);
    TicketAuth.checkUsername(username);
    return (transport) => new TicketAuth(username, password, (u, p) => transport.login(u, p), clock);
  }
  throw new TypeError('Proxmox connection: no credentials (tokenId + tokenSecret, or username + password)');
}

function asSecret(value: Secret | string): Secret {
  return value instanceof Secret ? value : new Secret(String(value));
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
