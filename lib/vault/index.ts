/**
 * Vaults: encrypted files of secrets. Two formats are read — NovaStation's own
 * (`$NOVASTATION_VAULT;1;…`, AES-256-GCM + scrypt, see novastation-format.ts) and Ansible Vault
 * 1.1/1.2 (`$ANSIBLE_VAULT;…`, see ansible-format.ts) — and each file is written back in the
 * format it was in, so a vault shared with `ansible-vault` during a migration stays readable by
 * it. New vaults are NovaStation's format.
 */
import { readFile } from 'node:fs/promises';
import { decryptAnsible, encryptAnsible, isAnsibleVault } from './ansible-format.js';
import { VaultError } from './errors.js';
import { writeFileAtomic } from './files.js';
import {
  decryptNovastation,
  encryptNovastation,
  isNovastationVault,
  type ScryptParams,
} from './novastation-format.js';
import type { VaultPassword } from './passwords.js';

export { VaultError, type VaultErrorCode } from './errors.js';
export { writeFileAtomic, withFileLock, privateDir } from './files.js';
export {
  collectPasswords,
  readPasswordFile,
  parseVaultId,
  PASSWORD_ENV,
  type VaultPassword,
  type PasswordOptions,
} from './passwords.js';
export { askPassphrase, promptHidden, canPrompt, PromptInterrupted } from './prompt.js';
export {
  encryptNovastation,
  decryptNovastation,
  inspectNovastation,
  DEFAULT_SCRYPT,
  MIN_SCRYPT_N,
  type ScryptParams,
} from './novastation-format.js';
export {
  encryptAnsible,
  decryptAnsible,
  parseAnsibleVault,
  isAnsibleVault,
  type AnsiblePassword,
} from './ansible-format.js';

export type VaultFormat = 'novastation' | 'ansible';

export function vaultFormatOf(text: string): VaultFormat | undefined {
  if (isNovastationVault(text)) return 'novastation';
  if (isAnsibleVault(text)) return 'ansible';
  return undefined;
}

export interface OpenedVault {
  plaintext: Buffer;
  format: VaultFormat;
  /** The password that opened it (used again to write it back). */
  password: VaultPassword;
  /** For Ansible 1.2: the vault id in its header. */
  vaultId?: string;
}

/** Decrypt vault text of either format with the first password that opens it. */
export async function decryptVaultText(
  text: string,
  passwords: readonly VaultPassword[],
  where: string,
): Promise<OpenedVault> {
  const format = vaultFormatOf(text);
  if (!format)
    throw new VaultError('format', `${where}: not a vault (no $NOVASTATION_VAULT or $ANSIBLE_VAULT header)`);
  if (!passwords.length)
    throw new VaultError('no-password', `${where}: this vault is encrypted and no vault password was given`);
  if (format === 'novastation') {
    const { plaintext, passphraseIndex } = await decryptNovastation(
      text,
      passwords.map((p) => p.secret.reveal()),
      where,
    );
    return { plaintext, format, password: passwords[passphraseIndex]! };
  }
  const { plaintext, passwordIndex, envelope } = decryptAnsible(text, ansiblePasswords(passwords), where);
  return {
    plaintext,
    format,
    password: passwords[passwordIndex]!,
    ...(envelope.label ? { vaultId: envelope.label } : {}),
  };
}

export function ansiblePasswords(passwords: readonly VaultPassword[]) {
  return passwords.map((p) => ({
    bytes: Buffer.from(p.secret.reveal(), 'utf8'),
    ...(p.label ? { label: p.label } : {}),
  }));
}

export interface EncryptAsOptions {
  format?: VaultFormat;
  vaultId?: string;
  scrypt?: ScryptParams;
}

export async function encryptVaultText(
  plaintext: Buffer | string,
  password: VaultPassword,
  options: EncryptAsOptions = {},
): Promise<string> {
  if ((options.format ?? 'novastation') === 'ansible') {
    const vaultId = options.vaultId ?? password.label;
    return encryptAnsible(
      plaintext,
      Buffer.from(password.secret.reveal(), 'utf8'),
      vaultId ? { vaultId } : {},
    );
  }
  return encryptNovastation(
    plaintext,
    password.secret.reveal(),
    options.scrypt ? { scrypt: options.scrypt } : {},
  );
}

/** Read and decrypt a vault file. */
export async function readVaultFile(path: string, passwords: readonly VaultPassword[]): Promise<OpenedVault> {
  const text = await readFile(path, 'utf8');
  return decryptVaultText(text, passwords, path);
}

/** Encrypt and write a vault file atomically, mode 0600. */
export async function writeVaultFile(
  path: string,
  plaintext: Buffer | string,
  password: VaultPassword,
  options: EncryptAsOptions = {},
): Promise<void> {
  await writeFileAtomic(path, await encryptVaultText(plaintext, password, options), 0o600);
}
