/**
 * Whether to trust the key an SSH server presents: OpenSSH's rules with Ansible's switches.
 * Known key: accept. Unknown: refuse, or with acceptNewHostKeys record it and accept. Changed
 * or revoked: always refuse. hostKeyChecking false: accept anything, record nothing.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  knownHostName,
  readKnownHosts,
  wireKeyType,
} from './known-hosts.js';
import type { SshSettings } from './types.js';

export interface HostKeyQuery {
  /** For messages: `h1 (10.231.0.2)`, or `10.231.0.2` when name and address are the same. */
  label: string;
  /** Address actually connected to, and its port: the known_hosts name. */
  address: string;
  port: number;
}

export type HostKeyDecision = { accept: true; recorded?: string } | { accept: false; message: string };

export function defaultKnownHostsFile(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}

export async function decideHostKey(
  key: Buffer,
  query: HostKeyQuery,
  settings: Pick<SshSettings, 'knownHostsFile' | 'acceptNewHostKeys' | 'hostKeyChecking'>,
): Promise<HostKeyDecision> {
  if (!settings.hostKeyChecking) return { accept: true };
  const file = settings.knownHostsFile ?? defaultKnownHostsFile();
  const name = knownHostName(query.address, query.port);
  const type = wireKeyType(key) ?? 'unknown';
  const print = fingerprint(key);
  const verdict = checkHostKey(await readKnownHosts(file), name, key);
  switch (verdict.status) {
    case 'known':
      return { accept: true };
    case 'revoked':
      return {
        accept: false,
        message: `host key for ${query.label} (${type} ${print}) is marked @revoked in ${file}:${verdict.entry.line}; refusing to connect`,
      };
    case 'changed': {
      const recorded = verdict.recorded
        .map((e) => `  ${file}:${e.line}: ${e.keyType} ${fingerprint(e.key)}`)
        .join('\n');
      return {
        accept: false,
        message: [
          `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for ${query.label}!`,
          'Someone could be eavesdropping on you right now (man-in-the-middle attack),',
          'or the host key has just been changed.',
          `The ${type} key sent by the remote host has fingerprint ${print}.`,
          `The key(s) recorded for ${name} in known_hosts:`,
          recorded,
          `Refusing to connect. If the host was reinstalled, remove the old key with: ssh-keygen -f ${file} -R '${name}'`,
        ].join('\n'),
      };
    }
    case 'unknown':
      if (!settings.acceptNewHostKeys) {
        return {
          accept: false,
          message: `host key for ${query.label} is not known; check its fingerprint (${print}) and rerun with --accept-new-host-keys to trust and record it`,
        };
      }
      await appendKnownHost(file, name, key);
      return { accept: true, recorded: `${file}: ${name} ${type} ${print}` };
  }
}
