/**
 * NovaStation's own vault format, version 1: AES-256-GCM with a key from scrypt, both from
 * node:crypto. A file is text:
 *
 *   $NOVASTATION_VAULT;1;scrypt;N=131072,r=8,p=1;aes-256-gcm
 *   <base64 of BODY, 64 characters per line>
 *
 *   BODY = salt (16) ‖ nonce (12) ‖ keyCheck (16) ‖ ciphertext (n) ‖ tag (16) ‖ checksum (32)
 *
 *   keyMaterial = scrypt(NFC(passphrase) as UTF-8, salt, 64 bytes, N, r, p)
 *   encKey      = keyMaterial[0..32]          (AES-256-GCM key)
 *   checkKey    = keyMaterial[32..64]
 *   keyCheck    = HMAC-SHA256(checkKey, "NOVASTATION_VAULT key check v1")[0..16]
 *   ciphertext, tag = AES-256-GCM(encKey, nonce, plaintext, AAD = the header line's bytes)
 *   checksum    = SHA-256(header line ‖ "\n" ‖ BODY without checksum)
 *
 * Salt and nonce are fresh random bytes on every write. The KDF parameters live in the header
 * (authenticated as GCM's additional data), so they can be raised later without a new version.
 *
 * Telling failures apart honestly (GCM alone only says "authentication failed"):
 * 1. checksum mismatch → `damaged`: bytes changed since writing (a flipped bit, a bad merge, an
 *    edit of the salt, header or ciphertext). Needs no passphrase. The checksum is unkeyed: it is
 *    a diagnosis, not a defence — anyone can recompute it; GCM is the defence.
 * 2. checksum fine, key check fails for every passphrase → `wrong-passphrase`.
 * 3. key check passes, GCM fails → `tampered`: someone changed the content and recomputed the
 *    checksum on purpose. Nothing is decrypted.
 * The key check lets a guesser test a passphrase without the GCM step, which gains them nothing:
 * each guess still costs a full scrypt.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';
import { VaultError } from './errors.js';

export const NOVASTATION_MAGIC = '$NOVASTATION_VAULT';
export const FORMAT_VERSION = '1';
const CIPHER = 'aes-256-gcm';
const KDF = 'scrypt';

const SALT = 16;
const NONCE = 12;
const KEY_CHECK = 16;
const TAG = 16;
const CHECKSUM = 32;
const KEY_CHECK_LABEL = 'NOVASTATION_VAULT key check v1';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** The default cost: 128 MiB and ~0.3–0.8 s per derivation. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
/** Below this a file is refused (and never written). */
export const MIN_SCRYPT_N = 2 ** 15;
/** Lowers (or raises) the cost of new writes, within the allowed range: for tests and slow machines. */
export const SCRYPT_N_ENV = 'NOVASTATION_VAULT_SCRYPT_N';
/** Above these a file is refused, so a crafted header cannot make us allocate gigabytes. */
const MAX_SCRYPT_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

export interface NovastationHeader {
  line: string;
  version: string;
  scrypt: ScryptParams;
}

export function isNovastationVault(text: string): boolean {
  return text.startsWith(`${NOVASTATION_MAGIC};`);
}

function checkParams(params: ScryptParams, where: string): void {
  const { N, r, p } = params;
  const powerOfTwo = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N < MIN_SCRYPT_N || N > MAX_SCRYPT_N) {
    throw new VaultError(
      'format',
      `${where}: scrypt N=${N} is not allowed (a power of two from 2^15 to 2^20)`,
    );
  }
  if (!Number.isInteger(r) || r < 8 || r > MAX_R)
    throw new VaultError('format', `${where}: scrypt r=${r} is not allowed (8 to ${MAX_R})`);
  if (!Number.isInteger(p) || p < 1 || p > MAX_P)
    throw new VaultError('format', `${where}: scrypt p=${p} is not allowed (1 to ${MAX_P})`);
}

/** The parameters for new writes: DEFAULT_SCRYPT, or N from NOVASTATION_VAULT_SCRYPT_N. */
export function writeScrypt(env: NodeJS.ProcessEnv = process.env): ScryptParams {
  const value = env[SCRYPT_N_ENV];
  if (!value) return DEFAULT_SCRYPT;
  const params = { ...DEFAULT_SCRYPT, N: Number(value) };
  checkParams(params, SCRYPT_N_ENV);
  return params;
}

export function formatHeader(params: ScryptParams): string {
  return `${NOVASTATION_MAGIC};${FORMAT_VERSION};${KDF};N=${params.N},r=${params.r},p=${params.p};${CIPHER}`;
}

export function parseHeader(line: string, where: string): NovastationHeader {
  const parts = line.split(';');
  if (parts[0] !== NOVASTATION_MAGIC)
    throw new VaultError(
      'format',
      `${where}: not a NovaStation vault (the first line must start with ${NOVASTATION_MAGIC};)`,
    );
  const [, version, kdf, params, cipher, ...rest] = parts;
  checkVersion(version, where);
  if (kdf !== KDF || cipher !== CIPHER || rest.length) {
    throw new VaultError(
      'format',
      `${where}: malformed vault header "${line}" (expected ${formatHeader(DEFAULT_SCRYPT)}): was the first line edited?`,
    );
  }
  const m = /^N=(\d+),r=(\d+),p=(\d+)$/.exec(params ?? '');
  if (!m)
    throw new VaultError(
      'format',
      `${where}: malformed scrypt parameters "${params ?? ''}" in the vault header (expected N=…,r=…,p=…): was the first line edited?`,
    );
  const scryptParams = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  return { line, version: version as string, scrypt: scryptParams };
}

function checkVersion(version: string | undefined, where: string): void {
  if (version === FORMAT_VERSION) return;
  const newer = /^\d+$/.test(version ?? '') && Number(version) > Number(FORMAT_VERSION);
  throw new VaultError(
    'format',
    `${where}: unsupported vault format version "${version ?? ''}" (this NovaStation reads version ${FORMAT_VERSION})${newer ? ': written by a newer NovaStation, or the first line was modified' : ': was the first line modified?'}`,
  );
}

function deriveKeys(
  passphrase: string,
  salt: Buffer,
  params: ScryptParams,
): Promise<{ encKey: Buffer; keyCheck: Buffer }> {
  const { N, r, p } = params;
  const maxmem = 128 * N * r * p + 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(passphrase.normalize('NFC'), 'utf8'), salt, 64, { N, r, p, maxmem }, (error, km) => {
      if (error) return reject(error);
      const keyCheck = createHmac('sha256', km.subarray(32, 64))
        .update(KEY_CHECK_LABEL)
        .digest()
        .subarray(0, KEY_CHECK);
      resolve({ encKey: Buffer.from(km.subarray(0, 32)), keyCheck });
    });
  });
}

function wrapBase64(bytes: Buffer): string {
  const b64 = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return lines.join('\n');
}

export interface EncryptOptions {
  scrypt?: ScryptParams;
}

/** Encrypt `plaintext` into the text of a vault file (ending in a newline). */
export async function encryptNovastation(
  plaintext: Buffer | string,
  passphrase: string,
  options: EncryptOptions = {},
): Promise<string> {
  if (!passphrase) throw new VaultError('no-password', 'an empty vault passphrase is not allowed');
  const params = options.scrypt ?? writeScrypt();
  checkParams(params, 'encrypt');
  const header = formatHeader(params);
  const salt = randomBytes(SALT);
  const nonce = randomBytes(NONCE);
  const { encKey, keyCheck } = await deriveKeys(passphrase, salt, params);
  const cipher = createCipheriv(CIPHER, encKey, nonce, { authTagLength: TAG });
  cipher.setAAD(Buffer.from(header, 'utf8'));
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
  const unsummed = Buffer.concat([salt, nonce, keyCheck, ciphertext, cipher.getAuthTag()]);
  const checksum = createHash('sha256').update(`${header}\n`).update(unsummed).digest();
  return `${header}\n${wrapBase64(Buffer.concat([unsummed, checksum]))}\n`;
}

export interface ParsedNovastation {
  header: NovastationHeader;
  salt: Buffer;
  nonce: Buffer;
  keyCheck: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/**
 * Parse a vault file and verify its checksum; needs no passphrase. Throws `format` or `damaged`.
 * `where` names the file in messages.
 */
export function inspectNovastation(text: string, where: string): ParsedNovastation {
  const newline = text.indexOf('\n');
  const headerLine = (newline < 0 ? text : text.slice(0, newline)).replace(/\r$/, '');
  const fields = headerLine.split(';');
  if (fields[0] !== NOVASTATION_MAGIC)
    throw new VaultError(
      'format',
      `${where}: not a NovaStation vault (the first line must start with ${NOVASTATION_MAGIC};)`,
    );
  checkVersion(fields[1], where);
  const bodyText = newline < 0 ? '' : text.slice(newline + 1).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(bodyText) || bodyText.length % 4 !== 0) {
    throw new VaultError(
      'damaged',
      `${where}: the vault is damaged or was modified: its body is not valid base64 (restore it from version control or a backup)`,
    );
  }
  const body = Buffer.from(bodyText, 'base64');
  const min = SALT + NONCE + KEY_CHECK + TAG + CHECKSUM;
  if (body.length < min)
    throw new VaultError(
      'damaged',
      `${where}: the vault is damaged or truncated: ${body.length} bytes of body, at least ${min} expected`,
    );
  const unsummed = body.subarray(0, body.length - CHECKSUM);
  const checksum = body.subarray(body.length - CHECKSUM);
  // The checksum covers the header line as written, so it is checked before the header is trusted.
  const expected = createHash('sha256').update(`${headerLine}\n`).update(unsummed).digest();
  if (!timingSafeEqual(checksum, expected)) {
    throw new VaultError(
      'damaged',
      `${where}: the vault is damaged or was modified since it was written: its checksum does not match (a byte of the header, salt, key check or ciphertext changed). Nothing was decrypted; restore it from version control or a backup.`,
    );
  }
  const header = parseHeader(headerLine, where);
  checkParams(header.scrypt, where);
  let at = 0;
  const take = (n: number) => unsummed.subarray(at, (at += n));
  const salt = take(SALT);
  const nonce = take(NONCE);
  const keyCheck = take(KEY_CHECK);
  const ciphertext = take(unsummed.length - at - TAG);
  const tag = take(TAG);
  return { header, salt, nonce, keyCheck, ciphertext, tag };
}

/** The result of a decryption, and which of the passphrases opened it. */
export interface Decrypted {
  plaintext: Buffer;
  passphraseIndex: number;
}

/**
 * Decrypt with the first passphrase that passes the key check. Throws VaultError: `format`,
 * `damaged` (before any passphrase is tried), `wrong-passphrase`, or `tampered`.
 */
export async function decryptNovastation(
  text: string,
  passphrases: readonly string[],
  where: string,
): Promise<Decrypted> {
  const v = inspectNovastation(text, where);
  if (!passphrases.length)
    throw new VaultError('no-password', `${where}: the vault is encrypted and no vault password was given`);
  for (const [index, passphrase] of passphrases.entries()) {
    const { encKey, keyCheck } = await deriveKeys(passphrase, v.salt, v.header.scrypt);
    if (!timingSafeEqual(keyCheck, v.keyCheck)) continue;
    const decipher = createDecipheriv(CIPHER, encKey, v.nonce, { authTagLength: TAG });
    decipher.setAAD(Buffer.from(v.header.line, 'utf8'));
    decipher.setAuthTag(v.tag);
    try {
      const plaintext = Buffer.concat([decipher.update(v.ciphertext), decipher.final()]);
      return { plaintext, passphraseIndex: index };
    } catch {
      throw new VaultError(
        'tampered',
        `${where}: the vault failed authentication although the passphrase is right: its content was deliberately modified (and its checksum recomputed). Nothing was decrypted; do not trust this file, restore it from a backup.`,
      );
    }
  }
  const tried =
    passphrases.length === 1 ? 'the passphrase given' : `any of the ${passphrases.length} passphrases given`;
  throw new VaultError(
    'wrong-passphrase',
    `${where}: wrong vault passphrase: ${tried} does not open this vault (the file itself is intact)`,
  );
}
