/**
 * A private OpenSSH server on 127.0.0.1 for the transport tests: its own host key, its own
 * authorized_keys (one client key, for every user), its own log (to count logins), plus two
 * throw-away sudo users for become tests. Needs root (users, sudoers, sshd's privilege
 * separation); installs openssh-server and sudo with apt-get when they are missing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';

export interface TestSshd {
  port: number;
  dir: string;
  /** Private key accepted for every user. */
  clientKey: string;
  /** The server's public host key (raw wire bytes) and its known_hosts line. */
  hostKey: Buffer;
  knownHostsLine: string;
  /** `Accepted publickey` lines in sshd's log so far. */
  acceptedLogins(): Promise<number>;
  /** Login users: one with NOPASSWD sudo, one whose sudo needs `password`. */
  users: { nopasswd: string; withPassword: string; password: string; sudoers: string };
  stop(): Promise<void>;
}

/** Why the SSH tests cannot run here, or undefined when they can (after installing sshd if needed). */
export async function sshdUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not running as root (needed for sshd and test users)';
  if (!existsSync(SSHD) || !existsSync('/usr/bin/sudo')) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = (): Promise<unknown> =>
      run('apt-get', ['install', '-y', '-qq', 'openssh-server', 'sudo'], { env, timeout: 300_000 });
    try {
      await install().catch(async () => {
        await run('apt-get', ['update', '-qq'], { env, timeout: 300_000 });
        await install();
      });
    } catch (error) {
      return `openssh-server/sudo missing and apt-get install failed: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  return existsSync(SSHD) ? undefined : `${SSHD} not found`;
}

export async function startTestSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'ns-sshd-'));
  // sshd reads authorized_keys as the logging-in user: the directory must be traversable.
  await chmod(dir, 0o755);
  const tag = randomBytes(3).toString('hex');
  const users = {
    nopasswd: `nst${tag}np`,
    withPassword: `nst${tag}pw`,
    password: `pw-${randomBytes(9).toString('hex')}`,
    sudoers: `/etc/sudoers.d/novastation-test-${tag}`, // no dot: sudo skips files with one
  };
  const hostKeyFile = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test-host', '-f', hostKeyFile]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test-client', '-f', clientKey]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${clientKey}.pub`));
  await chmod(join(dir, 'authorized_keys'), 0o644);
  await createUsers(users);
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      'ListenAddress 127.0.0.1',
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding yes',
      'MaxStartups 100',
      'LogLevel INFO',
      '',
    ].join('\n'),
  );
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const logFile = join(dir, 'sshd.log');
  const child = spawn(SSHD, ['-D', '-f', config, '-p', String(port), '-h', hostKeyFile, '-E', logFile], {
    stdio: 'ignore',
  });
  await waitForBanner(port, child, logFile);
  const hostKey = Buffer.from((await readFile(`${hostKeyFile}.pub`, 'utf8')).split(' ')[1]!, 'base64');
  return {
    port,
    dir,
    clientKey,
    hostKey,
    knownHostsLine: `[127.0.0.1]:${port} ssh-ed25519 ${hostKey.toString('base64')}\n`,
    acceptedLogins: async () =>
      ((await readFile(logFile, 'utf8').catch(() => '')).match(/Accepted publickey/g) ?? []).length,
    users,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await removeUsers(users);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function createUsers(users: TestSshd['users']): Promise<void> {
  for (const user of [users.nopasswd, users.withPassword]) {
    await run('useradd', ['-m', '-s', '/bin/bash', user]);
  }
  // With UsePAM no, sshd refuses accounts with a locked password even for key logins.
  const otherPassword = randomBytes(12).toString('hex');
  await new Promise<void>((resolve, reject) => {
    const p = spawn('chpasswd', { stdio: ['pipe', 'ignore', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd exited ${code}`))));
    p.stdin.end(`${users.nopasswd}:${otherPassword}\n${users.withPassword}:${users.password}\n`);
  });
  await writeFile(
    users.sudoers,
    `${users.nopasswd} ALL=(ALL) NOPASSWD: ALL\n${users.withPassword} ALL=(ALL) ALL\n`,
    { mode: 0o440 },
  );
}

async function removeUsers(users: TestSshd['users']): Promise<void> {
  await rm(users.sudoers, { force: true });
  for (const user of [users.nopasswd, users.withPassword]) {
    await run('userdel', ['-r', '-f', user]).catch(() => {});
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForBanner(port: number, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('SSH-'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const log = await readFile(logFile, 'utf8').catch(() => '');
  throw new Error(`test sshd did not start on port ${port}: ${log}`);
}
