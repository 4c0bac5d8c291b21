/**
 * TLS for the Guacamole client, as for the Proxmox client (lib/proxmox/tls.ts): verified by
 * default with the system CAs and the host name; `caFile` trusts that CA instead (a site CA in
 * front of nginx); `fingerprint` pins exactly one certificate (SHA-256, `AA:BB:…`), checked before
 * a request byte is written. Never by switching verification off process-wide. Plain HTTP is only
 * for the webapp on a loopback address (the gateway's own Tomcat, reached through an SSH port
 * forward): url.ts refuses anything else.
 */
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import type { Agent, buildConnector } from 'undici';
import { normalizeFingerprint } from '../proxmox/tls.js';
import { undici } from '../proxmox/lazy-deps.js';
import { GuacamoleTlsError } from './errors.js';

export interface GuacamoleTlsOptions {
  fingerprint?: string;
  caFile?: string;
  connectTimeoutMs?: number;
}

export function createGuacamoleDispatcher(options: GuacamoleTlsOptions): Agent {
  if (options.fingerprint && options.caFile)
    throw new TypeError('Guacamole connection: give either fingerprint or caFile, not both');
  const { Agent: AgentClass, buildConnector: build } = undici();
  const timeout = options.connectTimeoutMs ?? 10_000;
  // The sync reads many objects at once; a few kept-alive connections serve them (through an SSH
  // forward each is a channel on the gateway's one login).
  const connections = 6;
  if (options.fingerprint) {
    const expected = normalizeFingerprint(options.fingerprint);
    const base = build({ rejectUnauthorized: false, maxCachedSessions: 0, timeout });
    const connect: buildConnector.connector = (opts, callback) =>
      base(opts, (error, socket) => {
        if (error || !socket) return callback(error ?? new Error('no socket'), null);
        if (opts.protocol !== 'https:') return callback(null, socket);
        const actual = (socket as TLSSocket).getPeerCertificate?.()?.fingerprint256;
        if (actual?.toUpperCase() === expected) return callback(null, socket);
        socket.destroy();
        return callback(
          new GuacamoleTlsError(
            `TLS: the certificate of ${opts.hostname}:${opts.port || 443} does not match the pinned fingerprint: expected ${expected}, got ${actual ?? 'no certificate'}`,
            'FINGERPRINT_MISMATCH',
          ),
          null,
        );
      });
    return new AgentClass({ connect, connections });
  }
  const ca = options.caFile ? readFileSync(options.caFile) : undefined;
  return new AgentClass({
    connections,
    connect: { rejectUnauthorized: true, timeout, ...(ca ? { ca } : {}) },
  });
}

const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET)|ALTNAME|HOSTNAME_MISMATCH/;

/** A TLS refusal in `error` or its causes, as advice; undefined if it is not one. */
export function guacamoleTlsRefusal(error: unknown, url: string): GuacamoleTlsError | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof GuacamoleTlsError) return e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNTRUSTED.test(code))
      return new GuacamoleTlsError(
        `TLS: the certificate of ${url} is not trusted (${code}: ${(e as Error).message}); give guacamole_ca_file (the CA that signed it) or pin guacamole_tls_fingerprint`,
        'UNTRUSTED',
      );
  }
  return undefined;
}
