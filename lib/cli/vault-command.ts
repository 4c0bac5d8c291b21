/**
 * `playbook vault`: make, change and read vault files.
 *
 *   playbook vault create FILE           new vault, contents typed in $EDITOR
 *   playbook vault edit FILE             decrypt into $EDITOR, re-encrypt if changed
 *   playbook vault view FILE...          print the decrypted contents
 *   playbook vault encrypt FILE...       encrypt plaintext files in place (or --output)
 *   playbook vault decrypt FILE...       decrypt in place (or --output, `-` for stdout)
 *   playbook vault rekey FILE...         change the passphrase
 *
 * Passphrases: --vault-password-file FILE / --vault-id [LABEL@]SOURCE (as in Ansible; a password
 * file readable by group or others is refused), NOVASTATION_VAULT_PASSWORD, else a prompt without
 * echo (asked twice for a new vault or a new passphrase). Every file is written atomically with
 * mode 0600. `edit` and `create` put the plaintext in a 0600 file in a fresh 0700 folder (in
 * /dev/shm when there is one, so it stays in memory), overwritten and removed afterwards, also
 * when the editor fails or Ctrl-C is pressed.
 * Files keep their format: an Ansible vault stays an Ansible vault (so `ansible-vault` still
 * opens it during a migration) unless `--format novastation` converts it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { optionsError } from './unknown-option.js';
import { parseDocument, isMap, isScalar } from '../vendor/yaml.js';
import { BadOptionsError, ExitCode } from '../errors.js';
import { Secret } from '../secret.js';
import {
  askPassphrase,
  canPrompt,
  collectPasswords,
  decryptVaultText,
  encryptVaultText,
  readPasswordFile,
  parseVaultId,
  PromptInterrupted,
  VaultError,
  vaultFormatOf,
  writeFileAtomic,
  type VaultFormat,
  type VaultPassword,
} from '../vault/index.js';
import { promptHidden } from '../vault/prompt.js';

export const VAULT_HELP = `usage: playbook vault ACTION [options] FILE...

Actions:
  create FILE        make a new vault and edit its contents in $EDITOR
  edit FILE          edit a vault in $EDITOR (re-encrypted only if changed)
  view FILE...       print decrypted contents
  encrypt FILE...    encrypt plaintext files (in place, or --output)
  decrypt FILE...    decrypt vault files (in place, or --output; "-" is stdout)
  rekey FILE...      change the passphrase

Options:
  --vault-password-file FILE     passphrase from FILE (must not be readable by group/others;
                                 an executable FILE is run and prints it, as in Ansible); repeatable
  --vault-id [LABEL@]SOURCE      as in Ansible: SOURCE is a file, a script or "prompt"; repeatable
  --new-vault-password-file FILE rekey: the new passphrase
  --new-vault-id [LABEL@]SOURCE  rekey: the new passphrase (and vault id, for Ansible vaults)
  --format novastation|ansible   create/encrypt: the format (default novastation); edit/rekey:
                                 convert to it (default: keep the file's format)
  --output FILE                  encrypt/decrypt one file to FILE ("-": stdout) instead of in place

Without a password option, NOVASTATION_VAULT_PASSWORD (and NOVASTATION_NEW_VAULT_PASSWORD for
rekey) are used, else the passphrase is asked for on the terminal.

Format of a NovaStation vault: "$NOVASTATION_VAULT;1;scrypt;N=131072,r=8,p=1;aes-256-gcm", then
base64 of salt, nonce, key check, AES-256-GCM ciphertext and tag, and a SHA-256 checksum. The
contents of a vault used for secrets is a YAML mapping: name: "value".
`;

/** The editor failed or could not run: nothing was saved. */
export class EditAborted extends Error {
  readonly exitCode: ExitCode = ExitCode.error;
}

const NEW_PASSWORD_ENV = 'NOVASTATION_NEW_VAULT_PASSWORD';

const CREATE_TEMPLATE = `# NovaStation vault: a YAML mapping of secret names to their values.
# Reference an entry from an inventory or vars file with:  db_password: !secret db_password
#
# db_password: "change me"
`;

interface VaultCli {
  action: string;
  files: string[];
  passwordFiles: string[];
  vaultIds: string[];
  newPasswordFile?: string;
  newVaultId?: string;
  format?: VaultFormat;
  output?: string;
}

const VAULT_OPTIONS = {
  'vault-password-file': { type: 'string', multiple: true },
  'vault-id': { type: 'string', multiple: true },
  'new-vault-password-file': { type: 'string' },
  'new-vault-id': { type: 'string' },
  'ask-vault-pass': { type: 'boolean' },
  'ask-vault-password': { type: 'boolean' },
  format: { type: 'string' },
  output: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: string[]): VaultCli | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: VAULT_OPTIONS,
    });
  } catch (error) {
    throw optionsError(
      error,
      VAULT_OPTIONS,
      'usage: playbook vault create|edit|view|encrypt|decrypt|rekey FILE... (see playbook vault --help)',
    );
  }
  const v = parsed.values;
  if (v.help || !parsed.positionals.length) return 'help';
  const [action, ...files] = parsed.positionals as [string, ...string[]];
  if (!['create', 'edit', 'view', 'encrypt', 'decrypt', 'rekey'].includes(action)) {
    throw new BadOptionsError(
      `unknown vault action "${action}" (create, edit, view, encrypt, decrypt, rekey)`,
    );
  }
  if (!files.length) throw new BadOptionsError(`playbook vault ${action} needs a FILE`);
  if ((action === 'create' || action === 'edit') && files.length > 1)
    throw new BadOptionsError(`playbook vault ${action} takes one FILE`);
  if (v.output !== undefined && files.length > 1) throw new BadOptionsError('--output works with one FILE');
  if (v.output !== undefined && action !== 'encrypt' && action !== 'decrypt')
    throw new BadOptionsError('--output is for encrypt and decrypt');
  if (v.format !== undefined && v.format !== 'novastation' && v.format !== 'ansible')
    throw new BadOptionsError(`--format must be novastation or ansible, got ${v.format}`);
  return {
    action,
    files,
    passwordFiles: v['vault-password-file'] ?? [],
    vaultIds: v['vault-id'] ?? [],
    ...(v['new-vault-password-file'] ? { newPasswordFile: v['new-vault-password-file'] } : {}),
    ...(v['new-vault-id'] ? { newVaultId: v['new-vault-id'] } : {}),
    ...(v.format ? { format: v.format as VaultFormat } : {}),
    ...(v.output !== undefined ? { output: v.output } : {}),
  };
}

/** Passwords to open existing vaults: the options', else one asked for. */
async function openingPasswords(cli: VaultCli): Promise<VaultPassword[]> {
  const passwords = await collectPasswords({ passwordFiles: cli.passwordFiles, vaultIds: cli.vaultIds });
  if (passwords.length) return passwords;
  return [{ secret: new Secret(await askPassphrase('Vault password')), source: 'prompt' }];
}

/** The password for a new vault: the first one the options give, else asked for twice. */
async function newVaultPassword(cli: VaultCli): Promise<VaultPassword> {
  const passwords = await collectPasswords({
    passwordFiles: cli.passwordFiles,
    vaultIds: cli.vaultIds,
    confirm: true,
  });
  if (passwords[0]) return passwords[0];
  return {
    secret: new Secret(await askPassphrase('New vault password', { confirm: true })),
    source: 'prompt',
  };
}

/** rekey's new password: --new-vault-password-file / --new-vault-id / NOVASTATION_NEW_VAULT_PASSWORD / prompt. */
async function rekeyPassword(cli: VaultCli): Promise<VaultPassword> {
  if (cli.newPasswordFile) return readPasswordFile(cli.newPasswordFile);
  if (cli.newVaultId) {
    const { label, source } = parseVaultId(cli.newVaultId);
    if (source !== 'prompt') return readPasswordFile(source, label);
    const value = await askPassphrase(`New vault password${label ? ` (${label})` : ''}`, { confirm: true });
    return { secret: new Secret(value), source: 'prompt', ...(label ? { label } : {}) };
  }
  const env = process.env[NEW_PASSWORD_ENV];
  if (env) return { secret: new Secret(env), source: NEW_PASSWORD_ENV };
  return {
    secret: new Secret(await askPassphrase('New vault password', { confirm: true })),
    source: 'prompt',
  };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new VaultError(
      'format',
      code === 'ENOENT' ? `${file} not found` : `cannot read ${file}: ${(error as Error).message}`,
    );
  }
}

async function open(file: string, passwords: VaultPassword[]) {
  const text = readText(file);
  if (!vaultFormatOf(text))
    throw new VaultError('format', `${file} is not a vault (no $NOVASTATION_VAULT or $ANSIBLE_VAULT header)`);
  return decryptVaultText(text, passwords, file);
}

/** The folder for edit temp files: /dev/shm (memory) when usable, else the temp dir. */
function editBase(): string {
  try {
    if (statSync('/dev/shm').isDirectory()) {
      const probe = mkdtempSync('/dev/shm/novastation-probe-');
      rmSync(probe, { recursive: true, force: true });
      return '/dev/shm';
    }
  } catch {
    /* not usable */
  }
  return tmpdir();
}

function editorCommand(): string {
  return process.env.VISUAL || process.env.EDITOR || 'vi';
}

/** Problems with edited vault contents, or undefined when they are fine. */
function checkSecretsYaml(text: string): string | undefined {
  const doc = parseDocument(text, { version: '1.1', prettyErrors: false });
  const e = doc.errors[0];
  if (e) return `not valid YAML: ${e.message.split('\n')[0]}`;
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return undefined;
  if (!isMap(root)) return 'a vault must be a YAML mapping of secret names to values';
  for (const pair of root.items) {
    if (!isScalar(pair.value) || typeof pair.value.value !== 'string') {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      return `entry ${key} is not a string: vault entries must be strings (quote the value)`;
    }
  }
  return undefined;
}

async function askYesNo(question: string): Promise<boolean> {
  if (!canPrompt()) return false;
  // The answer is not secret, but reading it the same way keeps the terminal handling in one place.
  const answer = (await promptHidden(`${question} [Y/n] `)).trim().toLowerCase();
  return answer === '' || answer === 'y' || answer === 'yes';
}

/**
 * Let the user edit `initial` in $EDITOR; returns the new text, or undefined if it did not change.
 * The plaintext lives in a 0600 file inside a fresh 0700 folder, overwritten and removed after.
 */
export async function editInTempFile(
  initial: string,
  nameHint: string,
  validate?: (text: string) => string | undefined,
): Promise<string | undefined> {
  const dir = mkdtempSync(join(editBase(), 'novastation-vault-'));
  const name =
    basename(nameHint)
      .replace(/\.vault$/, '')
      .replace(/^\.+/, '') || 'vault';
  const file = join(dir, /\.ya?ml$/.test(name) ? name : `${name}.yml`);
  const ignoreSigint = () => undefined; // the editor handles Ctrl-C; we must live to clean up
  process.on('SIGINT', ignoreSigint);
  try {
    writeFileSync(file, initial, { mode: 0o600, flag: 'wx' });
    for (;;) {
      const result = spawnSync('/bin/sh', ['-c', `${editorCommand()} "$1"`, 'sh', file], {
        stdio: 'inherit',
      });
      if (result.error)
        throw new EditAborted(
          `could not run the editor (${editorCommand()}): ${result.error.message}; nothing was saved`,
        );
      if (result.status !== 0)
        throw new EditAborted(
          `the editor (${editorCommand()}) exited with ${result.status ?? result.signal}; nothing was saved`,
        );
      const text = readFileSync(file, 'utf8');
      const problem = validate?.(text);
      if (!problem) return text === initial ? undefined : text;
      process.stderr.write(`${nameHint}: ${problem}\n`);
      if (!(await askYesNo('Edit again?')))
        throw new VaultError('format', `${nameHint}: ${problem}; nothing was saved`);
    }
  } finally {
    process.removeListener('SIGINT', ignoreSigint);
    try {
      if (existsSync(file)) writeFileSync(file, Buffer.alloc(statSync(file).size));
    } catch {
      /* removed below anyway */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function looksLikeSecretsYaml(text: string): boolean {
  return checkSecretsYaml(text) === undefined;
}

async function run(cli: VaultCli): Promise<number> {
  switch (cli.action) {
    case 'create': {
      const file = cli.files[0]!;
      if (existsSync(file))
        throw new BadOptionsError(`${file} already exists (change it with: playbook vault edit ${file})`);
      const password = await newVaultPassword(cli);
      const text = (await editInTempFile(CREATE_TEMPLATE, file, checkSecretsYaml)) ?? CREATE_TEMPLATE;
      await writeFileAtomic(
        file,
        await encryptVaultText(text, password, { format: cli.format ?? 'novastation' }),
        0o600,
      );
      process.stderr.write(`created ${file} (mode 0600)\n`);
      return ExitCode.ok;
    }
    case 'edit': {
      const file = cli.files[0]!;
      const opened = await open(file, await openingPasswords(cli));
      const plaintext = opened.plaintext.toString('utf8');
      const validate =
        opened.format === 'novastation' && looksLikeSecretsYaml(plaintext) ? checkSecretsYaml : undefined;
      const edited = await editInTempFile(plaintext, file, validate);
      const format = cli.format ?? opened.format;
      if (edited === undefined && format === opened.format) {
        process.stderr.write(`no changes: ${file} left as it was\n`);
        return ExitCode.ok;
      }
      await writeFileAtomic(
        file,
        await encryptVaultText(edited ?? plaintext, opened.password, {
          format,
          ...(opened.vaultId ? { vaultId: opened.vaultId } : {}),
        }),
        0o600,
      );
      process.stderr.write(`saved ${file}${format !== opened.format ? ` (now in ${format} format)` : ''}\n`);
      return ExitCode.ok;
    }
    case 'view': {
      const passwords = await openingPasswords(cli);
      for (const file of cli.files) {
        const opened = await open(file, passwords);
        process.stdout.write(opened.plaintext);
      }
      return ExitCode.ok;
    }
    case 'encrypt': {
      const password = await newVaultPassword(cli);
      for (const file of cli.files) {
        const text = readText(file);
        if (vaultFormatOf(text)) throw new VaultError('format', `${file} is already encrypted`);
        const encrypted = await encryptVaultText(text, password, { format: cli.format ?? 'novastation' });
        if (cli.output === '-') process.stdout.write(encrypted);
        else await writeFileAtomic(cli.output ?? file, encrypted, 0o600);
        if (cli.output !== '-') process.stderr.write(`encrypted ${cli.output ?? file}\n`);
      }
      return ExitCode.ok;
    }
    case 'decrypt': {
      const passwords = await openingPasswords(cli);
      for (const file of cli.files) {
        const opened = await open(file, passwords);
        if (cli.output === '-') process.stdout.write(opened.plaintext);
        else {
          await writeFileAtomic(cli.output ?? file, opened.plaintext, 0o600);
          process.stderr.write(`decrypted ${cli.output ?? file} (mode 0600)\n`);
        }
      }
      return ExitCode.ok;
    }
    case 'rekey': {
      const passwords = await openingPasswords(cli);
      const opened = await Promise.all(cli.files.map((f) => open(f, passwords)));
      const password = await rekeyPassword(cli);
      for (const [i, file] of cli.files.entries()) {
        const o = opened[i]!;
        const vaultId = password.label ?? o.vaultId;
        await writeFileAtomic(
          file,
          await encryptVaultText(o.plaintext, password, {
            format: cli.format ?? o.format,
            ...(vaultId ? { vaultId } : {}),
          }),
          0o600,
        );
        process.stderr.write(`rekeyed ${file}\n`);
      }
      return ExitCode.ok;
    }
  }
  throw new BadOptionsError(`unknown vault action ${cli.action}`);
}

export async function vaultCommand(argv: string[]): Promise<number> {
  try {
    const cli = parse(argv);
    if (cli === 'help') {
      process.stdout.write(VAULT_HELP);
      return ExitCode.ok;
    }
    return await run(cli);
  } catch (error) {
    // Expected failures get a message, not a stack trace.
    if (
      error instanceof VaultError ||
      error instanceof PromptInterrupted ||
      error instanceof EditAborted ||
      error instanceof BadOptionsError
    ) {
      process.stderr.write(`ERROR: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
