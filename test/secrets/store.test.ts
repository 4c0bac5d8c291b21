/**
 * Generated secrets are kept: the first call generates (crypto.randomBytes) and writes the value
 * back into the vault, re-encrypted, 0600; the second call — and a second run with a fresh store
 * — reads the same value back and the vault file does not change again. Check mode writes
 * nothing; concurrent callers get one value; the user's comments in the vault survive.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretStore } from '../../lib/secrets/store.js';
import { randomSecretString } from '../../lib/secrets/generate.js';
import { readVaultFile, writeVaultFile, MIN_SCRYPT_N, encryptAnsible } from '../../lib/vault/index.js';
import { Secret, isSecret } from '../../lib/secret.js';

const FAST = { N: MIN_SCRYPT_N, r: 8, p: 1 };
const password = { secret: new Secret('store test passphrase'), source: 'test' };
const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const workdir = () => mkdtempSync(join(tmpdir(), 'ns-store-'));

describe('generated secrets', () => {
  it('are generated once, written back into the vault, and read back unchanged by the next run', async () => {
    const dir = workdir();
    const file = join(dir, 'secrets.vault');
    await writeVaultFile(file, '# the site secrets\nexisting: "kept value"\n', password, { scrypt: FAST });
    const original = digest(file);

    const logs: string[] = [];
    const run1 = new SecretStore({ file, passwords: [password], scrypt: FAST });
    const first = await run1.generate('guacamole_db_password', { length: 40 }, (m) => logs.push(m));
    expect(first.generated).toBe(true);
    expect(isSecret(first.secret)).toBe(true);
    expect(first.secret.reveal()).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(logs.join('\n')).toMatch(
      /generated secret guacamole_db_password \(40 characters, 238 bits\) and saved it in/,
    );
    expect(logs.join('\n')).not.toContain(first.secret.reveal());
    const afterFirst = digest(file);
    expect(afterFirst).not.toBe(original); // changed once…
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['secrets.vault']); // no temp or lock file left

    const again = await run1.generate('guacamole_db_password', { length: 40 });
    expect(again.generated).toBe(false);
    expect(again.secret.reveal()).toBe(first.secret.reveal());

    // A second run: a new store reading the file.
    const run2 = new SecretStore({ file, passwords: [password], scrypt: FAST });
    const second = await run2.generate('guacamole_db_password', { length: 40 });
    expect(second.generated).toBe(false);
    expect(second.secret.reveal()).toBe(first.secret.reveal());
    expect(digest(file)).toBe(afterFirst); // …then not again

    // The file is a valid vault holding both entries, the user's comment included.
    const plaintext = (await readVaultFile(file, [password])).plaintext.toString();
    expect(plaintext).toContain('# the site secrets');
    expect(plaintext).toContain('existing: "kept value"');
    expect(plaintext).toContain(`guacamole_db_password: ${first.secret.reveal()}`);
    expect((await run2.get('existing')).reveal()).toBe('kept value');
  });

  it('creates the vault when there is none yet', async () => {
    const file = join(workdir(), 'secrets.vault');
    const store = new SecretStore({ file, passwords: [password], scrypt: FAST });
    const { secret } = await store.generate('admin_password');
    expect(secret.reveal()).toHaveLength(32);
    expect(readFileSync(file, 'utf8')).toMatch(/^\$NOVASTATION_VAULT;1;/);
    const plaintext = (await readVaultFile(file, [password])).plaintext.toString();
    expect(plaintext).toMatch(/^# NovaStation vault/);
    expect(plaintext).toContain(`admin_password: ${secret.reveal()}`);
  });

  it('in check mode, generate nothing into the file', async () => {
    const file = join(workdir(), 'secrets.vault');
    await writeVaultFile(file, 'a: "b-value"\n', password, { scrypt: FAST });
    const before = digest(file);
    const logs: string[] = [];
    const store = new SecretStore({ file, passwords: [password], check: true, scrypt: FAST });
    const r = await store.generate('new_one', {}, (m) => logs.push(m));
    expect(r.generated).toBe(true);
    expect(logs[0]).toMatch(/^check mode: would generate secret new_one/);
    expect(digest(file)).toBe(before);
    // Within the run, the same made-up value every time.
    expect((await store.generate('new_one')).secret.reveal()).toBe(r.secret.reveal());
  });

  it('concurrent callers (hosts in parallel) get one value, written once', async () => {
    const file = join(workdir(), 'secrets.vault');
    const store = new SecretStore({ file, passwords: [password], scrypt: FAST });
    const results = await Promise.all([1, 2, 3, 4].map(() => store.generate('shared')));
    expect(new Set(results.map((r) => r.secret.reveal())).size).toBe(1);
    expect(results.filter((r) => r.generated)).toHaveLength(1);
  });

  it("two stores (two runs at once) do not lose each other's entries", async () => {
    const file = join(workdir(), 'secrets.vault');
    const a = new SecretStore({ file, passwords: [password], scrypt: FAST });
    const b = new SecretStore({ file, passwords: [password], scrypt: FAST });
    const [x, y] = await Promise.all([a.generate('from_a'), b.generate('from_b')]);
    const fresh = new SecretStore({ file, passwords: [password] });
    expect((await fresh.get('from_a')).reveal()).toBe(x.secret.reveal());
    expect((await fresh.get('from_b')).reveal()).toBe(y.secret.reveal());
  });

  it('keeps an Ansible-format vault in Ansible format', async () => {
    const file = join(workdir(), 'vault.yml');
    writeFileSync(file, encryptAnsible('old: "value-1"\n', Buffer.from(password.secret.reveal())), {
      mode: 0o600,
    });
    const store = new SecretStore({ file, passwords: [password] });
    await store.generate('new_entry');
    expect(readFileSync(file, 'utf8')).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    expect((await new SecretStore({ file, passwords: [password] }).get('old')).reveal()).toBe('value-1');
  });

  it('without a password, says it cannot save, and get() names the missing entry and the vault', async () => {
    const file = join(workdir(), 'secrets.vault');
    const store = new SecretStore({ file, passwords: [] });
    await expect(store.generate('x')).rejects.toThrow(
      /cannot save the generated secret x into .*no vault password was given/,
    );
    await expect(store.get('x')).rejects.toThrow(
      /no vault .*secrets\.vault \(create it with: playbook vault create/,
    );
    await writeVaultFile(file, 'a: "b-value"\n', password, { scrypt: FAST });
    const withPw = new SecretStore({ file, passwords: [password] });
    await expect(withPw.get('nope')).rejects.toThrow(/no entry "nope" in vault .*playbook vault edit/);
  });

  it('draws uniformly from the alphabet it is given', () => {
    const s = randomSecretString({ length: 4000, alphabet: 'ab' });
    const as = [...s].filter((c) => c === 'a').length;
    expect(s).toMatch(/^[ab]+$/);
    expect(as).toBeGreaterThan(1800);
    expect(as).toBeLessThan(2200);
    expect(() => randomSecretString({ length: 4 })).toThrow(/length from 8/);
    expect(randomSecretString({ length: 12, alphabet: '🔑x' })).toMatch(/^(?:🔑|x){12}$/u);
  });
});
