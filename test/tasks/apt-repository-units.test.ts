// aptRepository's pure parts: key handling, source rendering, probe parsing, planning, options.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dearmor, isArmored, keyringBytes } from '../../tasks/packages/apt-keyring.js';
import { parseRepositoryFacts } from '../../tasks/packages/apt-repository-facts.js';
import { aptRepository, planEntry } from '../../tasks/packages/apt-repository.js';
import { renderDeb822, renderOneLine } from '../../tasks/packages/apt-sources.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/apt/${name}`, import.meta.url));
const armored = fixture('repo-key.asc').toString('utf8');
/** `gpg --dearmor` of the same key, captured on a test host. */
const binary = fixture('repo-key.gpg');

describe('apt keyrings', () => {
  it('dearmors exactly as gpg --dearmor does', () => {
    expect(isArmored(armored)).toBe(true);
    expect(dearmor(armored).equals(binary)).toBe(true);
    expect(keyringBytes(armored, '/etc/apt/keyrings/x.gpg').equals(binary)).toBe(true);
  });

  it('stores armored text as is for .asc, binary as is for .gpg', () => {
    expect(keyringBytes(armored, '/etc/apt/keyrings/x.asc').toString('utf8')).toBe(armored);
    expect(keyringBytes(binary, '/etc/apt/keyrings/x.gpg').equals(binary)).toBe(true);
  });

  it('concatenates several armored keys', () => {
    expect(dearmor(`${armored}\n${armored}`).equals(Buffer.concat([binary, binary]))).toBe(true);
  });

  it('refuses private keys, damaged armor, binary for .asc, and non-keys', () => {
    expect(() =>
      keyringBytes(
        '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nabc\n-----END PGP PRIVATE KEY BLOCK-----',
        '/k.asc',
      ),
    ).toThrow(/PRIVATE key/);
    const damaged = armored.replace(/^(=)(.)/m, (_, eq: string, c: string) => eq + (c === 'A' ? 'B' : 'A'));
    expect(damaged).not.toBe(armored);
    expect(() => keyringBytes(damaged, '/k.asc')).toThrow(/CRC-24/);
    expect(() => keyringBytes(binary, '/k.asc')).toThrow(/must be ASCII-armored/);
    expect(() => keyringBytes('hello', '/k.gpg')).toThrow(
      /neither an ASCII-armored public key block nor binary/,
    );
    expect(() => keyringBytes(armored.replace('-----END PGP PUBLIC KEY BLOCK-----', ''), '/k.asc')).toThrow(
      /without/,
    );
  });
});

describe('apt sources', () => {
  const spec = {
    types: ['deb' as const],
    uris: ['https://deb.example.org/debian'],
    suites: ['bookworm'],
    components: ['main', 'contrib'],
    architectures: ['amd64'],
    signedBy: '/etc/apt/keyrings/ex.asc',
  };

  it('renders deb822', () => {
    expect(renderDeb822(spec)).toBe(
      '# Managed by NovaStation: local changes are overwritten.\nTypes: deb\nURIs: https://deb.example.org/debian\nSuites: bookworm\nComponents: main contrib\nArchitectures: amd64\nSigned-By: /etc/apt/keyrings/ex.asc\n',
    );
    expect(
      renderDeb822({
        ...spec,
        suites: ['./'],
        components: [],
        architectures: [],
        signedBy: undefined,
      } as never),
    ).not.toMatch(/Components|Architectures|Signed-By/);
  });

  it('renders one-line, one line per type, URI and suite', () => {
    expect(
      renderOneLine({ ...spec, types: ['deb', 'deb-src'] })
        .split('\n')
        .slice(1),
    ).toEqual([
      'deb [arch=amd64 signed-by=/etc/apt/keyrings/ex.asc] https://deb.example.org/debian bookworm main contrib',
      'deb-src [arch=amd64 signed-by=/etc/apt/keyrings/ex.asc] https://deb.example.org/debian bookworm main contrib',
      '',
    ]);
  });
});

describe('apt repository probe and plan', () => {
  it('parses file lines and the source text', () => {
    const text = Buffer.from('Types: deb\n').toString('base64');
    const facts = parseRepositoryFacts(
      `644 root root ${'a'.repeat(64)}\n-\nother\n@@ns-apt-source\n${text}`,
      3,
    );
    expect(facts.files).toEqual([
      { kind: 'file', mode: '0644', owner: 'root', group: 'root', sha256: 'a'.repeat(64) },
      { kind: 'absent' },
      { kind: 'other' },
    ]);
    expect(facts.sourceText).toBe('Types: deb\n');
    expect(() => parseRepositoryFacts('-\n@@ns-apt-source\n', 2)).toThrow(/expected 2 file lines/);
  });

  it('plans create, content, mode, owner and removal, as typed changes with their lines', () => {
    const want = Buffer.from('x\n');
    const source = { role: 'source', path: '/s', want } as const;
    const leftover = { role: 'leftover', path: '/l' } as const;
    const typed = { kind: 'file', role: 'source', path: '/s' };
    expect(planEntry(source, { kind: 'absent' })).toEqual([
      { ...typed, aspect: 'state', field: 'source /s', from: 'absent', to: 'created' },
    ]);
    expect(
      planEntry(source, { kind: 'file', mode: '0600', owner: 'root', group: 'adm', sha256: 'b'.repeat(64) }),
    ).toEqual([
      {
        ...typed,
        aspect: 'content',
        field: 'source /s',
        from: 'sha256:bbbbbbbbbbbb',
        to: 'sha256:73cb3858a687',
      },
      { ...typed, aspect: 'mode', field: 'source /s mode', from: '0600', to: '0644' },
      { ...typed, aspect: 'owner', field: 'source /s owner', from: 'root:adm', to: 'root:root' },
    ]);
    expect(planEntry(leftover, { kind: 'file' })).toEqual([
      {
        kind: 'file',
        role: 'leftover',
        path: '/l',
        aspect: 'state',
        field: 'leftover /l',
        from: 'present',
        to: 'absent',
      },
    ]);
    expect(planEntry(leftover, { kind: 'absent' })).toEqual([]);
    expect(() => planEntry(source, { kind: 'other' })).toThrow(/not a regular file/);
  });
});

describe('aptRepository options', () => {
  const ok = { name: 'ex', uris: 'https://deb.example.org/debian', suites: 'bookworm', components: ['main'] };
  it('refuses bad options before touching the host', () => {
    const host = null as never;
    expect(() => aptRepository(host, { ...ok, name: 'my repo' })).toThrow(
      /aptRepository: name must be letters/,
    );
    expect(() => aptRepository(host, { ...ok, name: '../etc/x' })).toThrow(/aptRepository: name/);
    expect(() => aptRepository(host, { ...ok, uris: 'deb.example.org/debian' })).toThrow(
      /aptRepository: uris must be URIs/,
    );
    expect(() => aptRepository(host, { ...ok, uris: [] })).toThrow(/aptRepository: uris must not be empty/);
    expect(() => aptRepository(host, { ...ok, components: [] })).toThrow(/components are required/);
    expect(() => aptRepository(host, { ...ok, suites: './' })).toThrow(
      /components must be empty for a flat repository/,
    );
    expect(() => aptRepository(host, { ...ok, suites: 'bookworm main' })).toThrow(/suites must be a word/);
    expect(() => aptRepository(host, { ...ok, types: ['rpm' as never] })).toThrow(
      /aptRepository: types\.0 must be one of "deb", "deb-src", got "rpm"/,
    );
    expect(() => aptRepository(host, { ...ok, types: [] })).toThrow(/types must be a non-empty array/);
    expect(() => aptRepository(host, { ...ok, components: ['main', 'a b'] })).toThrow(
      /aptRepository: components\.1 must be a word \(no spaces/,
    );
    expect(() => aptRepository(host, { ...ok, architectures: ['AMD64'] })).toThrow(
      /architectures\.0 must be a Debian architecture name/,
    );
    expect(() => aptRepository(host, { name: 'ex', suites: 'bookworm', components: ['main'] })).toThrow(
      /aptRepository: uris are required unless state is "absent"/,
    );
    expect(() => aptRepository(host, { ...ok, keyring: '/etc/apt/keyrings/ex.key' })).toThrow(
      /keyring must be an absolute path ending in .asc or .gpg/,
    );
    expect(() => aptRepository(host, { ...ok, key: 'not a key' })).toThrow(/aptRepository: key is neither/);
    expect(() => aptRepository(host, { ...ok, key: binary, keyring: '/etc/apt/keyrings/ex.asc' })).toThrow(
      /aptRepository: key must be ASCII-armored/,
    );
    expect(() => aptRepository(host, { ...ok, state: 'enabled' as never })).toThrow(
      /state must be "present" or "absent"/,
    );
    expect(() => aptRepository(host, { ...ok, format: 'yaml' as never })).toThrow(/format must be/);
  });
});
