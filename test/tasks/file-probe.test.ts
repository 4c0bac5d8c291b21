/**
 * The file probe's parser on output captured from a Debian 12 test host (no host needed), and
 * the script's shape. The script itself runs on real hosts in every primitive's host test.
 */
import { describe, expect, it } from 'vitest';
import { fileProbeScript, parseFileProbe } from '../../tasks/files/file-probe.js';
import { parseTree, treeProbe } from '../../tasks/files/directory.js';

// Captured: `sh -c "$(fileProbeScript(...))"` on a test host (see each case's comment).
const REGULAR_WITH_STRAY = `stray /etc/ns t/.a.conf.ns-AbCdEf12~
stat regular file|644|0|0|root|root|6
sha256 cb78bd8a17f7b751fe0d4663366dcbc257204033ef7ddd64b1f2969573b5b2e2
content YSA9IDEK
`;
const DIRECTORY_WITH_TREE = `stat directory|755|0|0|root|root|4096
      1 tree dirMode
      1 tree owner
`;
const SYMLINK = `stat symbolic link|777|0|0|root|root|6
link a.conf
`;
const TOO_LARGE = `stat regular file|644|0|0|root|root|16
content-omitted 16
`;

describe('parseFileProbe', () => {
  it('reads a regular file: stat, hash, content (asked for because the hash differed), stray temps', () => {
    // fileProbeScript('/etc/ns t/a.conf', { content: { unlessSha256: 'x' } })
    const p = parseFileProbe('/etc/ns t/a.conf', REGULAR_WITH_STRAY);
    expect(p.stat).toEqual({
      path: '/etc/ns t/a.conf',
      type: 'file',
      mode: '0644',
      uid: 0,
      gid: 0,
      owner: 'root',
      group: 'root',
      size: 6,
      sha256: 'cb78bd8a17f7b751fe0d4663366dcbc257204033ef7ddd64b1f2969573b5b2e2',
    });
    expect(p.content?.toString()).toBe('a = 1\n');
    expect(p.strays).toEqual(['/etc/ns t/.a.conf.ns-AbCdEf12~']);
  });

  it('computes the hash from the content when the content was sent whole', () => {
    const p = parseFileProbe('/x', 'stat regular file|600|0|0|root|root|6\ncontent YSA9IDEK\n');
    expect(p.stat?.sha256).toBe('cb78bd8a17f7b751fe0d4663366dcbc257204033ef7ddd64b1f2969573b5b2e2');
    expect(p.stat?.mode).toBe('0600');
  });

  it('reads a directory and hands back the extra lines (the recursive check)', () => {
    const p = parseFileProbe('/etc/ns t', DIRECTORY_WITH_TREE);
    expect(p.stat?.type).toBe('directory');
    expect(p.stat?.sha256).toBeUndefined();
    expect(parseTree(p.extra)).toEqual({ owner: 1, group: 0, dirMode: 1, fileMode: 0 });
  });

  it('reads a symlink without following it', () => {
    const p = parseFileProbe('/etc/ns t/link', SYMLINK);
    expect(p.stat).toMatchObject({ type: 'symlink', linkTarget: 'a.conf' });
    expect(p.content).toBeUndefined();
  });

  it('says when the content was over the limit, and when nothing is there', () => {
    const big = parseFileProbe('/etc/ns t/big', TOO_LARGE);
    expect(big.contentOmitted).toBe(16);
    expect(big.content).toBeUndefined();
    expect(big.stat?.sha256).toBeUndefined();
    expect(parseFileProbe('/nope', 'absent\n')).toEqual({ stat: null, strays: [], extra: [] });
  });

  it('reads an empty file (stat says "regular empty file"; base64 of nothing is an empty line)', () => {
    const p = parseFileProbe('/e', 'stat regular empty file|644|0|0|root|root|0\ncontent \n');
    expect(p.stat?.type).toBe('file');
    expect(p.content?.length).toBe(0);
    expect(p.stat?.sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('fileProbeScript', () => {
  it('quotes the path once and never sends content unless asked', () => {
    const s = fileProbeScript("/etc/it's here");
    expect(s).toContain(`p='/etc/it'\\''s here'`);
    expect(s).not.toContain('base64');
    expect(fileProbeScript('/x', { content: 'always' })).toContain('base64 -w0');
  });

  it('walks the tree only when recursive with something to compare', () => {
    expect(treeProbe({ path: '/d', owner: 'root' })).toBeUndefined();
    expect(treeProbe({ path: '/d', recursive: true })).toBeUndefined();
    const s = treeProbe({ path: '/d', recursive: true, owner: 'www-data', mode: '0750' })!;
    expect(s).toContain(`! -user www-data -printf 'tree owner\\n'`);
    expect(s).toContain(`-type d ! -perm 0750 -printf 'tree dirMode\\n'`);
    expect(s).toContain('|| exit $?'); // an unknown user fails the probe instead of counting 0
  });
});
