/**
 * NovaStation's vault format: a round trip, fresh salt and nonce per write, 0600 atomic files,
 * and every way a file can be wrong refused with its own message — a wrong passphrase, a byte
 * flipped in the ciphertext, the salt or the header, a deliberate edit with the checksum
 * recomputed, KDF parameters below the floor.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decryptNovastation,
  encryptNovastation,
  inspectNovastation,
  MIN_SCRYPT_N,
} from '../../lib/vault/novastation-format.js';
import { VaultError } from '../../lib/vault/errors.js';
import { readVaultFile, writeVaultFile } from '../../lib/vault/index.js';
import { Secret } from '../../lib/secret.js';

const FAST = { scrypt: { N: MIN_SCRYPT_N, r: 8, p: 1 } };
const PASS = 'correct horse battery staple';
const PLAINTEXT = 'db_password: "s3cr3t ünïcödé \\"quoted\\""\napi_token: abc123\n';

/** The body bytes of a vault text, and a way to put modified ones back (checksum left as is). */
function body(text: string): { header: string; bytes: Buffer; with(bytes: Buffer, header?: string): string } {
  const [header, ...rest] = text.trimEnd().split('\n');
  const bytes = Buffer.from(rest.join(''), 'base64');
  return { header: header!, bytes, with: (b, h = header!) => `${h}\n${b.toString('base64')}\n` };
}
const SALT_AT = 0;
const CIPHERTEXT_AT = 16 + 12 + 16;

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

/** Recompute the (unkeyed) checksum, as a deliberate attacker would. */
function resum(header: string, bytes: Buffer): string {
  const unsummed = bytes.subarray(0, bytes.length - 32);
  const sum = createHash('sha256').update(`${header}\n`).update(unsummed).digest();
  return `${header}\n${Buffer.concat([unsummed, sum]).toString('base64')}\n`;
}

async function refusal(promise: Promise<unknown>): Promise<VaultError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(VaultError);
    return error as VaultError;
  }
  throw new Error('expected the vault to be refused');
}

describe('NovaStation vault format', () => {
  it('round-trips, with its parameters in a versioned header and fresh salt and nonce per write', async () => {
    const a = await encryptNovastation(PLAINTEXT, PASS, FAST);
    const b = await encryptNovastation(PLAINTEXT, PASS, FAST);
    expect(a.split('\n')[0]).toBe('$NOVASTATION_VAULT;1;scrypt;N=32768,r=8,p=1;aes-256-gcm');
    expect(a).not.toContain('s3cr3t');
    expect(a).not.toBe(b);
    const pa = inspectNovastation(a, 'a');
    const pb = inspectNovastation(b, 'b');
    expect(pa.salt.equals(pb.salt)).toBe(false);
    expect(pa.nonce.equals(pb.nonce)).toBe(false);
    expect((await decryptNovastation(a, [PASS], 'a')).plaintext.toString()).toBe(PLAINTEXT);
    // Several passphrases: the one that opens it is found and reported.
    const d = await decryptNovastation(b, ['nope', PASS], 'b');
    expect(d.passphraseIndex).toBe(1);
    expect(d.plaintext.toString()).toBe(PLAINTEXT);
  });

  it('uses scrypt N=2^17 by default and refuses to write below 2^15', async () => {
    const text = await encryptNovastation('x: "y"\n', PASS);
    expect(text.split('\n')[0]).toContain('N=131072,r=8,p=1');
    const e = await refusal(encryptNovastation('x', PASS, { scrypt: { N: 2 ** 14, r: 8, p: 1 } }));
    expect(e.message).toMatch(/N=16384 is not allowed/);
  });

  it('a wrong passphrase is refused as such, and says the file is intact', async () => {
    const text = await encryptNovastation(PLAINTEXT, PASS, FAST);
    const e = await refusal(decryptNovastation(text, ['wrong passphrase'], 'secrets.vault'));
    expect(e.code).toBe('wrong-passphrase');
    expect(e.message).toMatch(/^secrets\.vault: wrong vault passphrase/);
    expect(e.message).toContain('intact');
  });

  it('a byte flipped in the ciphertext, the salt or the header is refused as damaged, before any passphrase is tried', async () => {
    const text = await encryptNovastation(PLAINTEXT, PASS, FAST);
    const b = body(text);
    const cases = {
      ciphertext: b.with(flip(b.bytes, CIPHERTEXT_AT + 3)),
      salt: b.with(flip(b.bytes, SALT_AT + 5)),
      header: b.with(b.bytes, b.header.replace('N=32768', 'N=65536')),
      'GCM tag': b.with(flip(b.bytes, b.bytes.length - 32 - 1)),
    };
    for (const [what, tampered] of Object.entries(cases)) {
      // Even the right passphrase does not open it, and the message is about the file, not the passphrase.
      const e = await refusal(decryptNovastation(tampered, [PASS], 'secrets.vault'));
      expect(e.code, what).toBe('damaged');
      expect(e.message, what).toMatch(/damaged or was modified/);
      expect(e.message, what).not.toMatch(/passphrase/);
    }
  });

  it('a header edited into an unknown version or cipher is refused as a format problem', async () => {
    const text = await encryptNovastation(PLAINTEXT, PASS, FAST);
    const b = body(text);
    const v2 = await refusal(
      decryptNovastation(b.with(b.bytes, b.header.replace(';1;', ';2;')), [PASS], 'f'),
    );
    expect(v2.code).toBe('format');
    expect(v2.message).toMatch(
      /unsupported vault format version "2".*newer NovaStation, or the first line was modified/,
    );
    const cipher = await refusal(
      decryptNovastation(resum(b.header.replace('aes-256-gcm', 'aes-128-cbc'), b.bytes), [PASS], 'f'),
    );
    expect(cipher.code).toBe('format');
    expect(cipher.message).toMatch(/malformed vault header/);
    const notVault = await refusal(decryptNovastation('hello: world\n', [PASS], 'f'));
    expect(notVault.message).toMatch(/not a NovaStation vault/);
  });

  it('a deliberate edit with the checksum recomputed: GCM refuses it, reported as tampered (right passphrase) or wrong passphrase (salt)', async () => {
    const text = await encryptNovastation(PLAINTEXT, PASS, FAST);
    const b = body(text);
    const content = await refusal(
      decryptNovastation(resum(b.header, flip(b.bytes, CIPHERTEXT_AT)), [PASS], 'secrets.vault'),
    );
    expect(content.code).toBe('tampered');
    expect(content.message).toMatch(/failed authentication although the passphrase is right/);
    // The header is GCM's additional data: changing it (with a valid checksum) is caught too.
    const header = await refusal(
      decryptNovastation(resum(b.header.replace('N=32768', 'N=65536'), b.bytes), [PASS], 'f'),
    );
    expect(['wrong-passphrase', 'tampered']).toContain(header.code);
    // A changed salt derives another key: indistinguishable from a wrong passphrase, and refused.
    const salt = await refusal(decryptNovastation(resum(b.header, flip(b.bytes, SALT_AT)), [PASS], 'f'));
    expect(salt.code).toBe('wrong-passphrase');
  });

  it('refuses KDF parameters outside the allowed range even when the checksum matches', async () => {
    const text = await encryptNovastation(PLAINTEXT, PASS, FAST);
    const b = body(text);
    const weak = await refusal(
      decryptNovastation(resum(b.header.replace('N=32768', 'N=1024'), b.bytes), [PASS], 'f'),
    );
    expect(weak.code).toBe('format');
    expect(weak.message).toMatch(/N=1024 is not allowed/);
    const huge = await refusal(
      decryptNovastation(resum(b.header.replace('N=32768', 'N=1073741824'), b.bytes), [PASS], 'f'),
    );
    expect(huge.message).toMatch(/is not allowed/);
  });

  it('truncated or non-base64 bodies are refused as damaged', async () => {
    const text = await encryptNovastation(PLAINTEXT, PASS, FAST);
    const lines = text.trimEnd().split('\n');
    const truncated = await refusal(
      decryptNovastation(`${lines[0]}\n${lines[1]!.slice(0, 20)}\n`, [PASS], 'f'),
    );
    expect(truncated.code).toBe('damaged');
    const garbage = await refusal(decryptNovastation(`${lines[0]}\n${lines[1]}!!\n`, [PASS], 'f'));
    expect(garbage.code).toBe('damaged');
  });

  it('writes vault files atomically with mode 0600 and reads them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-vault-fmt-'));
    const file = join(dir, 'secrets.vault');
    const password = { secret: new Secret(PASS), source: 'test' };
    await writeVaultFile(file, PLAINTEXT, password, FAST);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await writeVaultFile(file, `${PLAINTEXT}more: "x"\n`, password, FAST);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['secrets.vault']); // no temp file left behind
    const opened = await readVaultFile(file, [password]);
    expect(opened.format).toBe('novastation');
    expect(opened.plaintext.toString()).toBe(`${PLAINTEXT}more: "x"\n`);
    expect(readFileSync(file, 'utf8')).not.toContain('s3cr3t');
  });
});
