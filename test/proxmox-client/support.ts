/**
 * Test support for the client's own tests: throwaway certificates made with openssl (a CA, a
 * leaf it signed for 127.0.0.1/localhost, and an unrelated self-signed one — nothing committed),
 * and a tiny HTTPS server whose handler each test writes, recording what arrived. The
 * simulator (test/pve-sim) covers Proxmox's behaviour; this covers the wire: TLS, encoding,
 * dropped connections at exact moments.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertSet {
  dir: string;
  caFile: string;
  /** leaf signed by the CA, SAN 127.0.0.1 + localhost */
  leaf: { key: string; cert: string; fingerprint: string };
  /** a self-signed certificate, like a fresh Proxmox node's */
  selfSigned: { key: string; cert: string; fingerprint: string };
  cleanup(): void;
}

export function makeCerts(): CertSet {
  const dir = mkdtempSync(join(tmpdir(), 'pve-client-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Test PVE CA',
  );
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'leaf.key',
    '-out',
    'leaf.csr',
    '-subj',
    '/CN=localhost',
  );
  writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'leaf.pem',
    '-days',
    '2',
    '-extfile',
    'leaf.ext',
  );
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'self.key',
    '-out',
    'self.pem',
    '-days',
    '2',
    '-subj',
    '/CN=pve1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  );
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    leaf: { key: read('leaf.key'), cert: read('leaf.pem'), fingerprint: fp(read('leaf.pem')) },
    selfSigned: { key: read('self.key'), cert: read('self.pem'), fingerprint: fp(read('self.pem')) },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  headers: IncomingMessage['headers'];
}

export type Handler = (req: Received, res: ServerResponse) => void | Promise<void>;

export interface FakeServer {
  url: string;
  port: number;
  received: Received[];
  close(): Promise<void>;
}

export async function startFakeServer(
  tls: { key: string; cert: string },
  handler: Handler,
): Promise<FakeServer> {
  const received: Received[] = [];
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://x');
      const entry: Received = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        body: Buffer.concat(chunks).toString(),
        headers: req.headers,
      };
      received.push(entry);
      Promise.resolve(handler(entry, res)).catch((e) => {
        res.statusCode = 599;
        res.end(String(e));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers like pveproxy: JSON with Proxmox's content type, the message as the reason phrase. */
export function answer(res: ServerResponse, status: number, body: unknown, reason?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, reason ?? (status === 200 ? 'OK' : 'Error'), {
    'content-type': 'application/json;charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Drops the connection without an answer (the request has been received). */
export function drop(res: ServerResponse): void {
  res.socket?.destroy();
}
