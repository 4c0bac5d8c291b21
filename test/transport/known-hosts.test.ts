// known_hosts parsing and the accept/refuse policy, on fixture files (no network).
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideHostKey } from '../../lib/transport/host-key-policy.js';
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  hostFieldMatches,
  knownHostName,
  parseKnownHosts,
  recordedKeyTypes,
} from '../../lib/transport/known-hosts.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const key = async (name: string): Promise<Buffer> =>
  Buffer.from((await readFile(join(fixtures, `${name}.pub`), 'utf8')).split(' ')[1]!, 'base64');

describe('parseKnownHosts', () => {
  it('reads plain, listed, bracketed, hashed, wildcard and marker lines, skipping junk', async () => {
    const entries = parseKnownHosts(await readFile(join(fixtures, 'known_hosts'), 'utf8'));
    expect(entries.map((e) => [e.line, e.marker ?? '', e.keyType])).toEqual([
      [3, '', 'ssh-ed25519'],
      [4, '', 'ssh-ed25519'],
      [5, '', 'ssh-ed25519'],
      [6, '', 'ssh-ed25519'],
      [7, '', 'ssh-ed25519'],
      [8, '', 'ecdsa-sha2-nistp256'],
      [9, 'revoked', 'ssh-rsa'],
      [10, 'cert-authority', 'ssh-ed25519'],
      [11, '', 'ecdsa-sha2-nistp256'],
      [12, '', 'ssh-ed25519'],
      // 13 is not base64, 14's type disagrees with its key, 15 has an unknown marker
      [16, '', 'ssh-ed25519'],
    ]);
  });
});

describe('host matching', () => {
  it('matches comma lists case-insensitively, brackets for other ports, wildcards and negations', () => {
    expect(hostFieldMatches('alias1,Alias2,10.0.0.7', 'alias2')).toBe(true);
    expect(hostFieldMatches('alias1,Alias2,10.0.0.7', '10.0.0.7')).toBe(true);
    expect(hostFieldMatches('alias1,Alias2,10.0.0.7', '10.0.0.70')).toBe(false);
    expect(hostFieldMatches('[ported.example.org]:2222', knownHostName('ported.example.org', 2222))).toBe(
      true,
    );
    expect(hostFieldMatches('[ported.example.org]:2222', knownHostName('ported.example.org', 22))).toBe(
      false,
    );
    expect(hostFieldMatches('*.wild.example.org,!bad.wild.example.org', 'a.wild.example.org')).toBe(true);
    expect(hostFieldMatches('*.wild.example.org,!bad.wild.example.org', 'bad.wild.example.org')).toBe(false);
    expect(hostFieldMatches('h?.lab', 'h1.lab')).toBe(true);
  });

  it('matches hashed names (HMAC-SHA1 with the salt), with and without a port', () => {
    const hashed = '|1|Sd5m2enW38h5vVF9rMh2XQ3frek=|zpfzfuQuvlRjf97+r+GRiGs2aZk=';
    expect(hostFieldMatches(hashed, 'hashed.example.org')).toBe(true);
    expect(hostFieldMatches(hashed, 'other.example.org')).toBe(false);
    expect(
      hostFieldMatches(
        '|1|83lu915NCoSpGxDWGCxkIRsiGjI=|Si2MEawKojo1iRAA4m6yzXQT0Bk=',
        knownHostName('HASHED.example.org', 2222),
      ),
    ).toBe(true);
  });

  it('fingerprints like ssh-keygen -l', async () => {
    expect(fingerprint(await key('ka'))).toBe('SHA256:8YOpGX99Us89EomNcsnPaQQd3C2aRRb0EoilhRWn9X0');
    expect(fingerprint(await key('kr'))).toBe('SHA256:UQ7d6JSvGxhiCz0lhXFaYYKXGNpKK1ksCjzcxWtjmYY');
  });
});

describe('checkHostKey', () => {
  let entries: ReturnType<typeof parseKnownHosts>;
  beforeEach(async () => {
    entries = parseKnownHosts(await readFile(join(fixtures, 'known_hosts'), 'utf8'));
  });

  it('knows recorded keys, in every form of line', async () => {
    expect(checkHostKey(entries, 'plain.example.org', await key('ka')).status).toBe('known');
    expect(checkHostKey(entries, '10.0.0.7', await key('kb')).status).toBe('known');
    expect(checkHostKey(entries, '[ported.example.org]:2222', await key('kb')).status).toBe('known');
    expect(checkHostKey(entries, 'hashed.example.org', await key('kc')).status).toBe('known');
    expect(checkHostKey(entries, '[hashed.example.org]:2222', await key('kd')).status).toBe('known');
    expect(checkHostKey(entries, 'x.wild.example.org', await key('ke')).status).toBe('known');
    expect(checkHostKey(entries, 'indented.example.org', await key('kb')).status).toBe('known');
    expect(checkHostKey(entries, 'multi.example.org', await key('kc')).status).toBe('known');
  });

  it('reports unknown hosts, and ignores cert-authority lines and negated names', async () => {
    expect(checkHostKey(entries, 'new.example.net', await key('ka')).status).toBe('unknown');
    expect(checkHostKey(entries, 'ca.example.org', await key('ka')).status).toBe('unknown');
    expect(checkHostKey(entries, 'bad.wild.example.org', await key('ke')).status).toBe('unknown');
    expect(checkHostKey(entries, 'plain.example.org:22', await key('ka')).status).toBe('unknown');
  });

  it('reports a different key as changed, listing every recorded line', async () => {
    const verdict = checkHostKey(entries, 'multi.example.org', await key('ka'));
    expect(verdict.status).toBe('changed');
    expect(verdict.status === 'changed' && verdict.recorded.map((e) => e.line)).toEqual([11, 12]);
    expect(checkHostKey(entries, 'hashed.example.org', await key('kd')).status).toBe('changed');
  });

  it('refuses revoked keys for any host', async () => {
    expect(checkHostKey(entries, 'anything.example.net', await key('kr')).status).toBe('revoked');
  });

  it('lists the key types recorded for a host', () => {
    expect(recordedKeyTypes(entries, 'multi.example.org')).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    expect(recordedKeyTypes(entries, 'nothing.example.org')).toEqual([]);
  });
});

describe('decideHostKey and recording', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ns-kh-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const query = { label: 'h1 (10.231.0.2)', address: '10.231.0.2', port: 22 };

  it('refuses an unknown key naming the option and the fingerprint', async () => {
    const knownHostsFile = join(dir, 'known_hosts');
    const decision = await decideHostKey(await key('ka'), query, {
      knownHostsFile,
      acceptNewHostKeys: false,
      hostKeyChecking: true,
    });
    expect(decision).toEqual({
      accept: false,
      message:
        'host key for h1 (10.231.0.2) is not known; check its fingerprint (SHA256:8YOpGX99Us89EomNcsnPaQQd3C2aRRb0EoilhRWn9X0) and rerun with --accept-new-host-keys to trust and record it',
    });
  });

  it('records a new key with accept-new (creating .ssh 0700 and the file 0600), then knows it', async () => {
    const knownHostsFile = join(dir, 'home', '.ssh', 'known_hosts');
    const settings = { knownHostsFile, acceptNewHostKeys: true, hostKeyChecking: true };
    expect((await decideHostKey(await key('ka'), { ...query, port: 2222 }, settings)).accept).toBe(true);
    expect(await readFile(knownHostsFile, 'utf8')).toBe(
      `[10.231.0.2]:2222 ssh-ed25519 ${(await key('ka')).toString('base64')}\n`,
    );
    expect((await stat(join(dir, 'home', '.ssh'))).mode & 0o777).toBe(0o700);
    expect((await stat(knownHostsFile)).mode & 0o777).toBe(0o600);
    const strict = { ...settings, acceptNewHostKeys: false };
    expect((await decideHostKey(await key('ka'), { ...query, port: 2222 }, strict)).accept).toBe(true);
  });

  it('refuses a changed key even with accept-new, naming both fingerprints, the file and the line', async () => {
    const knownHostsFile = join(dir, 'known_hosts');
    await writeFile(
      knownHostsFile,
      `# header\n10.231.0.2 ssh-ed25519 ${(await key('kb')).toString('base64')}`,
    );
    const decision = await decideHostKey(await key('ka'), query, {
      knownHostsFile,
      acceptNewHostKeys: true,
      hostKeyChecking: true,
    });
    expect(decision.accept).toBe(false);
    const message = decision.accept ? '' : decision.message;
    expect(message).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED for h1 (10.231.0.2)');
    expect(message).toContain('SHA256:8YOpGX99Us89EomNcsnPaQQd3C2aRRb0EoilhRWn9X0');
    expect(message).toContain(
      `${knownHostsFile}:2: ssh-ed25519 SHA256:DAYqy3yTE8RYCkQgZ6ZA8yFsGIXGHp77STCEVXaztWE`,
    );
    expect(await readFile(knownHostsFile, 'utf8')).not.toContain((await key('ka')).toString('base64'));
  });

  it('appends on a new line when the file lacks a final newline', async () => {
    const file = join(dir, 'known_hosts');
    await writeFile(file, 'a.example ssh-ed25519 AAAA');
    await appendKnownHost(file, 'b.example', await key('kc'));
    expect((await readFile(file, 'utf8')).split('\n')[1]).toMatch(/^b\.example ssh-ed25519 /);
  });

  it('accepts anything and records nothing with host key checking off', async () => {
    const knownHostsFile = join(dir, 'known_hosts');
    await writeFile(knownHostsFile, `10.231.0.2 ssh-ed25519 ${(await key('kb')).toString('base64')}\n`);
    const settings = { knownHostsFile, acceptNewHostKeys: false, hostKeyChecking: false };
    expect(await decideHostKey(await key('ka'), query, settings)).toEqual({ accept: true });
    expect(await decideHostKey(await key('ka'), { ...query, address: 'new' }, settings)).toEqual({
      accept: true,
    });
    expect((await readFile(knownHostsFile, 'utf8')).trim().split('\n')).toHaveLength(1);
  });
});
