/**
 * The run's secret store: one vault file (by default `secrets.vault` beside the inventory) whose
 * payload is a YAML mapping `name: value`. It is opened once, on first use, with the first vault
 * password that opens it; every value read becomes a Secret.
 *
 * `generate(name)` gives a role a secret that is created once and kept: when the vault lacks
 * `name`, a random value is generated (crypto.randomBytes), written back into the vault —
 * re-encrypted with a fresh salt and nonce, atomically, with mode 0600, in the file's own format,
 * keeping the file's comments — and returned. The next run reads the same value and changes
 * nothing. Writers are serialised within the process and, through a lock file, across processes;
 * the vault is re-read under the lock so a concurrent run's new entry is never lost. In check mode
 * nothing is written: the value is made up for this run only.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Document, isMap, isScalar, parseDocument } from '../vendor/yaml.js';
import { Secret } from '../secret.js';
import {
  decryptVaultText,
  encryptVaultText,
  VaultError,
  vaultFormatOf,
  withFileLock,
  writeFileAtomic,
  type OpenedVault,
  type ScryptParams,
  type VaultPassword,
} from '../vault/index.js';
import { entropyBits, randomSecretString, type GenerateOptions } from './generate.js';

export type { GenerateOptions } from './generate.js';

export interface SecretStoreOptions {
  /** The vault file; it need not exist until a secret is generated. */
  file: string;
  passwords?: VaultPassword[];
  /** Check mode: generated secrets are not saved. */
  check?: boolean;
  /** KDF cost for writes (default DEFAULT_SCRYPT); tests lower it to the minimum. */
  scrypt?: ScryptParams;
}

/** What a role sees as `ctx.secrets`. */
export interface RoleSecrets {
  /** The vault entry `name`; an error naming the vault file if it has no such entry. */
  get(name: string): Promise<Secret>;
  /**
   * The vault entry `name`, generated and saved into the vault the first time (so later runs get
   * the same value). Not saved in check mode.
   */
  generate(name: string, options?: GenerateOptions): Promise<Secret>;
  /**
   * Save a secret the role obtained (e.g. an API token's secret, shown once by its server) as the
   * vault entry `name`: the same value again changes nothing, a different one is refused. Not
   * saved in check mode.
   */
  save(name: string, value: Secret): Promise<void>;
  /** An environment variable as a Secret; an error if it is unset or empty. */
  env(name: string): Secret;
}

export class SecretMissingError extends Error {
  constructor(
    readonly secretName: string,
    message: string,
  ) {
    super(message);
    this.name = 'SecretMissingError';
  }
}

interface Loaded {
  /** The file's text as last read (null: no file). */
  text: string | null;
  opened?: OpenedVault;
  doc: Document;
  entries: Map<string, string>;
  /** Entries that are not strings: name → what they are. */
  invalid: Map<string, string>;
}

const NEW_VAULT_HEADER = (file: string) =>
  `# NovaStation vault: secret names and their values (YAML). Edit with: playbook vault edit ${file}\n`;

export class SecretStore {
  readonly file: string;
  readonly check: boolean;
  #passwords: VaultPassword[];
  #scrypt: ScryptParams | undefined;
  #loaded: Promise<Loaded> | undefined;
  #secrets = new Map<string, Secret>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: SecretStoreOptions) {
    this.file = options.file;
    this.check = options.check ?? false;
    this.#passwords = [...(options.passwords ?? [])];
    this.#scrypt = options.scrypt;
  }

  get passwords(): readonly VaultPassword[] {
    return this.#passwords;
  }

  /** Add a password (e.g. one asked for on the terminal once it turned out to be needed). */
  addPassword(password: VaultPassword): void {
    this.#passwords.push(password);
    this.#loaded = undefined; // a failed open may succeed now
  }

  exists(): boolean {
    return existsSync(this.file);
  }

  /** Whether opening the vault needs a password (it exists and is encrypted). */
  async encrypted(): Promise<boolean> {
    if (!this.exists()) return false;
    return vaultFormatOf(await readFile(this.file, 'utf8')) !== undefined;
  }

  /** The entry names (opens the vault). */
  async names(): Promise<string[]> {
    const loaded = await this.#current();
    return [...loaded.entries.keys()];
  }

  async has(name: string): Promise<boolean> {
    return (await this.#current()).entries.has(name);
  }

  /** The entry as a Secret, or undefined if the vault (or the entry) does not exist. */
  async tryGet(name: string): Promise<Secret | undefined> {
    const known = this.#secrets.get(name);
    if (known) return known;
    const loaded = await this.#current();
    const bad = loaded.invalid.get(name);
    if (bad)
      throw new VaultError(
        'format',
        `${this.file}: vault entry ${name} is ${bad}: vault entries must be strings (quote the value)`,
      );
    const value = loaded.entries.get(name);
    return value === undefined ? undefined : this.#secret(name, value);
  }

  async get(name: string): Promise<Secret> {
    const found = await this.tryGet(name);
    if (found) return found;
    throw new SecretMissingError(name, this.missingMessage(name));
  }

  /** "no entry X in vault F (…how to add it)". */
  missingMessage(name: string): string {
    return this.exists()
      ? `no entry "${name}" in vault ${this.file} (add it with: playbook vault edit ${this.file})`
      : `no vault ${this.file} (create it with: playbook vault create ${this.file}, and add an entry "${name}")`;
  }

  /**
   * The entry `name`, or a new random one saved into the vault. `onGenerate` hears what was done
   * (for the run's log). Returns the Secret and whether it was generated now.
   */
  async generate(
    name: string,
    options: GenerateOptions = {},
    onGenerate?: (message: string) => void,
  ): Promise<{ secret: Secret; generated: boolean }> {
    const known = this.#secrets.get(name);
    if (known) return { secret: known, generated: false };
    return this.#serialised(async () => {
      const again = this.#secrets.get(name);
      if (again) return { secret: again, generated: false };
      const save = async (): Promise<{ secret: Secret; generated: boolean }> => {
        // Re-read: another process may have saved this (or another) entry since we looked.
        const loaded = await this.#reload();
        const existing = await this.tryGet(name);
        if (existing) return { secret: existing, generated: false };
        const value = randomSecretString(options);
        const bits = entropyBits(options);
        const length = [...value].length;
        if (this.check) {
          onGenerate?.(
            `check mode: would generate secret ${name} (${length} characters, ${bits} bits) and save it in ${this.file}`,
          );
          return { secret: this.#secret(name, value), generated: true };
        }
        await this.#write(loaded, name, value, 'the generated secret');
        onGenerate?.(
          `generated secret ${name} (${length} characters, ${bits} bits) and saved it in ${this.file}`,
        );
        // Known to the run only once it is safely in the vault.
        return { secret: this.#secret(name, value), generated: true };
      };
      return this.check ? save() : withFileLock(this.file, save);
    });
  }

  /** Adds `name: value` to the vault file (atomically, 0600, in its own format) and to the cache. */
  async #write(loaded: Loaded, name: string, value: string, what: string): Promise<void> {
    const password = loaded.opened?.password ?? this.#passwords[0];
    if (!password) {
      throw new VaultError(
        'no-password',
        `cannot save ${what} ${name} into ${this.file}: no vault password was given (--vault-password-file FILE, --vault-id, --ask-vault-pass or NOVASTATION_VAULT_PASSWORD)`,
      );
    }
    const doc = loaded.doc.clone();
    if (!isMap(doc.contents)) doc.contents = doc.createNode({}); // YAML 1.1 would otherwise make an !!omap
    doc.set(name, value);
    const plaintext = String(doc);
    const text = await encryptVaultText(plaintext, password, {
      format: loaded.opened?.format ?? 'novastation',
      ...(loaded.opened?.vaultId ? { vaultId: loaded.opened.vaultId } : {}),
      ...(this.#scrypt ? { scrypt: this.#scrypt } : {}),
    });
    await writeFileAtomic(this.file, text, 0o600);
    const entries = new Map(loaded.entries).set(name, value);
    this.#loaded = Promise.resolve({
      ...loaded,
      text,
      doc,
      entries,
      opened: {
        plaintext: Buffer.from(plaintext),
        format: loaded.opened?.format ?? 'novastation',
        password,
        ...(loaded.opened?.vaultId ? { vaultId: loaded.opened.vaultId } : {}),
      },
    });
  }

  /**
   * Saves a secret a role obtained (an API token's secret that its server shows only once) as
   * the entry `name`. An entry with the same value is left alone; a different one is refused
   * (the vault never loses a value). In check mode nothing is written.
   */
  async save(name: string, value: Secret, onSave?: (message: string) => void): Promise<void> {
    await this.#serialised(async () => {
      const store = async (): Promise<void> => {
        const loaded = await this.#reload();
        const existing = await this.tryGet(name);
        if (existing?.reveal() === value.reveal()) return;
        if (existing)
          throw new VaultError(
            'format',
            `${this.file} already holds a different value for ${name}: not overwritten (remove it with: playbook vault edit ${this.file})`,
          );
        if (this.check) {
          onSave?.(`check mode: would save secret ${name} in ${this.file}`);
          return;
        }
        await this.#write(loaded, name, value.reveal(), 'the secret');
        this.#secrets.set(name, value);
        onSave?.(`saved secret ${name} in ${this.file}`);
      };
      return this.check ? store() : withFileLock(this.file, store);
    });
  }

  /** `ctx.secrets` for one role on one host; `log` goes to the run's -v output. */
  forRole(log: (message: string) => void = () => undefined): RoleSecrets {
    return {
      get: (name) => this.get(name),
      generate: async (name, options) => (await this.generate(name, options, log)).secret,
      save: (name, value) => this.save(name, value, log),
      env: (name) => envSecret(name),
    };
  }

  #secret(name: string, value: string): Secret {
    let s = this.#secrets.get(name);
    if (!s || s.reveal() !== value) {
      s = new Secret(value);
      this.#secrets.set(name, s);
    }
    return s;
  }

  #serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #current(): Promise<Loaded> {
    this.#loaded ??= this.#load(null);
    return this.#loaded;
  }

  /** Read the file again; decrypt only if it changed since the last read. */
  async #reload(): Promise<Loaded> {
    const previous = await this.#current();
    this.#loaded = this.#load(previous);
    return this.#loaded;
  }

  async #load(previous: Loaded | null): Promise<Loaded> {
    let text: string | null;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      text = null;
    }
    if (previous && previous.text === text) return previous;
    if (text === null) return parsePayload(NEW_VAULT_HEADER(this.file), null, undefined, this.file);
    if (!vaultFormatOf(text)) {
      throw new VaultError(
        'format',
        `${this.file} is not encrypted (no $NOVASTATION_VAULT or $ANSIBLE_VAULT header): encrypt it with: playbook vault encrypt ${this.file}`,
      );
    }
    const opened = await decryptVaultText(text, this.#passwords, this.file);
    return parsePayload(opened.plaintext.toString('utf8'), text, opened, this.file);
  }
}

function parsePayload(
  plaintext: string,
  text: string | null,
  opened: OpenedVault | undefined,
  file: string,
): Loaded {
  const doc = parseDocument(plaintext, { version: '1.1', prettyErrors: false });
  if (doc.errors.length) {
    // Never quote the plaintext: the error position is enough.
    const e = doc.errors[0]!;
    throw new VaultError(
      'format',
      `${file}: the decrypted vault is not valid YAML (${e.code} at line ${e.linePos?.[0]?.line ?? '?'}): fix it with: playbook vault edit ${file}`,
    );
  }
  const entries = new Map<string, string>();
  const invalid = new Map<string, string>();
  const root = doc.contents;
  const empty = root === null || (isScalar(root) && (root.value === null || root.value === ''));
  if (!empty) {
    if (!isMap(root))
      throw new VaultError(
        'format',
        `${file}: the decrypted vault must be a YAML mapping of secret names to values`,
      );
    for (const pair of root.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const value = pair.value;
      if (isScalar(value) && typeof value.value === 'string') entries.set(key, value.value);
      else
        invalid.set(
          key,
          isScalar(value) ? `a ${value.value === null ? 'null' : typeof value.value}` : 'not a single value',
        );
    }
  }
  return { text, ...(opened ? { opened } : {}), doc, entries, invalid };
}

const envSecrets = new Map<string, Secret>();

/** An environment variable as a Secret (one Secret per distinct value). */
export function envSecret(name: string, env: NodeJS.ProcessEnv = process.env): Secret {
  const value = env[name];
  if (value === undefined) throw new SecretMissingError(name, `environment variable ${name} is not set`);
  if (value === '') throw new SecretMissingError(name, `environment variable ${name} is empty`);
  const key = `${name}\0${value}`;
  let s = envSecrets.get(key);
  if (!s) envSecrets.set(key, (s = new Secret(value)));
  return s;
}

/** `ctx.secrets` when the run has no store (programmatic runs): every call explains. */
export function roleSecrets(store: SecretStore | undefined, log: (message: string) => void): RoleSecrets {
  if (store) return store.forRole(log);
  const none = (): never => {
    throw new Error('no secret store for this run (give the runner a SecretStore: RunOptions.secrets)');
  };
  return {
    get: async () => none(),
    generate: async () => none(),
    save: async () => none(),
    env: (name) => envSecret(name),
  };
}
