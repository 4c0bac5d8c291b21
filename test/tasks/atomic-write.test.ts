/**
 * lib/host/atomic-write.ts: the write script's guarantees, each shown directly.
 *  - Why the content check exists: the transport sends small stdin as a here-document; a
 *    controller killed mid-send ends bash's input inside it, and bash RUNS the command anyway with
 *    the bytes it got. Shown on the controller's own bash with the real framing, no host needed.
 *  - On a host: a cut-off transfer is refused (exit 97), the original stays byte-identical, no
 *    temp is left; mode and owner are already on the temp when the validator runs, i.e. before
 *    the rename; the replaced file's mode and owner are kept when none are asked for; check mode
 *    writes nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  atomicWriteScript,
  BACKUP_NAME,
  contentDigest,
  EXIT_INCOMPLETE,
  EXIT_TAMPERED,
  FileValidationError,
  TEMP_NAME,
  validateCommandProblem,
} from '../../lib/host/atomic-write.js';
import { CheckModeSkip } from '../../lib/host/command.js';
import { buildCommandScript, frameMarkers } from '../../lib/transport/shell-script.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle } from '../support/prove.js';

describe('the write script', () => {
  const script = atomicWriteScript('/etc/x.conf', contentDigest('new\n'), {
    mode: '0640',
    owner: 'root',
    group: 'adm',
    validate: 'visudo -cf %s',
    backup: true,
  });
  const at = (text: string) => {
    const i = script.indexOf(text);
    expect(i, text).toBeGreaterThanOrEqual(0);
    return i;
  };

  it('checks the content, then sets mode and owner, validates, backs up, and only then renames', () => {
    const order = [
      at('exec 3<>"$tmp"'),
      at('cat >&3'),
      at('sha256sum < "$fd"'),
      at('chmod 00640'),
      at('chown root:adm'),
      at('visudo -cf "$tmp"'),
      at('ln -- "$target" "$bak"'),
      at('mv -f -- "$tmp" "$target"'),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('refuses a temp swapped for a symlink (a user-owned folder like ~/.ssh) and writes nothing through it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-swap-'));
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    // A stand-in mktemp that does what an attacker racing us could: create the temp, then put a
    // symlink to the victim in its place.
    const bin = join(dir, 'bin');
    execFileSync('mkdir', [bin]);
    writeFileSync(
      join(bin, 'mktemp'),
      `#!/bin/sh\nt="$(/usr/bin/mktemp "$@")"; rm -f "$t"; ln -s ${quotePosix(victim)} "$t"; echo "$t"\n`,
      { mode: 0o755 },
    );
    const target = join(dir, 'authorized_keys');
    const r = spawnSync(
      'bash',
      ['--noprofile', '--norc', '-c', atomicWriteScript(target, contentDigest('evil\n'), { mode: '0600' })],
      {
        input: 'evil\n',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(EXIT_TAMPERED);
    expect(r.stderr).toContain('replaced by someone else');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect((statSync(victim).mode & 0o777).toString(8)).not.toBe('600');
  });

  it('names temps and backups so no include glob matches them', () => {
    for (const name of ['.x.conf.ns-Ab3dEf9h~', '.ns-ops.ns-ABCDEFGH~'])
      expect(TEMP_NAME.test(name), name).toBe(true);
    expect(BACKUP_NAME.test('.x.conf.20250102T030405.123456789Z~')).toBe(true);
    for (const name of ['.x.conf.ns-Ab3dEf9h~', '.x.conf.20250102T030405.123456789Z~']) {
      expect(
        name.startsWith('.') && name.endsWith('~'),
        'dotfile (skipped by * globs) ending in ~ (skipped by sudo, apt)',
      ).toBe(true);
      expect(name.endsWith('.conf') || name.endsWith('.list') || name.endsWith('.sources')).toBe(false);
    }
  });

  it('refuses a validate command without %s, or with it quoted', () => {
    expect(validateCommandProblem('visudo -cf %s')).toBeUndefined();
    expect(validateCommandProblem('visudo -c')).toMatch(/must contain %s/);
    expect(validateCommandProblem("nginx -t -c '%s'")).toMatch(/must not quote %s/);
  });
});

describe('a cut-off transfer (controller killed mid-send)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-cut-'));
  /** The transport's framing of `command` with `stdin`, cut in the middle of the here-document, fed to bash. */
  function runCut(command: string, stdin: string): number {
    const framed = buildCommandScript(command, frameMarkers('t', 1), {
      stdin: Buffer.from(stdin),
      delimiter: 'NS_STDIN_cut',
    });
    const cut = framed.slice(
      0,
      framed.indexOf('NS_STDIN_cut\n', framed.indexOf("<<'NS_STDIN_cut'") + 20) - 40,
    );
    return spawnSync('bash', ['-c', `exec 3>&2; bash 2>/dev/null; exit $?`], { input: cut }).status ?? -1;
  }
  const stdin = `${'0123456789abcdef'.repeat(200)}\n`; // 3.2 KB: sent as a here-document

  it('bash runs the command anyway, with the bytes it got: a plain `cat > file` would write a partial file', () => {
    const out = join(dir, 'plain');
    runCut(`cat > ${quotePosix(out)}`, stdin);
    const written = readFileSync(out, 'utf8');
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(stdin.length);
  });

  it('the write script refuses it: the original stays byte-identical and no temp is left', () => {
    const target = join(dir, 'app.conf');
    writeFileSync(target, 'old\n', { mode: 0o640 });
    const inode = statSync(target).ino;
    runCut(atomicWriteScript(target, contentDigest(stdin)), stdin);
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    expect(statSync(target).ino).toBe(inode);
    expect(readdirSync(dir).filter((n) => n.includes('app.conf'))).toEqual(['app.conf']);
    // Control: the same script with the whole content replaces the file.
    execFileSync('bash', ['-c', atomicWriteScript(target, contentDigest(stdin))], { input: stdin });
    expect(readFileSync(target, 'utf8')).toBe(stdin);
  });
});

describe.skipIf(skipHosts)('the write script on a host', () => {
  let f: HostFixture;
  let name: string;
  beforeAll(async () => {
    f = await bootFixture(1, 'tatomic');
    name = f.hosts.hosts[0]!.name;
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });
  const sh = async (cmd: string) => {
    const r = await f.hosts.exec(name, cmd);
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout;
  };

  it('a transfer that arrives short is refused with exit 97; the original is untouched', async () => {
    await sh(`printf 'old\\n' > /etc/ns-short; chmod 600 /etc/ns-short`);
    const before = await sh(`stat -c '%i %a %Y' /etc/ns-short; sha256sum /etc/ns-short`);
    const host = hostHandle(f, name);
    try {
      const connection = await host.connection();
      const full = 'x'.repeat(100_000);
      const r = await connection.run(atomicWriteScript('/etc/ns-short', contentDigest(full)), {
        stdin: full.slice(0, 60_000),
      });
      expect(r.exitCode).toBe(EXIT_INCOMPLETE);
      expect(r.stderr).toContain(
        'incomplete content (expected 100000 bytes): the transfer was cut off; /etc/ns-short left unchanged',
      );
    } finally {
      await host.close();
    }
    expect(await sh(`stat -c '%i %a %Y' /etc/ns-short; sha256sum /etc/ns-short`)).toBe(before);
    expect(await sh('ls -A /etc | grep ns-short')).toBe('ns-short\n');
  });

  it('mode and owner are on the temp before the rename (the validator, run just before it, sees them)', async () => {
    const host = hostHandle(f, name);
    try {
      const error = await host
        .writeFile('/etc/ns-perm', 'x\n', {
          mode: '0640',
          owner: 'www-data',
          group: 'adm',
          validate: `stat -c '%a %U:%G %n' %s; false`,
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileValidationError);
      expect((error as FileValidationError).output).toMatch(
        /^640 www-data:adm \/etc\/\.ns-perm\.ns-[A-Za-z0-9]{8}~\n$/,
      );
    } finally {
      await host.close();
    }
    expect(await sh('ls -A /etc | grep -c ns-perm || true')).toBe('0\n'); // nothing written, temp removed
  });

  it('keeps the replaced file’s mode and owner when none are asked for; a new file gets 0644', async () => {
    await sh(`printf 'a\\n' > /etc/ns-keep; chmod 0604 /etc/ns-keep; chown www-data:adm /etc/ns-keep`);
    const host = hostHandle(f, name);
    try {
      expect(await host.writeFile('/etc/ns-keep', 'b\n')).toEqual({});
      await host.writeFile('/etc/ns-new', 'n\n');
      await host.writeFile('/etc/ns-keep', 'c\n', { group: 'root' });
    } finally {
      await host.close();
    }
    expect(await sh('stat -c "%a %U:%G" /etc/ns-keep /etc/ns-new; cat /etc/ns-keep')).toBe(
      '604 www-data:root\n644 root:root\nc\n',
    );
  });

  it('check mode writes nothing', async () => {
    const host = hostHandle(f, name, true);
    try {
      await expect(host.writeFile('/etc/ns-check', 'x')).rejects.toBeInstanceOf(CheckModeSkip);
    } finally {
      await host.close();
    }
    expect((await f.hosts.exec(name, 'test -e /etc/ns-check')).exitCode).toBe(1);
  });
});
