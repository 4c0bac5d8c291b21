/**
 * Where vault passphrases come from, in the order they are tried:
 * 1. `--vault-id [LABEL@]SOURCE` (SOURCE a file, a script, or `prompt`), as Ansible takes it;
 * 2. `--vault-password-file FILE`, as Ansible takes it;
 * 3. the `NOVASTATION_VAULT_PASSWORD` environment variable;
 * 4. `ANSIBLE_VAULT_PASSWORD_FILE` when no file was given on the command line (Ansible's default);
 * 5. `--ask-vault-pass`: a prompt without echo.
 *
 * A password file is read as Ansible reads it: surrounding whitespace stripped. It is refused when
 * its group or others have any access (it holds the key to every secret). An executable file is a
 * script, run with no arguments (a `*-client` script gets `--vault-id LABEL`), whose standard
 * output is the password — as in Ansible; a script is refused when group or others can write it.
 * Every passphrase becomes a Secret, so it is masked in all output like any other secret.
 */
import { execFileSync } from 'node:child_process';
import { statSync, readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Secret } from '../secret.js';
import { VaultError } from './errors.js';
import { askPassphrase } from './prompt.js';

export interface VaultPassword {
  secret: Secret;
  /** For messages: `--vault-password-file ~/.vault_pass`, `NOVASTATION_VAULT_PASSWORD`, `prompt`. */
  source: string;
  /** The vault id (`--vault-id LABEL@…`); Ansible 1.2 envelopes name the one they were made with. */
  label?: string;
}

export interface PasswordOptions {
  /** `--vault-password-file`, repeatable. */
  passwordFiles?: readonly string[];
  /** `--vault-id [LABEL@]SOURCE`, repeatable. */
  vaultIds?: readonly string[];
  /** `--ask-vault-pass`. */
  ask?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Ask twice when prompting (a passphrase for a new vault). */
  confirm?: boolean;
}

export const PASSWORD_ENV = 'NOVASTATION_VAULT_PASSWORD';

const mode = (m: number) => `0${(m & 0o777).toString(8).padStart(3, '0')}`;

/** Python's bytes.strip(): ASCII whitespace at both ends. */
function pyStrip(text: string): string {
  return text.replace(/^[ \t\n\r\x0b\x0c]+|[ \t\n\r\x0b\x0c]+$/g, '');
}

/** Read a password file (or run a password script), refusing unsafe permissions. */
export function readPasswordFile(file: string, label?: string): VaultPassword {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new VaultError('password-file', `vault password file ${file} not found`);
  }
  if (!st.isFile())
    throw new VaultError('password-file', `vault password file ${file} is not a regular file`);
  const source = `vault password file ${file}`;
  let text: string;
  if (st.mode & 0o111) {
    if (st.mode & 0o022) {
      throw new VaultError(
        'password-file',
        `vault password script ${file} has mode ${mode(st.mode)}: group or others can change what it prints (it is run to get the password). Run: chmod go-w ${file}`,
      );
    }
    const client = basename(file, extname(file)).endsWith('-client');
    try {
      text = execFileSync(file, client ? ['--vault-id', label ?? 'default'] : [], {
        stdio: ['inherit', 'pipe', 'inherit'],
        encoding: 'utf8',
      });
    } catch (error) {
      const status = (error as { status?: number }).status;
      throw new VaultError(
        'password-file',
        `vault password script ${file} failed${status !== undefined ? ` (exit ${status})` : `: ${(error as Error).message}`}`,
      );
    }
    text = text.replace(/^[\r\n]+|[\r\n]+$/g, '');
  } else {
    if (st.mode & 0o077) {
      throw new VaultError(
        'password-file',
        `vault password file ${file} has mode ${mode(st.mode)}: group or others can read it, and it opens every secret. Run: chmod 600 ${file}`,
      );
    }
    text = pyStrip(readFileSync(file, 'utf8'));
  }
  if (!text) throw new VaultError('password-file', `vault password file ${file} is empty`);
  return { secret: new Secret(text), source, ...(label ? { label } : {}) };
}

/** `--vault-id` values: `LABEL@SOURCE` or just `SOURCE`; SOURCE `prompt` asks on the terminal. */
export function parseVaultId(value: string): { label?: string; source: string } {
  const at = value.indexOf('@');
  if (at < 0) return { source: value };
  return { label: value.slice(0, at) || undefined, source: value.slice(at + 1) } as {
    label?: string;
    source: string;
  };
}

/** Every passphrase the options name, in the order they are tried. Prompts only when asked to. */
export async function collectPasswords(options: PasswordOptions = {}): Promise<VaultPassword[]> {
  const env = options.env ?? process.env;
  const out: VaultPassword[] = [];
  const add = (p: VaultPassword) => {
    if (!out.some((o) => o.secret.reveal() === p.secret.reveal() && o.label === p.label)) out.push(p);
  };
  for (const id of options.vaultIds ?? []) {
    const { label, source } = parseVaultId(id);
    if (source === 'prompt') {
      const value = await askPassphrase(`Vault password${label ? ` (${label})` : ''}`, {
        confirm: options.confirm,
      });
      add({
        secret: new Secret(value),
        source: `prompt${label ? ` (${label})` : ''}`,
        ...(label ? { label } : {}),
      });
    } else {
      add(readPasswordFile(source, label));
    }
  }
  for (const file of options.passwordFiles ?? []) add(readPasswordFile(file));
  const fromEnv = env[PASSWORD_ENV];
  if (fromEnv) add({ secret: new Secret(fromEnv), source: PASSWORD_ENV });
  const ansibleDefault = env.ANSIBLE_VAULT_PASSWORD_FILE;
  if (ansibleDefault && !options.passwordFiles?.length && !options.vaultIds?.length)
    add(readPasswordFile(ansibleDefault));
  if (options.ask) {
    const value = await askPassphrase('Vault password', { confirm: options.confirm });
    add({ secret: new Secret(value), source: 'prompt' });
  }
  return out;
}

/** How to describe where passwords came from, for "wrong passphrase" messages. */
export function describeSources(passwords: readonly VaultPassword[]): string {
  return passwords.map((p) => p.source).join(', ');
}
