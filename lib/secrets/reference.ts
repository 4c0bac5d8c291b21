/**
 * References to secrets, resolved into Secrets before any host is touched:
 *
 *   # inventory or group_vars/host_vars (YAML tags)
 *   guacamole_db_password: !secret guacamole_db_password   # an entry of the vault
 *   proxmox_api_token: !env PROXMOX_TOKEN                  # an environment variable
 *
 *   // playbook / role code
 *   vars: { proxmox_api_token: fromEnv('PROXMOX_TOKEN'), db_password: fromVault('db_password') }
 *
 * A typed tag, not a string convention such as "{{ vault.x }}": a string can never turn into a
 * secret by accident (Ansible inventories are full of `{{ }}` text), and the loader knows the
 * exact file and line of each reference for error messages.
 */
import type { ScalarTag } from 'yaml';

export type SecretSource = 'vault' | 'env';

export interface ReferenceLocation {
  file: string;
  line?: number;
}

export class SecretReference {
  readonly source: SecretSource;
  readonly name: string;
  /** Where the reference was written (non-enumerable: not part of the value). */
  #where: ReferenceLocation | undefined;

  constructor(source: SecretSource, name: string, where?: ReferenceLocation) {
    this.source = source;
    this.name = name;
    this.#where = where;
  }

  get where(): ReferenceLocation | undefined {
    return this.#where;
  }

  /** The same reference, remembering the file and line it was written at. */
  at(file: string, line?: number): SecretReference {
    return new SecretReference(this.source, this.name, { file, ...(line !== undefined ? { line } : {}) });
  }

  /** As written: `!secret NAME` or `!env NAME`. */
  toString(): string {
    return `${this.source === 'vault' ? '!secret' : '!env'} ${this.name}`;
  }

  toJSON(): Record<string, string> {
    return this.source === 'vault' ? { __novastation_secret: this.name } : { __novastation_env: this.name };
  }
}

/** A vault entry, for TypeScript playbooks and role defaults. */
export function fromVault(name: string): SecretReference {
  return new SecretReference('vault', checkName(name, 'vault'));
}

/** An environment variable, for TypeScript playbooks and role defaults. */
export function fromEnv(name: string): SecretReference {
  return new SecretReference('env', checkName(name, 'env'));
}

export function isSecretReference(value: unknown): value is SecretReference {
  return value instanceof SecretReference;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function checkName(name: string, source: SecretSource): string {
  if (!NAME.test(name))
    throw new TypeError(
      `${source === 'vault' ? 'vault entry' : 'environment variable'} name "${name}" is not valid (letters, digits, _ . -)`,
    );
  return name;
}

/**
 * The YAML tags, for the inventory's YAML loader (`customTags`): `!secret NAME`, `!env NAME`.
 * A bad name is a YAML error at the tag's line.
 */
export const SECRET_YAML_TAGS: ScalarTag[] = (['vault', 'env'] as const).map((source) => ({
  tag: source === 'vault' ? '!secret' : '!env',
  resolve(text: string, onError: (message: string) => void) {
    const name = text.trim();
    if (!NAME.test(name)) {
      onError(
        `${source === 'vault' ? '!secret' : '!env'} needs a ${source === 'vault' ? 'vault entry' : 'environment variable'} name (letters, digits, _ . -), got "${name}"`,
      );
      return text;
    }
    return new SecretReference(source, name) as unknown as string;
  },
}));
