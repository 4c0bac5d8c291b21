/**
 * lib/host/atomic-write.ts: the write script's guarantees, each shown directly.
 *  - Why the size check exists: the transport sends small stdin as a here-document; a
 *    controller killed mid-send ends bash's input inside it, and bash RUNS the command anyway with
 *    the bytes it got. Shown on the controller's own bash with the real framing, no host needed.
 *  - On a host: a cut-off transfer is refused (exit 97), the original stays byte-identical, no
 *    temp is left; mode and owner are already on the temp when the validator runs, i.e. before
 *    the rename; the replaced file's mode and owner are kept when none are asked for; check mode
 *    writes nothing.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  atomicWriteScript,
  BACKUP_NAME,
  contentDigest,
  EXIT_INCOMPLETE,
  EXIT_INVALID,
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

describe('the write program (run here by bash and perl, as on a host)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-write-'));
  const write = (path: string, content: string, options = {}) =>
    spawnSync(
      'bash',
      ['--noprofile', '--norc', '-c', atomicWriteScript(path, contentDigest(content), options)],
      {
        input: content,
        encoding: 'utf8',
      },
    );
  const temps = (base: string) => readdirSync(dir).filter((n) => TEMP_NAME.exec(n)?.[1] === base);

  it('writes the content with the mode asked, then keeps that mode on the next write, and backs up the old inode', () => {
    const target = join(dir, 'app.conf');
    expect(write(target, 'one\n', { mode: '0640' }).status).toBe(0);
    const first = statSync(target);
    const r = write(target, 'two\n', { backup: true });
    expect(r.status, r.stderr).toBe(0);
    const backup = /^backup (.+)$/m.exec(r.stdout)?.[1];
    expect(backup && BACKUP_NAME.test(backup.slice(dir.length + 1))).toBe(true);
    expect(statSync(backup!).ino).toBe(first.ino); // a hard link: the old inode itself
    expect(readFileSync(target, 'utf8')).toBe('two\n');
    expect((statSync(target).mode & 0o7777).toString(8)).toBe('640');
    expect(temps('app.conf')).toEqual([]);
  });

  it('a validator that fails leaves the original byte-identical, its output reported, no temp left', () => {
    const target = join(dir, 'checked.conf');
    writeFileSync(target, 'good\n');
    const inode = statSync(target).ino;
    const r = write(target, 'bad\n', {
      validate: 'grep -q good %s || { echo "no good in $(basename %s)"; false; }',
    });
    expect(r.status).toBe(EXIT_INVALID);
    expect(r.stderr).toMatch(/^no good in \.checked\.conf\.ns-[0-9a-z]{8}~\n$/);
    expect(readFileSync(target, 'utf8')).toBe('good\n');
    expect(statSync(target).ino).toBe(inode);
    expect(temps('checked.conf')).toEqual([]);
  });

  it('refuses a temp swapped for a symlink between its writing and the rename, and writes nothing through it', () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const target = join(dir, 'authorized_keys');
    // The validator runs in that window: it plays the attacker of a user-owned folder (~/.ssh).
    const r = write(target, 'evil\n', {
      mode: '0600',
      validate: `rm -f %s; ln -s ${quotePosix(victim)} %s`,
    });
    expect(r.status, r.stderr).toBe(EXIT_TAMPERED);
    expect(r.stderr).toContain('replaced by someone else');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(existsSync(target)).toBe(false);
  });

  it("removes temps of dead writers, never a live writer's (the PID in the name says whose it is)", () => {
    const target = join(dir, 'shared.txt');
    const live = `.shared.txt.ns-${process.pid.toString(36).padStart(6, '0')}zz~`;
    const dead = '.shared.txt.ns-000001zz~'; // PID 1 is never a writer: counts as dead
    const legacy = '.shared.txt.ns-AbCdEfGh~'; // a mktemp name of older versions
    for (const n of [live, dead, legacy]) writeFileSync(join(dir, n), 'partial');
    expect(write(target, 'whole\n').status).toBe(0);
    expect(temps('shared.txt')).toEqual([live]);
    rmSync(join(dir, live));
  });

  it('refuses a transfer that arrives short (exit 97): the original untouched, no temp left', () => {
    const target = join(dir, 'short.conf');
    writeFileSync(target, 'old\n');
    const r = spawnSync('bash', ['-c', atomicWriteScript(target, { size: 100 })], {
      input: 'only 14 bytes',
      encoding: 'utf8',
    });
    expect(r.status).toBe(EXIT_INCOMPLETE);
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    expect(temps('short.conf')).toEqual([]);
  });

  it('fsyncs the temp before the rename and the folder after it (a power cut never leaves an empty file)', () => {
    const target = join(dir, 'durable.conf');
    const trace = join(dir, 'strace.out');
    const r = spawnSync(
      'strace',
      [
        '-f',
        '-qq',
        '-e',
        'trace=fsync,fdatasync,rename,renameat,renameat2',
        '-o',
        trace,
        'bash',
        '-c',
        atomicWriteScript(target, contentDigest('x\n')),
      ],
      { input: 'x\n', encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const calls = readFileSync(trace, 'utf8')
      .split('\n')
      .map((l) => /^\d+\s+(\w+)\(/.exec(l)?.[1])
      .filter((c): c is string => c !== undefined);
    expect(calls).toEqual(['fsync', expect.stringMatching(/^rename/), 'fsync']);
  });

  it('concurrent writers of one path all succeed and leave one whole version, no temps', async () => {
    const target = join(dir, 'contended.txt');
    const versions = Array.from({ length: 6 }, (_, i) => `${String(i).repeat(40_000)}\n`);
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        versions.map(
          (v) =>
            new Promise<{ code: number | null; err: string }>((resolve) => {
              const p = spawn('bash', ['-c', atomicWriteScript(target, contentDigest(v))]);
              let err = '';
              p.stderr.on('data', (b: Buffer) => (err += b.toString()));
              p.on('close', (code) => resolve({ code, err }));
              p.stdin.end(v);
            }),
        ),
      );
      expect(results).toEqual(versions.map(() => ({ code: 0, err: '' })));
      expect(versions).toContain(readFileSync(target, 'utf8'));
      expect(temps('contended.txt')).toEqual([]);
    }
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

  it('a write starts at most three processes on the host, small or large (counted by the pid namespace)', async () => {
    const host = hostHandle(f, name);
    const lastPid = async () => Number((await host.probe`cat /proc/sys/kernel/ns_last_pid`).stdout.trim());
    try {
      const a = await lastPid();
      const overhead = (await lastPid()) - a; // the read itself
      for (const content of ['small\n', 'L'.repeat(5 * 1024 * 1024)]) {
        const before = await lastPid();
        await host.writeFile('/etc/ns-count', content);
        expect((await lastPid()) - before - overhead, `${content.length} bytes`).toBeLessThanOrEqual(3);
      }
      expect(await sh('stat -c %s /etc/ns-count')).toBe(`${5 * 1024 * 1024}\n`);
    } finally {
      await host.close();
    }
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
