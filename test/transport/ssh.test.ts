// SSH connections against a real, private sshd on 127.0.0.1 (see sshd.ts).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile, copyFile, chmod } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BecomeError,
  openConnection,
  UnreachableError,
  type Connection,
  type ConnectionTarget,
  type SshSettings,
} from '../../lib/transport/index.js';
import { fingerprint } from '../../lib/transport/known-hosts.js';
import { sshdUnavailable, startTestSshd, type TestSshd } from './sshd.js';

const unavailable = await sshdUnavailable();
if (unavailable) {
  if (process.env.CI === 'true') throw new Error(`SSH transport tests cannot run in CI: ${unavailable}`);
  console.warn(`skipping SSH transport tests: ${unavailable}`);
}

describe.skipIf(unavailable !== undefined)('ssh connection (real sshd on 127.0.0.1)', () => {
  let sshd: TestSshd;
  let dir: string;
  let knownHostsFile: string;
  const open: Connection[] = [];

  beforeAll(async () => {
    sshd = await startTestSshd();
    dir = await mkdtemp(join(tmpdir(), 'ns-ssh-test-'));
    knownHostsFile = join(dir, 'known_hosts');
  }, 300_000);
  afterAll(async () => {
    await sshd?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  const target = (extra: Partial<ConnectionTarget> = {}): ConnectionTarget => ({
    name: 'h1',
    kind: 'ssh',
    address: '127.0.0.1',
    port: sshd.port,
    user: 'root',
    privateKeyFile: sshd.clientKey,
    shellType: 'sh',
    ...extra,
  });
  const settings = (extra: Partial<SshSettings> = {}): SshSettings => ({
    knownHostsFile,
    acceptNewHostKeys: false,
    hostKeyChecking: true,
    connectTimeoutMs: 10_000,
    // an empty config file: the tests must not depend on the machine's ~/.ssh/config
    sshConfigFile: join(dir, 'empty_config'),
    ...extra,
  });
  const connect = async (t: ConnectionTarget, s: SshSettings): Promise<Connection> => {
    const conn = await openConnection(t, s);
    open.push(conn);
    return conn;
  };
  const trustHost = async (): Promise<void> => {
    await writeFile(knownHostsFile, sshd.knownHostsLine);
  };
  beforeAll(async () => {
    await writeFile(join(dir, 'empty_config'), '');
  });

  it('runs commands through one long-lived shell on one SSH login', async () => {
    await trustHost();
    const before = await sshd.acceptedLogins();
    const started = performance.now();
    const conn = await connect(target(), settings());
    const connectMs = performance.now() - started;
    expect(conn.description).toBe(`ssh root@127.0.0.1:${sshd.port}`);
    expect(await conn.run('printf out; printf err >&2; exit 3')).toMatchObject({
      stdout: 'out',
      stderr: 'err',
      exitCode: 3,
    });
    expect(await conn.run('cat', { stdin: 'over ssh' })).toMatchObject({ stdout: 'over ssh', exitCode: 0 });
    expect((await conn.run('cd /; exit 9')).exitCode).toBe(9);
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) expect((await conn.run(`echo ${i}`)).stdout).toBe(`${i}\n`);
    const ms = performance.now() - t0;
    console.log(
      `ssh: connect + shell start ${connectMs.toFixed(0)} ms; 200 sequential commands in ${ms.toFixed(0)} ms (${(ms / 200).toFixed(1)} ms each)`,
    );
    const big = await conn.run('head -c 5000000 /dev/zero');
    expect(big.stdoutBytes?.length).toBe(5_000_000);
    const data = Buffer.alloc(2_000_000, 'abc\n');
    expect((await conn.run('md5sum', { stdin: data })).stdout).toBe(
      `${createHash('md5').update(data).digest('hex')}  -\n`,
    );
    expect((await conn.run('echo x; sleep 20', { timeoutMs: 300 })).timedOut).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await sshd.acceptedLogins()).toBe(before + 1);
  }, 60_000);

  it('refuses an unknown host key, naming the fingerprint and the option, and records nothing', async () => {
    await writeFile(knownHostsFile, '');
    const error = await openConnection(target(), settings()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toBe(
      `host key for h1 (127.0.0.1) is not known; check its fingerprint (${fingerprint(sshd.hostKey)}) and rerun with --accept-new-host-keys to trust and record it`,
    );
    expect(await readFile(knownHostsFile, 'utf8')).toBe('');
  });

  it('records a new host key with accept-new; the next connection passes without it', async () => {
    await rm(knownHostsFile, { force: true });
    const conn = await connect(target(), settings({ acceptNewHostKeys: true }));
    expect((await conn.run('echo ok')).stdout).toBe('ok\n');
    expect(await readFile(knownHostsFile, 'utf8')).toBe(sshd.knownHostsLine);
    const again = await connect(target(), settings());
    expect((await again.run('echo again')).stdout).toBe('again\n');
    expect(await readFile(knownHostsFile, 'utf8')).toBe(sshd.knownHostsLine);
  });

  it('refuses a changed host key even with accept-new', async () => {
    const other = await readFile(join(import.meta.dirname, 'fixtures', 'ka.pub'), 'utf8');
    await writeFile(
      knownHostsFile,
      `# first line\n[127.0.0.1]:${sshd.port} ${other.split(' ').slice(0, 2).join(' ')}\n`,
    );
    const error = await openConnection(target(), settings({ acceptNewHostKeys: true })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnreachableError);
    const message = (error as Error).message;
    expect(message).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(message).toContain(fingerprint(sshd.hostKey));
    expect(message).toContain(
      `${knownHostsFile}:2: ssh-ed25519 SHA256:8YOpGX99Us89EomNcsnPaQQd3C2aRRb0EoilhRWn9X0`,
    );
    expect(await readFile(knownHostsFile, 'utf8')).not.toContain(sshd.hostKey.toString('base64'));
  });

  it('accepts any host key and records nothing with host key checking off', async () => {
    await writeFile(knownHostsFile, '');
    const conn = await connect(target(), settings({ hostKeyChecking: false }));
    expect((await conn.run('echo ok')).stdout).toBe('ok\n');
    expect(await readFile(knownHostsFile, 'utf8')).toBe('');
  });

  it('jumps through a bastion (ProxyJump from an ssh_config file), logging in twice', async () => {
    await trustHost();
    const config = join(dir, 'jump_config');
    await writeFile(
      config,
      [
        'Host via-bastion',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        '  User root',
        `  IdentityFile ${sshd.clientKey}`,
        '  ProxyJump bastion',
        'Host bastion',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        `  IdentityFile ${sshd.clientKey}`,
        '  User root',
        '',
      ].join('\n'),
    );
    const before = await sshd.acceptedLogins();
    const conn = await connect(
      { name: 'h2', kind: 'ssh', address: 'via-bastion', shellType: 'sh' },
      settings({ sshConfigFile: config }),
    );
    expect(conn.description).toBe(`ssh root@127.0.0.1:${sshd.port} via root@127.0.0.1:${sshd.port}`);
    // The target login comes from the bastion's forwarded connection, not from us directly.
    expect((await conn.run('echo "$SSH_CONNECTION" | cut -d" " -f1')).stdout).toBe('127.0.0.1\n');
    expect((await conn.run('echo jumped')).stdout).toBe('jumped\n');
    await conn.close();
    expect(await sshd.acceptedLogins()).toBe(before + 2);
  });

  it('lets inventory settings win over ssh_config, and expands ~ in IdentityFile', async () => {
    await trustHost();
    const home = join(dir, 'home');
    await mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    await copyFile(sshd.clientKey, join(home, '.ssh', 'custom_key'));
    await chmod(join(home, '.ssh', 'custom_key'), 0o600);
    const config = join(home, '.ssh', 'config');
    await writeFile(
      config,
      `Host alias\n  HostName 127.0.0.1\n  Port 1\n  User nobody\n  IdentityFile ~/.ssh/custom_key\n`,
    );
    const savedHome = process.env.HOME;
    process.env.HOME = home;
    try {
      const conn = await connect(
        { name: 'h3', kind: 'ssh', address: 'alias', port: sshd.port, user: 'root', shellType: 'sh' },
        settings({ sshConfigFile: undefined }), // the default: ~/.ssh/config
      );
      expect(conn.description).toBe(`ssh root@127.0.0.1:${sshd.port}`);
      expect((await conn.run('id -un')).stdout).toBe('root\n');
    } finally {
      process.env.HOME = savedHome;
    }
  });

  it('uses the default key ~/.ssh/id_ed25519 when nothing else is given', async () => {
    await trustHost();
    const home = join(dir, 'home-default');
    await mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    await copyFile(sshd.clientKey, join(home, '.ssh', 'id_ed25519'));
    const savedHome = process.env.HOME;
    process.env.HOME = home;
    try {
      const conn = await connect(
        target({ privateKeyFile: undefined }),
        settings({ sshConfigFile: undefined }),
      );
      expect((await conn.run('echo default-key')).stdout).toBe('default-key\n');
    } finally {
      process.env.HOME = savedHome;
    }
  });

  it('reports a failed login clearly', async () => {
    await trustHost();
    const wrongKey = join(import.meta.dirname, 'fixtures', 'ka.pub'); // a public key cannot log in
    const error = await openConnection(target({ privateKeyFile: wrongKey }), settings()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toMatch(
      new RegExp(`^h1: cannot connect to root@127\\.0\\.0\\.1:${sshd.port}: authentication failed`),
    );
  });

  it('reports a refused connection and a connect timeout clearly', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    await expect(openConnection(target({ port: closed }), settings())).rejects.toThrow(
      `h1: cannot connect to root@127.0.0.1:${closed}: connection refused`,
    );
    // A server that accepts TCP but never speaks SSH.
    const silent: Server = createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const port = (silent.address() as { port: number }).port;
    const started = Date.now();
    try {
      await expect(openConnection(target({ port }), settings({ connectTimeoutMs: 500 }))).rejects.toThrow(
        /timed out after 500 ms/,
      );
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      silent.close();
    }
  });

  it('notices a dropped connection: running and later commands fail as unreachable', async () => {
    await trustHost();
    const conn = await connect(target(), settings());
    // Kill the sshd session process that carries this connection.
    await expect(conn.run('kill -9 $PPID')).rejects.toBeInstanceOf(UnreachableError);
    await expect(conn.run('echo after')).rejects.toBeInstanceOf(UnreachableError);
  });

  describe('become', () => {
    it('starts the shell under sudo without a password (NOPASSWD)', async () => {
      await trustHost();
      const conn = await connect(
        target({ user: sshd.users.nopasswd, become: { method: 'sudo', user: 'root' } }),
        settings(),
      );
      expect(conn.description).toBe(`ssh ${sshd.users.nopasswd}@127.0.0.1:${sshd.port} (sudo -u root)`);
      expect((await conn.run('id -un; echo "$HOME"')).stdout).toBe('root\n/root\n');
      expect((await conn.run('cat', { stdin: 'x' })).stdout).toBe('x');
      expect((await conn.run('sleep 10', { timeoutMs: 200 })).timedOut).toBe(true);
      expect((await conn.run('id -un')).stdout).toBe('root\n');
    });

    it('becomes another non-root user too', async () => {
      await trustHost();
      const conn = await connect(
        target({ user: sshd.users.nopasswd, become: { method: 'sudo', user: sshd.users.withPassword } }),
        settings(),
      );
      expect((await conn.run('id -un')).stdout).toBe(`${sshd.users.withPassword}\n`);
    });

    it('answers sudo with the password, which never appears on a command line', async () => {
      await trustHost();
      const conn = await connect(
        target({
          user: sshd.users.withPassword,
          become: { method: 'sudo', user: 'root', password: sshd.users.password },
        }),
        settings(),
      );
      expect((await conn.run('id -un')).stdout).toBe('root\n');
      expect((await conn.run('ps -eo args')).stdout).not.toContain(sshd.users.password);
      expect((await conn.run('echo still root; id -u')).stdout).toBe('still root\n0\n');
    });

    it('fails clearly on a wrong password', async () => {
      await trustHost();
      const error = await openConnection(
        target({
          user: sshd.users.withPassword,
          become: { method: 'sudo', user: 'root', password: 'wrong-password' },
        }),
        settings(),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BecomeError);
      expect(error).toBeInstanceOf(UnreachableError);
      expect((error as Error).message).toBe(
        `ssh ${sshd.users.withPassword}@127.0.0.1:${sshd.port} (sudo -u root): sudo to root failed: incorrect become password`,
      );
    }, 30_000);

    it('fails clearly when sudo wants a password and none is given', async () => {
      await trustHost();
      const error = await openConnection(
        target({ user: sshd.users.withPassword, become: { method: 'sudo', user: 'root' } }),
        settings(),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BecomeError);
      expect((error as Error).message).toMatch(/sudo to root failed .*a password is required/);
    });

    it('skips sudo when the login user already is the become user', async () => {
      await trustHost();
      const conn = await connect(
        target({ become: { method: 'sudo', user: 'root', password: 'unused' } }),
        settings(),
      );
      expect(conn.description).toBe(`ssh root@127.0.0.1:${sshd.port}`);
    });
  });
});
