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
 * package proxmox-api uses — rather than Node's bundled copy behind global fetch. The mechanism
 * is lib/tls/dispatcher.ts, shared with the Guacamole client; this file adds Proxmox's advice.
 */
import {
  createTlsDispatcher,
  normalizeFingerprint as normalize,
  tlsRefusalIn,
  type TlsOptions,
} from '../tls/dispatcher.js';
import type { Agent } from 'undici';

export type { TlsOptions } from '../tls/dispatcher.js';

/** The SHA-256 fingerprint in Proxmox's form (`AA:BB:…`, upper case), from any case/separator. */
export function normalizeFingerprint(text: string): string {
  return normalize(text, 'Proxmox TLS');
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

export function createDispatcher(options: TlsOptions): Agent {
  return createTlsDispatcher(
    options,
    (where, expected, actual) =>
      new ProxmoxTlsError(
        `TLS: the certificate of ${where} does not match the pinned fingerprint: expected ${expected}, got ${actual ?? 'no certificate'}` +
          ' (if the certificate was renewed on purpose, pin the new fingerprint shown in Proxmox under the node → System → Certificates)',
        'FINGERPRINT_MISMATCH',
        expected,
        actual,
      ),
    'Proxmox',
  );
}

/** The TLS refusal in `error` (or its causes), turned into advice; undefined if it is not one. */
export function tlsRefusal(error: unknown, url: string, usingCaFile: boolean): ProxmoxTlsError | undefined {
  const refusal = tlsRefusalIn(error, ProxmoxTlsError);
  if (!refusal || refusal instanceof ProxmoxTlsError) return refusal;
  const advice = usingCaFile
    ? 'check that caFile is the CA that signed this certificate and that the URL names the host the certificate is for'
    : "Proxmox's own certificate is self-signed: pin its SHA-256 fingerprint (fingerprint: 'AA:BB:…', shown under the node → System → Certificates) or give caFile (e.g. a copy of /etc/pve/pve-root-ca.pem)";
  return new ProxmoxTlsError(
    `TLS: the certificate of ${url} is not trusted (${refusal.code}: ${refusal.message}); ${advice}`,
    'UNTRUSTED',
  );
}
