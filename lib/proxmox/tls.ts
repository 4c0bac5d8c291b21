/**
 * TLS for one Proxmox connection, verified by default and never by switching verification off
 * process-wide (proxmox-api's README suggests NODE_TLS_REJECT_UNAUTHORIZED=0, which disables it
 * for every connection the process makes):
 *
 * - no option: the system CAs and the host name, as any HTTPS client;
 * - `caFile`: that CA instead (e.g. a copy of the cluster's /etc/pve/pve-root-ca.pem);
 * - `fingerprint`: exactly the certificate with that SHA-256 fingerprint, the `AA:BB:…` form the
 *   Proxmox GUI shows. Proxmox's default certificate is self-signed, so chain and name checks
 *   cannot pass; instead the connector lets the handshake finish unverified, compares the peer
 *   certificate's fingerprint, and hands the socket to undici only if it matches — no request
 *   byte is written to a server that did not present the pinned certificate. Session resumption
 *   is off for pinned connections, so every connection shows its certificate.
 *
 * Everything is per undici Agent (one per client), from the npm `undici` package — the same
 * package proxmox-api uses — rather than Node's bundled copy behind global fetch.
 */
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import type { Agent, buildConnector } from 'undici';
import { undici } from './lazy-deps.js';

/** The SHA-256 fingerprint in Proxmox's form (`AA:BB:…`, upper case), from any case/separator. */
export function normalizeFingerprint(text: string): string {
  const hex = text.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new TypeError(
      `Proxmox TLS fingerprint "${text}" is not a SHA-256 fingerprint (64 hex digits, optionally separated by ":")`,
    );
  }
  return hex.match(/../g)!.join(':');
}

/** The server's certificate was refused; `code` tells why, the message what to do. */
export class ProxmoxTlsError extends Error {
  constructor(
    message: string,
    readonly code: 'FINGERPRINT_MISMATCH' | 'UNTRUSTED',
    readonly expected?: string,
    readonly actual?: string,
  ) {
    super(message);
    this.name = 'ProxmoxTlsError';
  }
}

export interface TlsOptions {
  fingerprint?: string;
  caFile?: string;
  /** TCP + TLS handshake timeout (undici's default is 10 s). */
  connectTimeoutMs?: number;
}

export function createDispatcher(options: TlsOptions): Agent {
  if (options.fingerprint && options.caFile) {
    throw new TypeError(
      'Proxmox connection: give either fingerprint (pin the certificate) or caFile (trust a CA), not both',
    );
  }
  const timeout = options.connectTimeoutMs ?? 10_000;
  if (options.fingerprint) {
    const expected = normalizeFingerprint(options.fingerprint);
    const { Agent, buildConnector } = undici();
    const base = buildConnector({ rejectUnauthorized: false, maxCachedSessions: 0, timeout });
    const connect: buildConnector.connector = (opts, callback) =>
      base(opts, (error, socket) => {
        if (error || !socket) return callback(error ?? new Error('no socket'), null);
        const actual = (socket as TLSSocket).getPeerCertificate?.()?.fingerprint256;
        if (actual?.toUpperCase() === expected) return callback(null, socket);
        socket.destroy();
        const where = `${opts.hostname}:${opts.port || 443}`;
        return callback(
          new ProxmoxTlsError(
            `TLS: the certificate of ${where} does not match the pinned fingerprint: expected ${expected}, got ${actual ?? 'no certificate'}` +
              ' (if the certificate was renewed on purpose, pin the new fingerprint shown in Proxmox under the node → System → Certificates)',
            'FINGERPRINT_MISMATCH',
            expected,
            actual,
          ),
          null,
        );
      });
    return new Agent({ connect });
  }
  const ca = options.caFile ? readFileSync(options.caFile) : undefined;
  return new (undici().Agent)({ connect: { rejectUnauthorized: true, timeout, ...(ca ? { ca } : {}) } });
}

/** Node's codes for a certificate that did not verify (chain, expiry, host name). */
const UNTRUSTED_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/** The TLS refusal in `error` (or its causes), turned into advice; undefined if it is not one. */
export function tlsRefusal(error: unknown, url: string, usingCaFile: boolean): ProxmoxTlsError | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ProxmoxTlsError) return e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNTRUSTED_CODES.has(code)) {
      const advice = usingCaFile
        ? 'check that caFile is the CA that signed this certificate and that the URL names the host the certificate is for'
        : "Proxmox's own certificate is self-signed: pin its SHA-256 fingerprint (fingerprint: 'AA:BB:…', shown under the node → System → Certificates) or give caFile (e.g. a copy of /etc/pve/pve-root-ca.pem)";
      return new ProxmoxTlsError(
        `TLS: the certificate of ${url} is not trusted (${code}: ${(e as Error).message}); ${advice}`,
        'UNTRUSTED',
      );
    }
  }
  return undefined;
}
