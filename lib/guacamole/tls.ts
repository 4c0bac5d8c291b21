/**
 * TLS for the Guacamole client, by the same mechanism as the Proxmox client's (lib/tls/dispatcher.ts): verified by
 * default with the system CAs and the host name; `caFile` trusts that CA instead (a site CA in
 * front of nginx); `fingerprint` pins exactly one certificate (SHA-256, `AA:BB:…`), checked before
 * a request byte is written. Never by switching verification off process-wide. Plain HTTP is only
 * for the webapp on a loopback address (the gateway's own Tomcat, reached through an SSH port
 * forward): url.ts refuses anything else.
 */
import type { Agent } from 'undici';
import { createTlsDispatcher, tlsRefusalIn } from '../tls/dispatcher.js';
import { GuacamoleTlsError } from './errors.js';

export interface GuacamoleTlsOptions {
  fingerprint?: string;
  caFile?: string;
  connectTimeoutMs?: number;
}

export function createGuacamoleDispatcher(options: GuacamoleTlsOptions): Agent {
  // The sync reads many objects at once; a few kept-alive connections serve them (through an SSH
  // forward each is a channel on the gateway's one login).
  return createTlsDispatcher(
    { ...options, connections: 6 },
    (where, expected, actual) =>
      new GuacamoleTlsError(
        `TLS: the certificate of ${where} does not match the pinned fingerprint: expected ${expected}, got ${actual ?? 'no certificate'}`,
        'FINGERPRINT_MISMATCH',
      ),
    'Guacamole',
  );
}

/** A TLS refusal in `error` or its causes, as advice; undefined if it is not one. */
export function guacamoleTlsRefusal(error: unknown, url: string): GuacamoleTlsError | undefined {
  const refusal = tlsRefusalIn(error, GuacamoleTlsError);
  if (!refusal || refusal instanceof GuacamoleTlsError) return refusal;
  return new GuacamoleTlsError(
    `TLS: the certificate of ${url} is not trusted (${refusal.code}: ${refusal.message}); give guacamole_ca_file (the CA that signed it) or pin guacamole_tls_fingerprint`,
    'UNTRUSTED',
  );
}
