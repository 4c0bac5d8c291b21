/**
 * Turning variables into what roles get: every secret reference becomes a Secret, before any host
 * is touched.
 * - `!secret NAME` (SecretReference 'vault') → the vault entry NAME;
 * - `!env NAME` (SecretReference 'env') → the environment variable NAME;
 * - `!vault |` (VaultedValue, an Ansible-encrypted scalar) → its decrypted text;
 * - every string read from a file that was vault-encrypted as a whole (an Ansible `vault.yml` in
 *   group_vars) → a Secret too (numbers and booleans stay as they are).
 * Every problem is collected — a missing vault entry, an unset variable, a value no password
 * opens — each naming the reference and the file and line it was written at, and thrown together
 * as one InvalidInputError (exit 4).
 */
import { InvalidInputError } from '../errors.js';
import { VaultedValue } from '../inventory/tagged-values.js';
import type { VariableSource } from '../inventory/types.js';
import { isSecret, Secret } from '../secret.js';
import { ansiblePasswords, decryptAnsible, VaultError, type VaultPassword } from '../vault/index.js';
import { SecretReference } from './reference.js';
import { envSecret, SecretMissingError, type SecretStore } from './store.js';

export interface ResolveContext {
  /** Vault entries for `!secret`. Without it, a `!secret` is an error. */
  store?: SecretStore;
  env?: NodeJS.ProcessEnv;
  /** Passwords for `!vault` values (default: the store's). */
  passwords?: readonly VaultPassword[];
  /** Files that were vault-encrypted as a whole: every string read from them becomes a Secret. */
  encryptedFiles?: ReadonlySet<string>;
  /** Where each top-level variable was set (an inventory host's varSources). */
  sources?: Record<string, VariableSource>;
  /** What these variables are, for messages without a file: `play "web" vars`. */
  label?: string;
  /**
   * Vault entries a role of this run will write (RoleDefinition.producesSecrets): a reference to
   * one the vault lacks is left in place, to be resolved when the play using it starts.
   */
  produced?: ReadonlySet<string>;
}

export const PASSWORD_HINT =
  'give the vault password with --vault-password-file FILE, --vault-id, --ask-vault-pass or NOVASTATION_VAULT_PASSWORD';

/** Replace references with Secrets in `vars`; throws one InvalidInputError listing every problem. */
export async function resolveSecrets(
  vars: Record<string, unknown>,
  context: ResolveContext,
): Promise<Record<string, unknown>> {
  const resolver = new SecretResolver();
  const out = await resolver.resolve(vars, context);
  resolver.throwIfErrors();
  return out;
}

/** Does this value hold anything a resolver would replace? (`!vault` values and references.) */
export function containsReferences(
  value: unknown,
  depth = 0,
): { vault: boolean; vaulted: boolean; env: boolean } {
  const found = { vault: false, vaulted: false, env: false };
  const walk = (v: unknown, d: number) => {
    if (d > 100) return;
    if (v instanceof SecretReference) found[v.source === 'vault' ? 'vault' : 'env'] = true;
    else if (v instanceof VaultedValue) found.vaulted = true;
    else if (Array.isArray(v)) for (const x of v) walk(x, d + 1);
    else if (isPlainObject(v)) for (const x of Object.values(v)) walk(x, d + 1);
  };
  walk(value, depth);
  return found;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const place = (w: { file?: string; line?: number } | undefined) =>
  w?.file ? `${w.file}${w.line !== undefined ? `:${w.line}` : ''}` : '';

/**
 * Resolves many variable sets (every host of a run, play vars, role defaults) with shared caches,
 * collecting errors across all of them so the user sees every problem at once.
 */
export class SecretResolver {
  readonly errors: string[] = [];
  /** Vault entries left unresolved because a role of this run produces them. */
  readonly deferred = new Set<string>();
  #vaulted = new Map<string, Secret>();
  #storeFailure = new Map<SecretStore, string>();

  #error(message: string): void {
    if (!this.errors.includes(message)) this.errors.push(message);
  }

  throwIfErrors(): void {
    if (this.errors.length) throw new InvalidInputError(this.errors.join('\n'));
  }

  /** A copy of `vars` with references resolved (the same object if nothing changed). */
  async resolve(vars: Record<string, unknown>, context: ResolveContext): Promise<Record<string, unknown>> {
    let out: Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(vars)) {
      const source = context.sources?.[key];
      const encrypted = source ? (context.encryptedFiles?.has(source.file) ?? false) : false;
      const resolved = await this.#value(value, [key], source, encrypted, context);
      if (resolved !== value) (out ??= { ...vars })[key] = resolved;
    }
    return out ?? vars;
  }

  /** Resolve in place: keys of `vars` whose value changed are reassigned. */
  async resolveInPlace(vars: Record<string, unknown>, context: ResolveContext): Promise<void> {
    const resolved = await this.resolve(vars, context);
    if (resolved !== vars) for (const [k, v] of Object.entries(resolved)) if (vars[k] !== v) vars[k] = v;
  }

  async #value(
    value: unknown,
    path: string[],
    source: VariableSource | undefined,
    encrypted: boolean,
    context: ResolveContext,
  ): Promise<unknown> {
    if (value instanceof SecretReference) return this.#reference(value, path, source, context);
    if (value instanceof VaultedValue) return this.#vaultedValue(value, path, source, context);
    if (isSecret(value)) return value;
    if (encrypted && typeof value === 'string') return new Secret(value);
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (const [i, item] of value.entries()) {
        const r = await this.#value(item, [...path, String(i)], source, encrypted, context);
        if (r !== item) (copy ??= [...value])[i] = r;
      }
      return copy ?? value;
    }
    if (isPlainObject(value)) {
      let copy: Record<string, unknown> | undefined;
      for (const [k, item] of Object.entries(value)) {
        const r = await this.#value(item, [...path, k], source, encrypted, context);
        if (r !== item) (copy ??= { ...value })[k] = r;
      }
      return copy ?? value;
    }
    return value;
  }

  #where(
    path: string[],
    source: VariableSource | undefined,
    context: ResolveContext,
    own?: { file: string; line?: number },
  ): string {
    const at = place(own) || place(source) || context.label || '';
    return `${at ? `${at}: ` : ''}variable ${path.join('.')}`;
  }

  async #reference(
    ref: SecretReference,
    path: string[],
    source: VariableSource | undefined,
    context: ResolveContext,
  ): Promise<unknown> {
    const where = this.#where(path, source, context, ref.where);
    if (ref.source === 'env') {
      try {
        return envSecret(ref.name, context.env ?? process.env);
      } catch (error) {
        this.#error(`${where}: ${ref}: ${(error as Error).message}`);
        return ref;
      }
    }
    const store = context.store;
    if (!store) {
      this.#error(`${where}: ${ref}: no vault is configured for this run`);
      return ref;
    }
    const failed = this.#storeFailure.get(store);
    if (failed) {
      this.#error(`${where}: ${ref}: ${failed}`);
      return ref;
    }
    try {
      const secret = await store.tryGet(ref.name);
      if (secret) return secret;
      if (context.produced?.has(ref.name)) {
        this.deferred.add(ref.name);
        return ref;
      }
      this.#error(`${where}: ${ref}: ${store.missingMessage(ref.name)}`);
    } catch (error) {
      if (!(error instanceof VaultError || error instanceof SecretMissingError)) throw error;
      const message =
        error instanceof VaultError && error.code === 'no-password'
          ? `vault ${store.file} is encrypted and no vault password was given: ${PASSWORD_HINT}`
          : error.message;
      if (error instanceof VaultError && error.code !== 'format') this.#storeFailure.set(store, message);
      this.#error(`${where}: ${ref}: ${message}`);
    }
    return ref;
  }

  #vaultedValue(
    value: VaultedValue,
    path: string[],
    source: VariableSource | undefined,
    context: ResolveContext,
  ): unknown {
    const known = this.#vaulted.get(value.ciphertext);
    if (known) return known;
    const where = this.#where(path, source, context);
    const passwords = context.passwords ?? context.store?.passwords ?? [];
    if (!passwords.length) {
      this.#error(`${where}: is vault-encrypted (!vault) and no vault password was given: ${PASSWORD_HINT}`);
      return value;
    }
    try {
      const { plaintext } = decryptAnsible(
        value.ciphertext,
        ansiblePasswords(passwords),
        `${where} (!vault)`,
      );
      const secret = new Secret(plaintext.toString('utf8'));
      this.#vaulted.set(value.ciphertext, secret);
      return secret;
    } catch (error) {
      if (!(error instanceof VaultError)) throw error;
      this.#error(error.message);
      return value;
    }
  }
}
