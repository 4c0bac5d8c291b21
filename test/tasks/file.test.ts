import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { file } from '../../tasks/file.js';
import { secret } from '../../lib/secret.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { proveIdempotent } from '../support/prove.js';

describe.skipIf(skipHosts)('file', () => {
  let f: HostFixture;
  beforeAll(async () => {
    f = await bootFixture(1, 'tfile');
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  it('writes content, mode and owner idempotently; check mode after drift changes nothing; diff shows it', async () => {
    const name = f.hosts.hosts[0]!.name;
    const proof = await proveIdempotent(f, name, (host) => file(host, { path: '/etc/demo.conf', content: 'a = 1\n', mode: '0640', owner: 'root', group: 'root' }), {
      drift: 'echo "a = 2" > /etc/demo.conf; chmod 0644 /etc/demo.conf',
      diffContains: ['-a = 2', '+a = 1', 'mode 0644 → 0640'],
    });
    expect(proof.first.changes).toEqual(['file /etc/demo.conf: state → created']);
    const st = await f.hosts.exec(name, 'stat -c %a /etc/demo.conf; cat /etc/demo.conf');
    expect(st.stdout).toBe('644\na = 2\n'); // the drift, untouched by check mode
  });

  it('never shows sensitive content in changes or diffs', async () => {
    const name = f.hosts.hosts[0]!.name;
    const value = 'db-password-Zx81!';
    await proveIdempotent(f, name, (host) => file(host, { path: '/etc/demo.secret', content: secret(`password=${value}\n`), mode: '0600' }), {
      drift: 'echo "password=old" > /etc/demo.secret',
      secret: value,
      diffContains: ['content changed (sensitive, not shown)'],
    });
  });

  it('refuses bad options before touching the host', () => {
    expect(() => file(null as never, { path: 'relative/path', content: '' })).toThrow(/path must be absolute/);
    expect(() => file(null as never, { path: '/x', content: '', mode: '999' })).toThrow(/mode must be octal/);
  });
});
