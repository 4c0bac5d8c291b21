/**
 * Secrets for a playbook run, in one place for the CLI:
 *
 *   const secrets = await prepareSecrets({ inventoryPaths, passwordFiles, vaultIds, ask, check });
 *   const inventory = await loadInventory(paths, { decrypt: secrets.decrypt });
 *   await secrets.resolve(inventory, playbook, playbookFile, { limit, roles });  // before planRun
 *   options.secrets = secrets.store;                                             // ctx.secrets
 *
 * - passwords come from --vault-id / --vault-password-file / NOVASTATION_VAULT_PASSWORD /
 *   ANSIBLE_VAULT_PASSWORD_FILE / --ask-vault-pass (see lib/vault/passwords.ts);
 * - `decrypt` opens inventory and vars files encrypted whole by `ansible-vault` and remembers
 *   them, so that every string read from them becomes a Secret;
 * - `resolve` turns `!secret` / `!env` / `!vault` values of the hosts and roles this run will use
 *   into Secrets, or fails listing every missing one (file and line) before any host is touched.
 *   When a password is needed, none was given and stdin is a terminal, it asks once.
 * - the store is the vault file: by default `secrets.vault` beside the (first) inventory.
 */
import { dirname, join, resolve as resolvePath } from 'node:path';
import { existsSync } from 'node:fs';
import { roleUse, type Playbook } from '../define.js';
import { BadOptionsError, InvalidInputError } from '../errors.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { matchHosts } from '../runner/run-plan.js';
import { Secret } from '../secret.js';
import {
  ansiblePasswords,
  askPassphrase,
  canPrompt,
  collectPasswords,
  decryptAnsible,
  VaultError,
  type VaultPassword,
} from '../vault/index.js';
import { containsReferences, PASSWORD_HINT, SecretResolver } from './resolve.js';
import { SecretStore } from './store.js';

export { SecretReference, fromVault, fromEnv, isSecretReference, SECRET_YAML_TAGS } from './reference.js';
export {
  SecretStore,
  SecretMissingError,
  roleSecrets,
  envSecret,
  type RoleSecrets,
  type SecretStoreOptions,
} from './store.js';
export { resolveSecrets, SecretResolver, containsReferences, type ResolveContext } from './resolve.js';
export { randomSecretString, ALPHANUMERIC, type GenerateOptions } from './generate.js';

export const VAULT_FILE_NAME = 'secrets.vault';
export const VAULT_ENV = 'NOVASTATION_VAULT';

/**
 * `secrets.vault` beside the first inventory source: `inventory/site.yml` → `inventory/secrets.vault`;
 * an inventory folder `inv/` → `secrets.vault` beside the folder (inside it, the inventory loader
 * would try to read it as an inventory). NOVASTATION_VAULT overrides.
 */
export function defaultVaultFile(
  inventoryPaths: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (env[VAULT_ENV]) return env[VAULT_ENV];
  const first = inventoryPaths.find((p) => existsSync(p));
  return first ? join(dirname(resolvePath(first)), VAULT_FILE_NAME) : resolvePath(VAULT_FILE_NAME);
}

export interface SecretsOptions {
  inventoryPaths: readonly string[];
  /** The vault file (`--vault FILE`); default defaultVaultFile(inventoryPaths). */
  vault?: string;
  passwordFiles?: readonly string[];
  vaultIds?: readonly string[];
  /** `--ask-vault-pass`: prompt up front. */
  ask?: boolean;
  check?: boolean;
  env?: NodeJS.ProcessEnv;
  /** May ask for a password when one turns out to be needed (default: stdin is a terminal and not CI). */
  interactive?: boolean;
}

export interface ResolveRunOptions {
  limit?: readonly string[];
  roles?: readonly string[];
  /** --extra-vars: they may name the host a role's `hostRefs` variable points at. */
  extraVars?: Record<string, unknown>;
}

export interface RunSecrets {
  store: SecretStore;
  passwords: VaultPassword[];
  /** For loadInventory's `decrypt`: whole files encrypted by ansible-vault. */
  decrypt: (ciphertext: string, file: string) => string;
  /** Files `decrypt` opened (their strings become Secrets). */
  encryptedFiles: Set<string>;
  /**
   * Resolve the secret references of every host this run touches (play patterns ∩ --limit), of
   * the plays' vars and of the roles' defaults (those selected by --role), in place. Throws one
   * InvalidInputError naming every missing secret, its reference, file and line.
   */
  resolve(
    inventory: Inventory,
    playbook: Playbook,
    playbookFile: string,
    options?: ResolveRunOptions,
  ): Promise<void>;
}

export async function prepareSecrets(options: SecretsOptions): Promise<RunSecrets> {
  const env = options.env ?? process.env;
  let passwords: VaultPassword[];
  try {
    passwords = await collectPasswords({
      ...(options.passwordFiles ? { passwordFiles: options.passwordFiles } : {}),
      ...(options.vaultIds ? { vaultIds: options.vaultIds } : {}),
      ask: options.ask ?? false,
      env,
    });
  } catch (error) {
    // An unsafe or unreadable password file, or --ask-vault-pass without a terminal: the options
    // are wrong (exit 5, a message and no stack trace).
    if (error instanceof VaultError) throw new BadOptionsError(error.message);
    throw error;
  }
  const file = options.vault ?? defaultVaultFile(options.inventoryPaths, env);
  const store = new SecretStore({ file, passwords, check: options.check ?? false });
  const encryptedFiles = new Set<string>();
  const interactive = options.interactive ?? (canPrompt() && !process.env.CI);

  const decrypt = (ciphertext: string, where: string): string => {
    if (!store.passwords.length) {
      throw new InvalidInputError(
        `this file is vault-encrypted and no vault password was given: ${PASSWORD_HINT}`,
        { file: where, line: 1 },
      );
    }
    try {
      const { plaintext } = decryptAnsible(ciphertext, ansiblePasswords(store.passwords), where);
      encryptedFiles.add(where);
      return plaintext.toString('utf8');
    } catch (error) {
      if (!(error instanceof VaultError)) throw error;
      throw new InvalidInputError(
        error.message.startsWith(`${where}: `) ? error.message.slice(where.length + 2) : error.message,
        { file: where, line: 1 },
      );
    }
  };

  const resolve = async (
    inventory: Inventory,
    playbook: Playbook,
    playbookFile: string,
    run: ResolveRunOptions = {},
  ): Promise<void> => {
    const limited = run.limit?.length
      ? new Set(matchHosts(inventory, [...run.limit]).map((h) => h.name))
      : undefined;
    const hosts = new Map<string, InventoryHost>();
    const sets: { vars: Record<string, unknown>; sources?: InventoryHost['varSources']; label: string }[] =
      [];
    const roles = new Set<Record<string, unknown>>();
    // Vault entries that roles of this run write (producesSecrets), for the hosts they run on.
    const produced = new Set<string>();
    // Hosts whose variables a role of this run reads (its hostRefs) → the variables it reads.
    const referenced = new Map<InventoryHost, Set<string>>();
    for (const [index, play] of playbook.plays.entries()) {
      const name = play.name ?? `play #${index + 1} (${play.hosts})`;
      const playHosts = matchHosts(inventory, play.hosts).filter((h) => !limited || limited.has(h.name));
      for (const h of playHosts) hosts.set(h.name, h);
      if (play.vars) sets.push({ vars: play.vars, label: `${playbookFile}: play "${name}" vars` });
      for (const use of play.roles.map(roleUse)) {
        if (run.roles?.length && !run.roles.includes(use.role.name)) continue;
        for (const [variable, schema] of Object.entries(use.role.hostRefs ?? {})) {
          for (const h of playHosts) {
            // The same precedence as the run's variables, highest first.
            const layers = [
              run.extraVars,
              use.vars,
              play.vars,
              h.vars,
              use.role.defaults as Record<string, unknown> | undefined,
            ];
            const value = layers.find((l) => l && variable in l)?.[variable];
            const target = typeof value === 'string' ? inventory.hosts.get(value) : undefined;
            if (!target) continue; // planning reports a bad reference
            const names = referenced.get(target) ?? new Set<string>();
            for (const key of Object.keys(schema.properties)) names.add(key);
            referenced.set(target, names);
          }
        }
        if (use.role.producesSecrets) {
          for (const h of playHosts) {
            const raw: Record<string, unknown> = Object.assign(
              {},
              use.role.defaults,
              h.vars,
              play.vars,
              use.vars,
              run.extraVars,
            );
            for (const entry of use.role.producesSecrets(raw)) produced.add(entry);
          }
        }
        if (use.vars)
          sets.push({
            vars: use.vars,
            label: `${playbookFile}: role ${use.role.name} vars in play "${name}"`,
          });
        const defaults = use.role.defaults as Record<string, unknown> | undefined;
        if (defaults && !roles.has(defaults)) {
          roles.add(defaults);
          sets.push({
            vars: defaults,
            label: `role ${use.role.name} defaults${use.role.definedAt ? ` (${use.role.definedAt})` : ''}`,
          });
        }
      }
    }
    for (const h of hosts.values())
      sets.unshift({ vars: h.vars, sources: h.varSources, label: `host ${h.name}` });
    // A referenced host outside the run (--limit vm-dev-01 leaves pve1 out): only the variables
    // the roles read from it, so an unrelated missing secret of that host does not stop the run.
    const partial: { host: InventoryHost; vars: Record<string, unknown> }[] = [];
    for (const [target, names] of referenced) {
      if (hosts.has(target.name)) continue;
      const vars = Object.fromEntries(
        [...names].filter((n) => n in target.vars).map((n) => [n, target.vars[n]]),
      );
      partial.push({ host: target, vars });
      sets.push({ vars, sources: target.varSources, label: `host ${target.name}` });
    }

    // Ask for the password once, now, if something needs it and none was given.
    if (!store.passwords.length && interactive) {
      const needs = sets.map((s) => containsReferences(s.vars));
      const needsVault =
        needs.some((n) => n.vaulted) || (needs.some((n) => n.vault) && (await store.encrypted()));
      if (needsVault) {
        const value = await askPassphrase(`Vault password (for ${store.file} and !vault values)`);
        store.addPassword({ secret: new Secret(value), source: 'prompt' });
      }
    }
    const resolver = new SecretResolver();
    for (const set of sets) {
      await resolver.resolveInPlace(set.vars, {
        store,
        env,
        passwords: store.passwords,
        encryptedFiles,
        ...(set.sources ? { sources: set.sources } : {}),
        label: set.label,
        produced,
      });
    }
    resolver.throwIfErrors();
    for (const { host, vars } of partial) Object.assign(host.vars, vars);
  };

  return {
    store,
    get passwords() {
      return store.passwords as VaultPassword[];
    },
    decrypt,
    encryptedFiles,
    resolve,
  };
}
