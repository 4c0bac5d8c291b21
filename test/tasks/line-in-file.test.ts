import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  editLineInFile,
  expandBackrefs,
  lineInFile,
  type LineInFileOptions,
} from '../../tasks/files/line-in-file.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';

/** Apply twice: the second application must change nothing (the edit is idempotent). */
function edit(text: string | null, o: Omit<LineInFileOptions, 'path'>): string | null {
  const options = { path: '/f', ...o };
  const once = editLineInFile(text, options);
  expect(editLineInFile(once, options), 'idempotent').toBe(once);
  return once;
}

const SSHD = 'Port 22\n#PasswordAuthentication yes\nUsePAM yes\n';

describe('editLineInFile (Ansible lineinfile semantics)', () => {
  it('replaces the line the regexp matches, commented or not', () => {
    expect(edit(SSHD, { regexp: /^#?PasswordAuthentication\b/, line: 'PasswordAuthentication no' })).toBe(
      'Port 22\nPasswordAuthentication no\nUsePAM yes\n',
    );
  });

  it('replaces the last match, or the first with firstMatch', () => {
    const text = 'x=1\ny\nx=2\n';
    expect(edit(text, { regexp: '^x=', line: 'x=9' })).toBe('x=1\ny\nx=9\n');
    expect(edit(text, { regexp: '^x=', line: 'x=9', firstMatch: true })).toBe('x=9\ny\nx=2\n');
  });

  it('appends at the end when nothing matches, adding a missing final newline first', () => {
    expect(edit('a\nb', { regexp: '^c', line: 'c' })).toBe('a\nb\nc\n');
    expect(edit('', { line: 'only' })).toBe('only\n');
  });

  it('leaves the file alone when the regexp matches nothing but the line is already there', () => {
    expect(edit('a\nc\nb\n', { regexp: '^nothing', line: 'c' })).toBe('a\nc\nb\n');
  });

  it('inserts after the last (or first) line matching insertAfter, only when the regexp matched nothing', () => {
    const text = '[a]\nk=1\n[b]\nk=2\n';
    expect(edit(text, { regexp: '^m=', line: 'm=0', insertAfter: /^\[/ })).toBe('[a]\nk=1\n[b]\nm=0\nk=2\n');
    expect(edit(text, { regexp: '^m=', line: 'm=0', insertAfter: /^\[/, firstMatch: true })).toBe(
      '[a]\nm=0\nk=1\n[b]\nk=2\n',
    );
    // The regexp matched: insertAfter is ignored and the line is replaced where it is.
    expect(edit(text, { regexp: '^k=2', line: 'k=3', insertAfter: /^\[a\]/ })).toBe('[a]\nk=1\n[b]\nk=3\n');
  });

  it('inserts before the last line matching insertBefore, or at BOF; an unmatched anchor means EOF', () => {
    expect(edit('a\nb\nend\n', { line: 'x', insertBefore: '^end' })).toBe('a\nb\nx\nend\n');
    expect(edit('a\nb\n', { line: 'x', insertBefore: 'BOF' })).toBe('x\na\nb\n');
    expect(edit('a\nb\n', { line: 'x', insertAfter: 'BOF' })).toBe('x\na\nb\n');
    expect(edit('a\nb\n', { line: 'x', insertBefore: '^zzz' })).toBe('a\nb\nx\n');
  });

  it('searchString matches a substring instead of a regexp', () => {
    expect(edit('set a.b = 1\nother\n', { searchString: 'a.b', line: 'set a.b = 2' })).toBe(
      'set a.b = 2\nother\n',
    );
  });

  it('backrefs expands groups, and does nothing when the regexp does not match', () => {
    expect(edit('  Port 22\n', { regexp: /^(\s*)Port \d+$/, line: '\\1Port 2222', backrefs: true })).toBe(
      '  Port 2222\n',
    );
    expect(edit('nothing\n', { regexp: /^(\s*)Port \d+$/, line: '\\1Port 2222', backrefs: true })).toBe(
      'nothing\n',
    );
    const m = /(?<k>\w+)=(\w+)/.exec('a=b')!;
    expect(expandBackrefs('\\g<k>:\\2:\\9:\\\\', m)).toBe('a:b::\\');
  });

  it('absent removes every matching line (regexp, searchString or the exact line)', () => {
    expect(edit('a\n#x\nx=1\nx=2\n', { regexp: '^x=', state: 'absent' })).toBe('a\n#x\n');
    expect(edit('a\nb\na\n', { line: 'a', state: 'absent' })).toBe('b\n');
    expect(edit('keep\nfoo.bar\n', { searchString: 'o.b', state: 'absent' })).toBe('keep\n');
  });

  it('a missing file: absent leaves it absent, present fails unless create', () => {
    expect(edit(null, { regexp: '^x', state: 'absent' })).toBeNull();
    expect(() => editLineInFile(null, { path: '/f', line: 'x' })).toThrow(
      'line-in-file /f: the file does not exist (set create: true to create it)',
    );
    expect(edit(null, { line: 'x', create: true })).toBe('x\n');
  });

  it('a CRLF line is normalised when it is the one managed', () => {
    expect(edit('a\r\nk=1\r\n', { regexp: '^k=', line: 'k=1' })).toBe('a\r\nk=1\n');
  });
});

describe('lineInFile options', () => {
  it('are refused before anything runs', () => {
    const bad: [Partial<LineInFileOptions>, RegExp][] = [
      [{ path: 'rel', line: 'x' }, /line-in-file: path must be absolute/],
      [{ path: '/f' }, /line-in-file: line is required with state present/],
      [{ path: '/f', line: 'a\nb' }, /line must be a string without newlines/],
      [{ path: '/f', state: 'absent' }, /regexp or searchString or line is required/],
      [{ path: '/f', line: 'x', regexp: '(' }, /regexp must be a valid regexp/],
      [{ path: '/f', line: 'x', regexp: 'a', searchString: 'b' }, /searchString cannot be used with regexp/],
      [
        { path: '/f', line: 'x', insertAfter: 'a', insertBefore: 'b' },
        /insertBefore cannot be used with insertAfter/,
      ],
      [{ path: '/f', line: 'x', backrefs: true }, /backrefs needs regexp/],
      [{ path: '/f', line: 'x', state: 'gone' as never }, /state must be one of "present", "absent"/],
      [{ path: '/f', line: 'x', validate: 'visudo -cf' }, /validate must contain %s/],
      [{ path: '/f', line: 'x', mode: 644 as never }, /mode must be an octal string/],
    ];
    for (const [options, message] of bad)
      expect(() => lineInFile(null as never, options as LineInFileOptions)).toThrow(message);
  });
});

describe.skipIf(skipHosts)('lineInFile on a host', () => {
  let f: HostFixture;
  let name: string;
  beforeAll(async () => {
    f = await bootFixture(1, 'tline');
    name = f.hosts.hosts[0]!.name;
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  it('sets a line idempotently; check mode after drift reports the diff and changes nothing', async () => {
    await f.hosts.exec(
      name,
      `printf 'Port 22\\n#PasswordAuthentication yes\\nUsePAM yes\\n' > /etc/ns-sshd.conf`,
    );
    const options: LineInFileOptions = {
      path: '/etc/ns-sshd.conf',
      regexp: /^#?PasswordAuthentication\b/,
      line: 'PasswordAuthentication no',
    };
    const proof = await proveIdempotent(f, name, (host) => lineInFile(host, options), {
      drift: `sed -i 's/^PasswordAuthentication no/PasswordAuthentication yes/' /etc/ns-sshd.conf`,
      diffContains: [
        '-PasswordAuthentication yes',
        '+PasswordAuthentication no',
        'line in /etc/ns-sshd.conf: content sha256:',
      ],
    });
    expect(proof.first.diff).toContain('-#PasswordAuthentication yes\n+PasswordAuthentication no');
    expect((await f.hosts.exec(name, 'cat /etc/ns-sshd.conf')).stdout).toBe(
      'Port 22\nPasswordAuthentication yes\nUsePAM yes\n',
    );
  });

  it('reads in one round trip and writes in one', async () => {
    await f.hosts.exec(name, `printf 'a\\n' > /etc/ns-rt.conf`);
    const host = hostHandle(f, name);
    try {
      await host.connection();
      const before = host.roundTrips;
      await lineInFile(host, { path: '/etc/ns-rt.conf', line: 'b' });
      const changed = host.roundTrips - before;
      await lineInFile(host, { path: '/etc/ns-rt.conf', line: 'b' });
      expect({ changed, unchanged: host.roundTrips - before - changed }).toEqual({
        changed: 2,
        unchanged: 1,
      });
    } finally {
      await host.close();
    }
  });

  it('fails on a missing file without create, also in check mode, and creates it with create', async () => {
    const check = hostHandle(f, name, true);
    const host = hostHandle(f, name);
    try {
      await expect(lineInFile(check, { path: '/etc/ns-missing.conf', line: 'x' })).rejects.toThrow(
        /does not exist \(set create: true/,
      );
      expect(
        (await lineInFile(host, { path: '/etc/ns-missing.conf', line: 'x', create: true, mode: '0600' }))
          .changed,
      ).toBe(true);
      expect(
        (await f.hosts.exec(name, 'stat -c %a /etc/ns-missing.conf; cat /etc/ns-missing.conf')).stdout,
      ).toBe('600\nx\n');
    } finally {
      await check.close();
      await host.close();
    }
  });
});
