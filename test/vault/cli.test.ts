/**
 * `playbook vault create|edit|view|encrypt|decrypt|rekey` as a user runs it (the compiled
 * command, in its own process): files written 0600, $EDITOR given a 0600 file in a 0700 folder
 * that is gone afterwards, unchanged edits not rewritten, a failed editor saving nothing, rekey,
 * clear refusals (wrong passphrase, damaged file, readable password file), and a terminal prompt
 * that does not echo the passphrase.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-vault-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, name);
const write = (name: string, text: string, mode = 0o600) => {
  writeFileSync(path(name), text);
  chmodSync(path(name), mode);
  return path(name);
};

// The compiled command (npm test builds first), run as its own process like `playbook vault …`.
const runner = write(
  'run-vault.mjs',
  `import { vaultCommand } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/lib/cli/vault-command.js')).href)};\n` +
    'process.exit(await vaultCommand(process.argv.slice(2)));\n',
);

const editorLog = path('editor.log');
const editor = write(
  'editor.sh',
  [
    '#!/bin/sh',
    'f="$1"',
    'echo "$f $(stat -c %a "$(dirname "$f")") $(stat -c %a "$f")" >> "$EDITOR_LOG"',
    'if [ -n "$EDITOR_REPLACE" ]; then cat "$EDITOR_REPLACE" > "$f"; fi',
    'if [ -n "$EDITOR_APPEND" ]; then printf "%s\\n" "$EDITOR_APPEND" >> "$f"; fi',
    'exit ${EDITOR_EXIT:-0}',
    '',
  ].join('\n'),
  0o700,
);
const passFile = write('pass', 'first passphrase\n');
const newPassFile = write('new-pass', 'second passphrase\n');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function vault(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    delete base.NOVASTATION_VAULT_PASSWORD;
    delete base.ANSIBLE_VAULT_PASSWORD_FILE;
    // The KDF's floor (2^15) instead of the default 2^17 keeps these many runs quick; the first
    // test checks the default.
    const child = spawn(process.execPath, [runner, ...args], {
      cwd: dir,
      env: { ...base, EDITOR: editor, EDITOR_LOG: editorLog, NOVASTATION_VAULT_SCRYPT_N: '32768', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const lastEdit = () => readFileSync(editorLog, 'utf8').trim().split('\n').at(-1)!.split(' ');
const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

describe('playbook vault', () => {
  it('create: contents from $EDITOR in a 0600 file inside a 0700 folder, removed afterwards; the vault is 0600', async () => {
    const contents = write('contents.yml', 'db_password: "first secret value"\napi_token: "tok-123456"\n');
    const file = path('secrets.vault');
    const r = await vault(['create', file, '--vault-password-file', passFile], {
      EDITOR_REPLACE: contents,
      NOVASTATION_VAULT_SCRYPT_N: '',
    });
    expect(r.code, r.stderr).toBe(0);
    const [tempFile, dirMode, fileMode] = lastEdit();
    expect(dirMode).toBe('700');
    expect(fileMode).toBe('600');
    expect(existsSync(tempFile!)).toBe(false);
    expect(existsSync(join(tempFile!, '..'))).toBe(false);
    expect(mode(file)).toBe('600');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^\$NOVASTATION_VAULT;1;scrypt;N=131072,r=8,p=1;aes-256-gcm\n/);
    expect(text).not.toContain('first secret value');
    const view = await vault(['view', file, '--vault-password-file', passFile]);
    expect(view.code, view.stderr).toBe(0);
    expect(view.stdout).toBe(readFileSync(contents, 'utf8'));
    const again = await vault(['create', file, '--vault-password-file', passFile]);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain('already exists');
  });

  it('edit: changes are re-encrypted; no change leaves the file byte for byte; a failing editor saves nothing', async () => {
    const file = path('secrets.vault');
    const r = await vault(['edit', file, '--vault-password-file', passFile], {
      EDITOR_APPEND: 'added: "third value"',
    });
    expect(r.code, r.stderr).toBe(0);
    expect((await vault(['view', file, '--vault-password-file', passFile])).stdout).toContain(
      'added: "third value"',
    );
    const before = readFileSync(file, 'utf8');
    const same = await vault(['edit', file, '--vault-password-file', passFile]);
    expect(same.code).toBe(0);
    expect(same.stderr).toContain('no changes');
    expect(readFileSync(file, 'utf8')).toBe(before);
    const failed = await vault(['edit', file, '--vault-password-file', passFile], {
      EDITOR_APPEND: 'lost: "x"',
      EDITOR_EXIT: '3',
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/exited with 3; nothing was saved/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(existsSync(lastEdit()[0]!)).toBe(false);
    // A secrets vault must stay a mapping of strings: refused without a terminal to re-edit on.
    const broken = await vault(['edit', file, '--vault-password-file', passFile], {
      EDITOR_APPEND: 'port: 5432',
    });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/entry port is not a string.*nothing was saved/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('a wrong passphrase, a damaged vault and a readable password file are refused with clear messages', async () => {
    const file = path('secrets.vault');
    const wrong = await vault(['view', file], { NOVASTATION_VAULT_PASSWORD: 'not the passphrase' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/wrong vault passphrase/);
    expect(wrong.stdout).toBe('');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = lines[2]!.replace(/^(.{10})(.)/, (_, a: string, c: string) => a + (c === 'A' ? 'B' : 'A'));
    const damaged = write('damaged.vault', lines.join('\n'));
    const d = await vault(['view', damaged, '--vault-password-file', passFile]);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/damaged or was modified/);
    const readable = write('readable-pass', 'first passphrase\n', 0o644);
    const p = await vault(['view', file, '--vault-password-file', readable]);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain(`has mode 0644`);
    expect(p.stderr).toContain(`chmod 600 ${readable}`);
    expect(p.stdout).toBe('');
  });

  it('encrypt and decrypt in place (0600), --output -, and the Ansible format on request', async () => {
    const plain = write('plain.yml', 'k: "v"\n', 0o644);
    expect((await vault(['encrypt', plain, '--vault-password-file', passFile])).code).toBe(0);
    expect(readFileSync(plain, 'utf8')).toMatch(/^\$NOVASTATION_VAULT;/);
    expect(mode(plain)).toBe('600');
    const again = await vault(['encrypt', plain, '--vault-password-file', passFile]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already encrypted');
    const out = await vault(['decrypt', plain, '--output', '-', '--vault-password-file', passFile]);
    expect(out.stdout).toBe('k: "v"\n');
    expect((await vault(['decrypt', plain, '--vault-password-file', passFile])).code).toBe(0);
    expect(readFileSync(plain, 'utf8')).toBe('k: "v"\n');
    expect(mode(plain)).toBe('600');
    const ans = write('ans.yml', 'k: "v"\n');
    expect(
      (await vault(['encrypt', ans, '--format', 'ansible', '--vault-password-file', passFile])).code,
    ).toBe(0);
    expect(readFileSync(ans, 'utf8')).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    expect((await vault(['view', ans], { NOVASTATION_VAULT_PASSWORD: 'first passphrase' })).stdout).toBe(
      'k: "v"\n',
    );
  });

  it('rekey: the new passphrase opens it, the old one no longer does, the format is kept', async () => {
    const file = path('secrets.vault');
    const ans = path('ans.yml');
    const r = await vault([
      'rekey',
      file,
      ans,
      '--vault-password-file',
      passFile,
      '--new-vault-password-file',
      newPassFile,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect((await vault(['view', file, '--vault-password-file', newPassFile])).stdout).toContain(
      'added: "third value"',
    );
    expect((await vault(['view', file, '--vault-password-file', passFile])).stderr).toMatch(
      /wrong vault passphrase/,
    );
    expect(readFileSync(ans, 'utf8')).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    expect((await vault(['view', ans, '--vault-password-file', newPassFile])).stdout).toBe('k: "v"\n');
    expect(mode(file)).toBe('600');
  });

  it('the KDF cost can be changed for new writes, never below 2^15', async () => {
    const plain = write('cost.yml', 'k: "v"\n');
    const low = await vault(['encrypt', plain, '--vault-password-file', passFile], {
      NOVASTATION_VAULT_SCRYPT_N: '16384',
    });
    expect(low.code).toBe(1);
    expect(low.stderr).toContain('NOVASTATION_VAULT_SCRYPT_N: scrypt N=16384 is not allowed');
    expect(readFileSync(plain, 'utf8')).toBe('k: "v"\n');
    expect(
      (
        await vault(['encrypt', plain, '--vault-password-file', passFile], {
          NOVASTATION_VAULT_SCRYPT_N: '65536',
        })
      ).code,
    ).toBe(0);
    expect(readFileSync(plain, 'utf8').split('\n')[0]).toContain('N=65536,r=8,p=1');
  });

  it('usage errors exit 5', async () => {
    expect((await vault(['frobnicate', 'x'])).code).toBe(5);
    expect((await vault(['view'])).code).toBe(5);
    expect((await vault(['--help'])).stdout).toContain('usage: playbook vault');
  });

  const haveScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!haveScript)('prompts on a terminal without echoing the passphrase', async () => {
    const file = path('secrets.vault');
    const base = { ...process.env };
    delete base.NOVASTATION_VAULT_PASSWORD;
    delete base.ANSIBLE_VAULT_PASSWORD_FILE;
    // `script` gives the command a pseudo-terminal, as a user's shell would.
    const child = spawn(
      'script',
      [
        '-qefc',
        `${JSON.stringify(process.execPath)} ${JSON.stringify(runner)} view ${JSON.stringify(file)}`,
        '/dev/null',
      ],
      {
        cwd: dir,
        env: base,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const closed = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    const deadline = Date.now() + 20_000;
    while (!out.includes('Vault password: ') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(out).toContain('Vault password: ');
    child.stdin.write('second passphrase\r');
    const code = await closed;
    expect(code, out).toBe(0);
    expect(out).toContain('added: "third value"');
    expect(out).not.toContain('second passphrase');
  });
});
