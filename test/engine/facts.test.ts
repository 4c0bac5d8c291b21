import { describe, expect, it } from 'vitest';
import { parseFacts } from '../../lib/host/facts.js';
import { parseStat } from '../../lib/host/stat.js';

describe('fact and stat parsers (captured output)', () => {
  it('parses the facts probe', () => {
    const out = [
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
      'x86_64\n',
      'h1\n',
      'systemd\n',
      'apt-get\n',
      'root\n0\n',
    ].join('--novastation-facts--\n');
    expect(parseFacts(out)).toEqual({
      os: 'debian',
      release: '12',
      codename: 'bookworm',
      arch: 'x86_64',
      hostname: 'h1',
      init: 'systemd',
      packageManager: 'apt',
      user: 'root',
      uid: 0,
    });
  });
  it('parses stat output for files, links and absence', () => {
    expect(
      parseStat('/etc/motd', {
        exitCode: 0,
        stderr: '',
        stdout: 'regular file|644|0|0|root|root|12\nabc123\n',
      }),
    ).toMatchObject({ type: 'file', mode: '0644', sha256: 'abc123', size: 12 });
    expect(
      parseStat('/l', { exitCode: 0, stderr: '', stdout: 'symbolic link|777|0|0|root|root|4\n/tmp\n' }),
    ).toMatchObject({ type: 'symlink', linkTarget: '/tmp' });
    expect(parseStat('/nope', { exitCode: 3, stderr: '', stdout: '' })).toBeNull();
  });
});
