/**
 * OpenSSH known_hosts: parsing, matching a host against its lines, and recording a new key.
 * Pure functions over text except `appendKnownHost`; the accept/refuse policy is host-key-policy.ts.
 *
 * Line forms handled: `names keytype base64 [comment]` where names is a comma list of plain
 * names, `[host]:port` (ports other than 22), wildcards `*`/`?`, negations `!pattern`, or one
 * hashed `|1|salt|hmac` name (HMAC-SHA1 of the name keyed by the salt); `@revoked` and
 * `@cert-authority` markers; `#` comments and blank lines.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KnownHostLine {
  /** 1-based line number in the file. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The raw host field (comma list or one hashed name). */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export function parseKnownHosts(text: string): KnownHostLine[] {
  const entries: KnownHostLine[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    let marker: KnownHostLine['marker'];
    if (fields[0].startsWith('@')) {
      if (fields[0] === '@revoked') marker = 'revoked';
      else if (fields[0] === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: OpenSSH skips the line too
      fields.shift();
    }
    const [hosts, keyType, keyText] = fields;
    if (!hosts || !keyType || !keyText || !/^[A-Za-z0-9+/]+=*$/.test(keyText)) return;
    const key = Buffer.from(keyText, 'base64');
    // The key blob starts with its own type name; a line where they disagree is corrupt.
    if (wireKeyType(key) !== keyType) return;
    entries.push({ line: index + 1, ...(marker ? { marker } : {}), hosts, keyType, key });
  });
  return entries;
}

/** How a host is named in known_hosts: `host`, or `[host]:port` when the port is not 22. */
export function knownHostName(host: string, port: number): string {
  const lower = host.toLowerCase(); // OpenSSH looks names up (and hashes them) in lower case
  return port === 22 ? lower : `[${lower}]:${port}`;
}

/** Whether a line's host field names `name` (as from knownHostName). */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) return hashedMatches(hosts, name);
  const lower = name.toLowerCase();
  let matched = false;
  for (const pattern of hosts.split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatch(negated ? pattern.slice(1) : pattern, lower)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

function globMatch(pattern: string, text: string): boolean {
  const source = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(text);
}

/** The type name at the start of an SSH wire-format public key (`ssh-ed25519`, …). */
export function wireKeyType(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const length = key.readUInt32BE(0);
  if (length > 64 || 4 + length > key.length) return undefined;
  return key.subarray(4, 4 + length).toString('latin1');
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export type HostKeyStatus =
  | { status: 'known'; entry: KnownHostLine }
  | { status: 'unknown' }
  | { status: 'revoked'; entry: KnownHostLine }
  /** Keys are recorded for this host but none is this one. */
  | { status: 'changed'; recorded: KnownHostLine[] };

/** What known_hosts says about `key` presented by `name` (as from knownHostName). */
export function checkHostKey(entries: KnownHostLine[], name: string, key: Buffer): HostKeyStatus {
  // A revoked key is refused whoever presents it when its line's pattern matches (usually `*`).
  const revoked = entries.find(
    (e) => e.marker === 'revoked' && e.key.equals(key) && hostFieldMatches(e.hosts, name),
  );
  if (revoked) return { status: 'revoked', entry: revoked };
  // Certificate authorities are not supported: their lines neither accept nor conflict.
  const forHost = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name));
  const match = forHost.find((e) => e.key.equals(key));
  if (match) return { status: 'known', entry: match };
  return forHost.length ? { status: 'changed', recorded: forHost } : { status: 'unknown' };
}

/** Key types recorded for `name`, to ask the server for those first (as OpenSSH does). */
export function recordedKeyTypes(entries: KnownHostLine[], name: string): string[] {
  const types = entries
    .filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

export async function readKnownHosts(file: string): Promise<KnownHostLine[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Append `name keytype base64`, creating the directory (0700) and file (0600) when missing. */
export async function appendKnownHost(file: string, name: string, key: Buffer): Promise<void> {
  const type = wireKeyType(key);
  if (!type) throw new Error('cannot record a malformed host key');
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let existing = '';
  try {
    existing = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const sep = existing && !existing.endsWith('\n') ? '\n' : '';
  // One write with O_APPEND, so hosts recorded at the same time do not interleave.
  await appendFile(file, `${sep}${name} ${type} ${key.toString('base64')}\n`, { mode: 0o600 });
}
