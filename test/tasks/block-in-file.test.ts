import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blockInFile,
  editBlockInFile,
  markers,
  type BlockInFileOptions,
} from '../../tasks/files/block-in-file.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { proveIdempotent } from '../support/prove.js';

function edit(text: string | null, o: Omit<BlockInFileOptions, 'path'>): string | null {
  const options = { path: '/f', ...o };
  const once = editBlockInFile(text, options);
  expect(editBlockInFile(once, options), 'idempotent').toBe(once);
  return once;
}

const B = '# BEGIN NOVASTATION hosts';
const E = '# END NOVASTATION hosts';

describe('editBlockInFile (Ansible blockinfile semantics)', () => {
  it('appends a new block between markers, adding a missing final newline first', () => {
    expect(edit('127.0.0.1 localhost', { name: 'hosts', block: '10.0.0.1 a\n10.0.0.2 b\n' })).toBe(
      `127.0.0.1 localhost\n${B}\n10.0.0.1 a\n10.0.0.2 b\n${E}\n`,
    );
  });

  it('replaces the block in place, leaving the lines around it alone', () => {
    const text = `top\n${B}\nold 1\nold 2\n${E}\nbottom\n`;
    expect(edit(text, { name: 'hosts', block: 'new' })).toBe(`top\n${B}\nnew\n${E}\nbottom\n`);
  });

  it('removes the block and its markers with state absent or an empty block', () => {
    const text = `top\n${B}\nx\n${E}\nbottom\n`;
    expect(edit(text, { name: 'hosts', state: 'absent' })).toBe('top\nbottom\n');
    expect(edit(text, { name: 'hosts', block: '' })).toBe('top\nbottom\n');
    expect(edit('top\n', { name: 'hosts', state: 'absent' })).toBe('top\n');
  });

  it('inserts a new block after/before the last matching line, or at BOF', () => {
    const text = 'a\n# mark\nb\n# mark\nc\n';
    expect(edit(text, { name: 'n', block: 'x', insertAfter: /^# mark/ })).toBe(
      'a\n# mark\nb\n# mark\n# BEGIN NOVASTATION n\nx\n# END NOVASTATION n\nc\n',
    );
    expect(edit(text, { name: 'n', block: 'x', insertBefore: '^# mark' })).toBe(
      'a\n# mark\nb\n# BEGIN NOVASTATION n\nx\n# END NOVASTATION n\n# mark\nc\n',
    );
    expect(edit(text, { name: 'n', block: 'x', insertBefore: 'BOF' })).toBe(
      '# BEGIN NOVASTATION n\nx\n# END NOVASTATION n\na\n# mark\nb\n# mark\nc\n',
    );
    expect(edit('a\n', { name: 'n', block: 'x', insertAfter: '^nothing' })).toBe(
      'a\n# BEGIN NOVASTATION n\nx\n# END NOVASTATION n\n',
    );
  });

  it('keeps blocks with different names apart, and takes a custom marker', () => {
    let text = edit('', { name: 'one', block: '1' })!;
    text = edit(text, { name: 'two', block: '2' })!;
    text = edit(text, { name: 'one', block: '1b' })!;
    expect(text).toBe(
      '# BEGIN NOVASTATION one\n1b\n# END NOVASTATION one\n# BEGIN NOVASTATION two\n2\n# END NOVASTATION two\n',
    );
    expect(
      markers({ name: 'x', marker: '; {mark} managed {name}', markerBegin: 'start', markerEnd: 'stop' }),
    ).toEqual(['; start managed x', '; stop managed x']);
    expect(edit('[s]\n', { name: 'x', block: 'k=v', marker: '; {mark} {name}' })).toBe(
      '[s]\n; BEGIN x\nk=v\n; END x\n',
    );
  });

  it('a missing file: fails unless create; absent leaves it absent', () => {
    expect(() => editBlockInFile(null, { path: '/f', name: 'n', block: 'x' })).toThrow(
      /does not exist \(set create: true/,
    );
    expect(edit(null, { name: 'n', block: 'x', create: true })).toBe(
      '# BEGIN NOVASTATION n\nx\n# END NOVASTATION n\n',
    );
    expect(edit(null, { name: 'n', state: 'absent' })).toBeNull();
  });
});

describe('blockInFile options', () => {
  it('are refused before anything runs', () => {
    const bad: [Partial<BlockInFileOptions>, RegExp][] = [
      [{ path: '/f', block: 'x' }, /block-in-file: name must be a non-empty one-line string, got undefined/],
      [{ path: '/f', name: 'n' }, /block is required with state present/],
      [
        { path: '/f', name: 'n', block: 'x', marker: '# managed' },
        /marker must be a one-line string containing \{mark\}/,
      ],
      [
        { path: '/f', name: 'n', block: 'x', markerBegin: 'X', markerEnd: 'X' },
        /markerEnd must differ from markerBegin/,
      ],
      [{ path: '/f', name: 'n', block: 'x', insertAfter: '[' }, /insertAfter must be a valid regexp/],
      [{ path: '/f/', name: 'n', block: 'x' }, /path must be normalised/],
    ];
    for (const [options, message] of bad)
      expect(() => blockInFile(null as never, options as BlockInFileOptions)).toThrow(message);
  });
});

describe.skipIf(skipHosts)('blockInFile on a host', () => {
  let f: HostFixture;
  beforeAll(async () => {
    f = await bootFixture(1, 'tblock');
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  it('manages a block in /etc/hosts idempotently; check mode after drift changes nothing; diff shows it', async () => {
    const name = f.hosts.hosts[0]!.name;
    const original = (await f.hosts.exec(name, 'cat /etc/hosts')).stdout;
    const proof = await proveIdempotent(
      f,
      name,
      (host) =>
        blockInFile(host, { path: '/etc/hosts', name: 'cluster', block: '10.0.0.11 pve1\n10.0.0.12 pve2\n' }),
      {
        drift: `sed -i 's/10.0.0.12 pve2/10.0.0.99 pve2/' /etc/hosts`,
        diffContains: ['-10.0.0.99 pve2', '+10.0.0.12 pve2', 'block cluster in /etc/hosts: content'],
      },
    );
    expect(proof.first.diff).toContain(
      '+# BEGIN NOVASTATION cluster\n+10.0.0.11 pve1\n+10.0.0.12 pve2\n+# END NOVASTATION cluster',
    );
    const after = (await f.hosts.exec(name, 'cat /etc/hosts')).stdout;
    expect(after.startsWith(original), 'the lines before the block are untouched').toBe(true);
    expect(after).toContain('10.0.0.99 pve2'); // the drift, untouched by check mode
  });
});
