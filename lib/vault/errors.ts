/**
 * Everything that can go wrong opening or saving a vault, each with its own code so callers (and
 * tests) can tell a wrong passphrase from a damaged or tampered file without parsing messages.
 */
import { ExitCode } from '../errors.js';

export type VaultErrorCode =
  /** Not a vault, an unknown version/cipher/KDF, or a malformed header or body. */
  | 'format'
  /** Our format: the unkeyed checksum does not match — bytes changed after writing. */
  | 'damaged'
  /** Our format: the checksum matches but no passphrase passes the key check. */
  | 'wrong-passphrase'
  /** Our format: the passphrase is right (key check passed) yet AES-GCM authentication failed. */
  | 'tampered'
  /** Ansible format: the HMAC failed — a wrong password or a modified file (the format cannot tell). */
  | 'wrong-passphrase-or-modified'
  /** No passphrase could be obtained (no file, variable or terminal). */
  | 'no-password'
  /** A vault password file is unsafe (readable by others) or unusable. */
  | 'password-file';

export class VaultError extends Error {
  readonly exitCode: ExitCode = ExitCode.error;
  constructor(
    readonly code: VaultErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'VaultError';
  }
}
