/**
 * Ansible Vault 1.1 and 1.2 (ansible-core 2.14's VaultAES256), so vaulted files and `!vault`
 * values written by `ansible-vault` open with the same password:
 *
 *   $ANSIBLE_VAULT;1.1;AES256            (1.2 adds the vault id: $ANSIBLE_VAULT;1.2;AES256;LABEL)
 *   <hex, 80 characters per line>
 *
 *   hex decodes to the ASCII text  hex(salt) "\n" hex(hmac) "\n" hex(ciphertext)
 *   salt        = 32 random bytes
 *   derived     = PBKDF2-HMAC-SHA256(password, salt, 10000 iterations, 80 bytes)
 *   key1, key2, iv = derived[0..32], derived[32..64], derived[64..80]
 *   ciphertext  = AES-256-CTR(key1, counter = iv, PKCS#7-padded plaintext)
 *   hmac        = HMAC-SHA256(key2, ciphertext)
 *
 * The HMAC cannot tell a wrong password from a modified file, so neither do our messages.
 * Synchronous on purpose: the inventory loader's decrypt hook is synchronous (PBKDF2 with 10000
 * iterations takes milliseconds).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { VaultError } from './errors.js';

export const ANSIBLE_MAGIC = '$ANSIBLE_VAULT';
const ITERATIONS = 10000;

export interface AnsibleEnvelope {
  version: '1.1' | '1.2';
  cipher: string;
  /** The vault id of a 1.2 envelope. */
  label?: string;
  salt: Buffer;
  hmac: Buffer;
  ciphertext: Buffer;
}

export function isAnsibleVault(text: string): boolean {
  return text.trimStart().startsWith(`${ANSIBLE_MAGIC};`);
}

function unhex(text: string, what: string, where: string): Buffer {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text))
    throw new VaultError(
      'format',
      `${where}: malformed Ansible vault: the ${what} is not hexadecimal (was the file edited or truncated?)`,
    );
  return Buffer.from(text, 'hex');
}

/** Parse the envelope (header and hex payload) without a password. */
export function parseAnsibleVault(text: string, where: string): AnsibleEnvelope {
  const lines = text
    .trim()
    .split(/\r?\n/)
    .map((l) => l.trim());
  const header = (lines[0] ?? '').split(';').map((s) => s.trim());
  if (header[0] !== ANSIBLE_MAGIC)
    throw new VaultError('format', `${where}: not an Ansible vault (no ${ANSIBLE_MAGIC} header)`);
  const version = header[1];
  if (version !== '1.1' && version !== '1.2') {
    throw new VaultError(
      'format',
      `${where}: unsupported Ansible vault version "${version ?? ''}" (1.1 and 1.2 are supported)`,
    );
  }
  const cipher = header[2] ?? '';
  if (cipher !== 'AES256')
    throw new VaultError(
      'format',
      `${where}: unsupported Ansible vault cipher "${cipher}" (only AES256 exists in Ansible 2.14)`,
    );
  const label = version === '1.2' && header[3] ? header[3] : undefined;
  const inner = unhex(lines.slice(1).join(''), 'payload', where).toString('latin1').split('\n');
  if (inner.length !== 3)
    throw new VaultError(
      'format',
      `${where}: malformed Ansible vault payload (expected salt, HMAC and ciphertext)`,
    );
  const [salt, hmac, ciphertext] = inner as [string, string, string];
  return {
    version,
    cipher,
    ...(label ? { label } : {}),
    salt: unhex(salt, 'salt', where),
    hmac: unhex(hmac, 'HMAC', where),
    ciphertext: unhex(ciphertext, 'ciphertext', where),
  };
}

function keys(password: Buffer, salt: Buffer): { key1: Buffer; key2: Buffer; iv: Buffer } {
  const derived = pbkdf2Sync(password, salt, ITERATIONS, 80, 'sha256');
  return { key1: derived.subarray(0, 32), key2: derived.subarray(32, 64), iv: derived.subarray(64, 80) };
}

/** A password to try, with the vault id it was given for (`--vault-id LABEL@file`). */
export interface AnsiblePassword {
  bytes: Buffer;
  label?: string;
}

/**
 * Decrypt an Ansible vault (file text or a `!vault` scalar) with the first password whose HMAC
 * matches. As Ansible does, passwords whose label matches a 1.2 envelope's vault id are tried
 * first, then the others.
 */
export function decryptAnsible(
  text: string,
  passwords: readonly AnsiblePassword[],
  where: string,
): { plaintext: Buffer; passwordIndex: number; envelope: AnsibleEnvelope } {
  const envelope = parseAnsibleVault(text, where);
  if (!passwords.length)
    throw new VaultError(
      'no-password',
      `${where}: this is vault-encrypted (${ANSIBLE_MAGIC};${envelope.version}) and no vault password was given`,
    );
  const order = passwords.map((p, i) => ({ p, i }));
  if (envelope.label)
    order.sort((a, b) => Number(b.p.label === envelope.label) - Number(a.p.label === envelope.label));
  for (const { p, i } of order) {
    const { key1, key2, iv } = keys(p.bytes, envelope.salt);
    const mac = createHmac('sha256', key2).update(envelope.ciphertext).digest();
    if (mac.length !== envelope.hmac.length || !timingSafeEqual(mac, envelope.hmac)) continue;
    const decipher = createDecipheriv('aes-256-ctr', key1, iv);
    const padded = Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
    const pad = padded[padded.length - 1] ?? 0;
    if (
      pad < 1 ||
      pad > 16 ||
      pad > padded.length ||
      !padded.subarray(padded.length - pad).every((b) => b === pad)
    ) {
      throw new VaultError('format', `${where}: Ansible vault decrypted with a bad padding (corrupt file)`);
    }
    return { plaintext: padded.subarray(0, padded.length - pad), passwordIndex: i, envelope };
  }
  const tried =
    passwords.length === 1
      ? 'the vault password given does not open it'
      : `none of the ${passwords.length} vault passwords given opens it`;
  throw new VaultError(
    'wrong-passphrase-or-modified',
    `${where}: ${tried}: wrong password, or the file was modified (Ansible's vault format cannot tell these apart: its HMAC check failed)`,
  );
}

export interface AnsibleEncryptOptions {
  /** A vault id other than `default` makes a 1.2 envelope carrying it, as ansible-vault does. */
  vaultId?: string;
}

/** Encrypt as `ansible-vault encrypt` does (the text ends in a newline). */
export function encryptAnsible(
  plaintext: Buffer | string,
  password: Buffer,
  options: AnsibleEncryptOptions = {},
): string {
  if (!password.length) throw new VaultError('no-password', 'an empty vault password is not allowed');
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const salt = randomBytes(32);
  const { key1, key2, iv } = keys(password, salt);
  const pad = 16 - (data.length % 16);
  const cipher = createCipheriv('aes-256-ctr', key1, iv);
  const ciphertext = Buffer.concat([
    cipher.update(Buffer.concat([data, Buffer.alloc(pad, pad)])),
    cipher.final(),
  ]);
  const hmac = createHmac('sha256', key2).update(ciphertext).digest();
  const inner = Buffer.from(
    [salt.toString('hex'), hmac.toString('hex'), ciphertext.toString('hex')].join('\n'),
    'latin1',
  ).toString('hex');
  const label = options.vaultId && options.vaultId !== 'default' ? options.vaultId : undefined;
  const header = label ? `${ANSIBLE_MAGIC};1.2;AES256;${label}` : `${ANSIBLE_MAGIC};1.1;AES256`;
  const lines = [header];
  for (let i = 0; i < inner.length; i += 80) lines.push(inner.slice(i, i + 80));
  return `${lines.join('\n')}\n`;
}
