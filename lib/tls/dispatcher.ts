/**
 * TLS for the API clients (Proxmox, Guacamole): one undici Agent per client, verified by default
 * and never by switching verification off process-wide.
 *
 * - no option: the system CAs and the host name, as any HTTPS client;
 * - `caFile`: that CA instead;
 * - `fingerprint`: exactly the certificate with that SHA-256 fingerprint. Chain and name checks
 *   cannot pass for a self-signed certificate, so the connector lets the handshake finish
 *   unverified, compares the peer certificate's fingerprint, and hands the socket to undici only
 *   if it matches — no request byte is written to a server that did not present the pinned
 *   certificate. Session resumption is off for pinned connections, so every connection shows its
 *   certificate. A plain-HTTP socket (the clients allow it only to loopback) has none to check.
 */
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import type { Agent, buildConnector } from 'undici';
import { undici } from '../proxmox/lazy-deps.js';

/** A SHA-256 fingerprint in the `AA:BB:…` upper-case form, from any case/separator. */
export function normalizeFingerprint(text: string, what = 'TLS'): string {
  const hex = text.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new TypeError(
      `${what} fingerprint "${text}" is not a SHA-256 fingerprint (64 hex digits, optionally separated by ":")`,
    );
  }
  return hex.match(/../g)!.join(':');
}

export interface TlsOptions {
  fingerprint?: string;
  caFile?: string;
  /** TCP + TLS handshake timeout (undici's default is 10 s). */
  connectTimeoutMs?: number;
  /** Connections kept per origin (undici's default: unlimited). */
  connections?: number;
}

/** The error for a certificate that does not match the pin (`where` is host:port). */
export type PinMismatch = (where: string, expected: string, actual: string | undefined) => Error;

export function createTlsDispatcher(options: TlsOptions, mismatch: PinMismatch, what = 'TLS'): Agent {
  if (options.fingerprint && options.caFile)
    throw new TypeError(
      `${what} connection: give either fingerprint (pin the certificate) or caFile (trust a CA), not both`,
    );
  const { Agent: AgentClass, buildConnector: build } = undici();
  const timeout = options.connectTimeoutMs ?? 10_000;
  const pool = options.connections !== undefined ? { connections: options.connections } : {};
  if (options.fingerprint) {
    const expected = normalizeFingerprint(options.fingerprint, what);
    const base = build({ rejectUnauthorized: false, maxCachedSessions: 0, timeout });
    const connect: buildConnector.connector = (opts, callback) =>
      base(opts, (error, socket) => {
        if (error || !socket) return callback(error ?? new Error('no socket'), null);
        if (opts.protocol === 'http:') return callback(null, socket);
        const actual = (socket as TLSSocket).getPeerCertificate?.()?.fingerprint256;
        if (actual?.toUpperCase() === expected) return callback(null, socket);
        socket.destroy();
        return callback(mismatch(`${opts.hostname}:${opts.port || 443}`, expected, actual), null);
      });
    return new AgentClass({ connect, ...pool });
  }
  const ca = options.caFile ? readFileSync(options.caFile) : undefined;
  return new AgentClass({ ...pool, connect: { rejectUnauthorized: true, timeout, ...(ca ? { ca } : {}) } });
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

/**
 * In `error` or its causes: an error of class `known` (a refusal already explained), or the
 * verification failure Node reported (its code and message); undefined if TLS did not refuse.
 */
export function tlsRefusalIn<E extends Error>(
  error: unknown,
  known: abstract new (...args: never[]) => E,
): E | { code: string; message: string } | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof known) return e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNTRUSTED_CODES.has(code)) return { code, message: (e as Error).message };
  }
  return undefined;
}
