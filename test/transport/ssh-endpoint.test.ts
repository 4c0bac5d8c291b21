// How an inventory host and ~/.ssh/config combine into where and as whom to log in (no network).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTarget } from '../../lib/transport/index.js';
import { describeEndpoint } from '../../lib/transport/ssh.js';
import { parseJump, resolveSshEndpoint } from '../../lib/transport/ssh-endpoint.js';
import type { ConnectionTarget } from '../../lib/transport/types.js';

let dir: string;
let sshConfigFile: string;
const CONFIG = `
# comment
Host web*
  HostName %h.lab.example
  User deploy
  Port 2200
  IdentityFile ~/.ssh/web_key
  IdentityFile %d/.ssh/second_%r

Host inner
  HostName 10.1.0.5
  ProxyJump admin@bastion:2222,gate

Host bastion
  HostName 192.0.2.10
  IdentitiesOnly yes

Host gate
  HostName 10.1.0.1
  User gatekeeper

Host legacy
  ProxyCommand nc %h %p

Host *
  User fallback
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ns-sshcfg-'));
  sshConfigFile = join(dir, 'config');
  await writeFile(sshConfigFile, CONFIG);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const host = (extra: Partial<ConnectionTarget>): ConnectionTarget => ({
  name: 'h',
  kind: 'ssh',
  address: 'h',
  shellType: 'sh',
  ...extra,
});

describe('resolveSshEndpoint', () => {
  it('applies HostName, User, Port and IdentityFile (with ~ and % expansion) from ssh_config', async () => {
    const e = await resolveSshEndpoint(host({ name: 'web1', address: 'web1' }), { sshConfigFile });
    expect(e).toMatchObject({
      label: 'web1 (web1.lab.example)',
      host: 'web1.lab.example',
      port: 2200,
      user: 'deploy',
    });
    expect(e.identityFiles).toEqual([
      { path: join(homedir(), '.ssh', 'web_key'), explicit: false },
      { path: join(homedir(), '.ssh', 'second_deploy'), explicit: false },
    ]);
    expect(e.via).toBeUndefined();
  });

  it('lets the inventory port, user and key win, the key being offered first', async () => {
    const e = await resolveSshEndpoint(
      host({ name: 'web1', address: 'web1', port: 22, user: 'root', privateKeyFile: '~/inv_key' }),
      { sshConfigFile },
    );
    expect(e).toMatchObject({ port: 22, user: 'root' });
    expect(e.identityFiles[0]).toEqual({ path: join(homedir(), 'inv_key'), explicit: true });
  });

  it('falls back to the default keys and the local user', async () => {
    const e = await resolveSshEndpoint(host({ name: 'x', address: '10.9.9.9' }), {
      sshConfigFile: join(dir, 'missing-is-error'),
    }).catch((err: Error) => err);
    expect(e).toBeInstanceOf(Error); // an explicitly named config file must exist
    await writeFile(join(dir, 'empty'), '');
    const d = await resolveSshEndpoint(host({ name: 'x', address: '10.9.9.9' }), {
      sshConfigFile: join(dir, 'empty'),
    });
    expect(d).toMatchObject({ label: 'x (10.9.9.9)', host: '10.9.9.9', port: 22, user: userInfo().username });
    expect(d.identityFiles.map((f) => f.path)).toEqual(
      ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((k) => join(homedir(), '.ssh', k)),
    );
  });

  it('builds a ProxyJump chain, each hop with its own config and explicit user/port', async () => {
    const e = await resolveSshEndpoint(host({ name: 'inner', address: 'inner' }), { sshConfigFile });
    expect(e).toMatchObject({ host: '10.1.0.5', user: 'fallback', port: 22 });
    expect(e.via).toMatchObject({ host: '10.1.0.1', user: 'gatekeeper', port: 22 });
    expect(e.via?.via).toMatchObject({ host: '192.0.2.10', user: 'admin', port: 2222 });
    expect(e.via?.via?.via).toBeUndefined();
    expect(describeEndpoint(e)).toBe(
      'ssh fallback@10.1.0.5:22 via gatekeeper@10.1.0.1:22 via admin@192.0.2.10:2222',
    );
  });

  it('uses the agent unless IdentitiesOnly', async () => {
    const saved = process.env.SSH_AUTH_SOCK;
    process.env.SSH_AUTH_SOCK = '/tmp/agent.sock';
    try {
      expect((await resolveSshEndpoint(host({ address: 'web1' }), { sshConfigFile })).agentSocket).toBe(
        '/tmp/agent.sock',
      );
      expect(
        (await resolveSshEndpoint(host({ address: 'bastion' }), { sshConfigFile })).agentSocket,
      ).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
    }
  });

  it('refuses ProxyCommand clearly rather than bypassing it', async () => {
    await expect(
      resolveSshEndpoint(host({ name: 'legacy', address: 'legacy' }), { sshConfigFile }),
    ).rejects.toThrow(/ProxyCommand .* not supported; use ProxyJump/);
  });
});

describe('parseJump and describeTarget', () => {
  it('reads the ProxyJump forms', () => {
    expect(parseJump('bastion', 'h')).toEqual({ host: 'bastion' });
    expect(parseJump('me@bastion:2022', 'h')).toEqual({ host: 'bastion', user: 'me', port: 2022 });
    expect(parseJump('ssh://me@[2001:db8::1]:22', 'h')).toEqual({
      host: '2001:db8::1',
      user: 'me',
      port: 22,
    });
  });

  it('describes a target before connecting', () => {
    expect(describeTarget(host({ address: '10.231.0.2', user: 'root', port: 22 }))).toBe(
      'ssh root@10.231.0.2:22',
    );
    expect(describeTarget(host({ address: 'h1', become: { method: 'sudo', user: 'root' } }))).toBe(
      'ssh h1 (sudo -u root)',
    );
  });
});
