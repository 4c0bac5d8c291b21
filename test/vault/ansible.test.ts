/**
 * Ansible Vault compatibility against the real `ansible-vault` (Debian's ansible, ansible-core
 * 2.14): files it encrypts (1.1, and 1.2 with a vault id) and `!vault` values from
 * `encrypt_string` decrypt to exactly what went in; what we encrypt in its format, it opens;
 * a wrong password is refused with a message that does not pretend to know more than the HMAC.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptAnsible, encryptAnsible, parseAnsibleVault } from '../../lib/vault/ansible-format.js';
import { VaultError } from '../../lib/vault/errors.js';
import { loadInventory, VaultedValue } from '../../lib/inventory/index.js';
import { resolveSecrets } from '../../lib/secrets/resolve.js';
import { isSecret } from '../../lib/secret.js';
import { readPasswordFile } from '../../lib/vault/passwords.js';

const haveAnsible = spawnSync('ansible-vault', ['--version']).status === 0;
if (!haveAnsible)
  console.warn('Ansible vault tests skipped: ansible-vault is not installed (apt-get install ansible)');
const skip = !haveAnsible && process.env.CI !== 'true';

const dir = mkdtempSync(join(tmpdir(), 'ns-ansible-vault-'));
const file = (name: string, text: string, mode = 0o600) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
};
const PASSWORD = 'ansible pässword';
const passwordFile = file('vault-pass', `${PASSWORD}\n`);
const pw = (text: string, label?: string) => ({ bytes: Buffer.from(text), ...(label ? { label } : {}) });
const ansibleVault = (...args: string[]) =>
  execFileSync('ansible-vault', args, { encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' } });

describe.skipIf(skip)('Ansible Vault compatibility (real ansible-vault)', () => {
  it('reads a 1.1 file made by ansible-vault encrypt', () => {
    const plaintext = 'db_password: "Ünïcode & spaces"\nport: 5432\n';
    const path = file('vars.yml', plaintext);
    ansibleVault('encrypt', '--vault-password-file', passwordFile, path);
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    const { plaintext: out } = decryptAnsible(text, [pw(PASSWORD)], path);
    expect(out.toString('utf8')).toBe(plaintext);
  });

  it('reads a 1.2 file with a vault id, trying the matching label first', () => {
    const path = file('prod.yml', 'token: prod-token-value\n');
    ansibleVault('encrypt', '--vault-id', `prod@${passwordFile}`, path);
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;prod');
    expect(parseAnsibleVault(text, path).label).toBe('prod');
    const r = decryptAnsible(text, [pw('some other password', 'dev'), pw(PASSWORD, 'prod')], path);
    expect(r.plaintext.toString()).toBe('token: prod-token-value\n');
    expect(r.passwordIndex).toBe(1);
  });

  it('reads a !vault value made by ansible-vault encrypt_string, in an inventory, as a Secret', async () => {
    const snippet = ansibleVault(
      'encrypt_string',
      '--vault-password-file',
      passwordFile,
      'Guac-DB pa$$ "word"',
      '--name',
      'guacamole_db_password',
    );
    expect(snippet).toContain('!vault |');
    const inventory = file(
      'hosts.yml',
      `all:\n  hosts:\n    gw1:\n      ${snippet.trim().replace(/\n/g, '\n      ')}\n`,
    );
    const inv = await loadInventory([inventory]);
    const host = inv.hosts.get('gw1')!;
    expect(host.vars.guacamole_db_password).toBeInstanceOf(VaultedValue);
    const vars = await resolveSecrets(host.vars, {
      passwords: [readPasswordFile(passwordFile)],
      sources: host.varSources,
    });
    const value = vars.guacamole_db_password;
    expect(isSecret(value)).toBe(true);
    expect(isSecret(value) && value.reveal()).toBe('Guac-DB pa$$ "word"');
    expect(String(value)).toBe('********');
  });

  it('what we encrypt in Ansible format, ansible-vault decrypts (1.1 and 1.2)', () => {
    const plaintext = 'secret: "from NovaStation"\n';
    const v11 = file('ours-11.yml', encryptAnsible(plaintext, Buffer.from(PASSWORD)));
    expect(ansibleVault('view', '--vault-password-file', passwordFile, v11)).toBe(plaintext);
    const v12 = file('ours-12.yml', encryptAnsible(plaintext, Buffer.from(PASSWORD), { vaultId: 'dev' }));
    expect(readFileSync(v12, 'utf8').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;dev');
    expect(ansibleVault('view', '--vault-id', `dev@${passwordFile}`, v12)).toBe(plaintext);
  });

  it('a wrong password is refused, saying it cannot tell a wrong password from a modified file', () => {
    const path = file('wrong.yml', 'a: b\n');
    ansibleVault('encrypt', '--vault-password-file', passwordFile, path);
    const text = readFileSync(path, 'utf8');
    let error: unknown;
    try {
      decryptAnsible(text, [pw('not it')], path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VaultError);
    expect((error as VaultError).code).toBe('wrong-passphrase-or-modified');
    expect((error as VaultError).message).toMatch(/wrong password, or the file was modified/);
    // A flipped hex digit in the payload fails the same HMAC.
    const lines = text.split('\n');
    lines[3] = lines[3]!.replace(/^./, (c) => (c === '3' ? '6' : '3'));
    expect(() => decryptAnsible(lines.join('\n'), [pw(PASSWORD)], path)).toThrow(
      /HMAC check failed|not hexadecimal|malformed/,
    );
  });

  it('takes a password file as Ansible does: surrounding whitespace stripped; an executable file is a script', () => {
    const padded = file('padded-pass', `  \t${PASSWORD}\r\n\n`);
    expect(readPasswordFile(padded).secret.reveal()).toBe(PASSWORD);
    const script = file('pass-script', `#!/bin/sh\necho '${PASSWORD}'\n`, 0o700);
    const path = file('by-script.yml', 'x: y\n');
    ansibleVault('encrypt', '--vault-password-file', script, path);
    const fromScript = readPasswordFile(script);
    expect(fromScript.secret.reveal()).toBe(PASSWORD);
    expect(
      decryptAnsible(readFileSync(path, 'utf8'), [pw(fromScript.secret.reveal())], path).plaintext.toString(),
    ).toBe('x: y\n');
  });
});
