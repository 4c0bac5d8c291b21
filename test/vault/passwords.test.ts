/**
 * Where vault passwords come from: password files refused when group or others can read them
 * (the message names the mode and the command that fixes it), scripts refused when others can
 * change them, the environment variable, --vault-id labels, and every password masked.
 */
import { describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectPasswords, parseVaultId, readPasswordFile } from '../../lib/vault/passwords.js';
import { VaultError } from '../../lib/vault/errors.js';
import { processMasker } from '../../lib/secret.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-vault-pw-'));
const file = (name: string, text: string, mode: number) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
};

function refused(fn: () => unknown): VaultError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(VaultError);
    return error as VaultError;
  }
  throw new Error('expected a refusal');
}

describe('vault password sources', () => {
  it('refuses a password file that group or others can read, naming its mode and the fix', () => {
    const open = file('pass-0644', 'hunter2-password\n', 0o644);
    const e = refused(() => readPasswordFile(open));
    expect(e.code).toBe('password-file');
    expect(e.message).toContain('has mode 0644');
    expect(e.message).toContain(`chmod 600 ${open}`);
    for (const mode of [0o640, 0o604, 0o660]) {
      chmodSync(open, mode);
      expect(() => readPasswordFile(open), mode.toString(8)).toThrow(/group or others can read it/);
    }
    chmodSync(open, 0o600);
    expect(readPasswordFile(open).secret.reveal()).toBe('hunter2-password');
    chmodSync(open, 0o400);
    expect(readPasswordFile(open).secret.reveal()).toBe('hunter2-password');
  });

  it('runs an executable password file, refusing one that group or others can change', () => {
    const script = file('pass-script', "#!/bin/sh\nprintf 'from-a-script\\n'\n", 0o755);
    expect(readPasswordFile(script).secret.reveal()).toBe('from-a-script');
    chmodSync(script, 0o775);
    const e = refused(() => readPasswordFile(script));
    expect(e.message).toContain('mode 0775');
    expect(e.message).toContain(`chmod go-w ${script}`);
    const failing = file('pass-fail', '#!/bin/sh\nexit 3\n', 0o700);
    expect(() => readPasswordFile(failing)).toThrow(/failed \(exit 3\)/);
  });

  it('refuses missing and empty password files', () => {
    expect(() => readPasswordFile(join(dir, 'nope'))).toThrow(/not found/);
    const empty = file('pass-empty', ' \n', 0o600);
    expect(() => readPasswordFile(empty)).toThrow(/is empty/);
  });

  it('collects --vault-id, --vault-password-file and NOVASTATION_VAULT_PASSWORD in that order, masked', async () => {
    const a = file('pass-a', 'password-from-a', 0o600);
    const b = file('pass-b', 'password-from-b', 0o600);
    const passwords = await collectPasswords({
      vaultIds: [`prod@${a}`],
      passwordFiles: [b],
      env: { NOVASTATION_VAULT_PASSWORD: 'password-from-env' },
    });
    expect(passwords.map((p) => [p.secret.reveal(), p.label])).toEqual([
      ['password-from-a', 'prod'],
      ['password-from-b', undefined],
      ['password-from-env', undefined],
    ]);
    expect(processMasker.mask('x password-from-env y')).toBe('x ******** y');
    expect(String(passwords[0]!.secret)).toBe('********');
    // ANSIBLE_VAULT_PASSWORD_FILE is Ansible's default, used when no file is given on the command line.
    const fromAnsibleEnv = await collectPasswords({ env: { ANSIBLE_VAULT_PASSWORD_FILE: a } });
    expect(fromAnsibleEnv.map((p) => p.secret.reveal())).toEqual(['password-from-a']);
    expect(await collectPasswords({ env: {} })).toEqual([]);
  });

  it('parses --vault-id as Ansible does', () => {
    expect(parseVaultId('dev@/x/pass')).toEqual({ label: 'dev', source: '/x/pass' });
    expect(parseVaultId('/x/pass')).toEqual({ source: '/x/pass' });
    expect(parseVaultId('prod@prompt')).toEqual({ label: 'prod', source: 'prompt' });
  });

  it('asking without a terminal explains which options to use instead', async () => {
    const e = await collectPasswords({ ask: true, env: {} }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(e).toBeInstanceOf(VaultError);
    expect((e as VaultError).message).toMatch(
      /--vault-password-file FILE.*NOVASTATION_VAULT_PASSWORD.*no terminal/,
    );
  });
});
