/**
 * Values that YAML tags mark as special. Ansible keeps them as distinct Python types; we keep them as
 * small opaque classes so the engine can recognise them, and so they serialise the way
 * `ansible-inventory --list` prints them (AnsibleJSONEncoder: `{"__ansible_vault": ...}` and, with
 * `preprocess_unsafe=True`, `{"__ansible_unsafe": ...}`).
 */

/**
 * A `!vault` (or `!vault-encrypted`) scalar. Parsing never needs the password: Ansible 2.14 also
 * keeps the ciphertext (AnsibleVaultEncryptedUnicode) until something reads the value. Decryption
 * is a later issue; until then the engine must treat this as "secret, not available".
 */
export class VaultedValue {
  /** The scalar exactly as written, e.g. `$ANSIBLE_VAULT;1.1;AES256\n6231...\n`. */
  readonly ciphertext: string;
  constructor(ciphertext: string) {
    this.ciphertext = ciphertext;
  }
  toJSON(): { __ansible_vault: string } {
    return { __ansible_vault: this.ciphertext };
  }
  /** Never leak the ciphertext into logs by accident. */
  toString(): string {
    return '<vaulted value>';
  }
}

/**
 * A `!unsafe` string: Ansible never templates it (AnsibleUnsafeText). `!unsafe` on a mapping or a
 * list wraps every string inside it, as Ansible's `wrap_var` does.
 */
export class UnsafeText {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toJSON(): { __ansible_unsafe: string } {
    return { __ansible_unsafe: this.value };
  }
  toString(): string {
    return this.value;
  }
}
