// host.forwardPort: a controller-side port to a port on the host's loopback, over the run's one
// SSH login (real sshd on 127.0.0.1, see sshd.ts), and directly for a local host.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../lib/host/host.js';
import { openConnection, type ConnectionTarget, type SshSettings } from '../../lib/transport/index.js';
import { sshdUnavailable, startTestSshd, type TestSshd } from './sshd.js';

const unavailable = await sshdUnavailable();
if (unavailable) {
  if (process.env.CI === 'true') throw new Error(`port-forward tests cannot run in CI: ${unavailable}`);
  console.warn(`skipping SSH port-forward tests: ${unavailable}`);
}

/** A TCP server that answers every line with `echo:<line>`. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.on('data', (d) => s.write(`echo:${d.toString()}`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(text));
    socket.once('data', (d) => {
      resolve(d.toString());
      socket.end();
    });
    socket.once('error', reject);
  });
}

describe.skipIf(unavailable !== undefined)('host.forwardPort over SSH (real sshd on 127.0.0.1)', () => {
  let sshd: TestSshd;
  let dir: string;
  let echo: { server: Server; port: number };
  let host: Host;

  beforeAll(async () => {
    sshd = await startTestSshd();
    dir = await mkdtemp(join(tmpdir(), 'ns-fwd-'));
    await writeFile(join(dir, 'known_hosts'), sshd.knownHostsLine);
    await writeFile(join(dir, 'config'), '');
    echo = await echoServer();
    const target: ConnectionTarget = {
      name: 'gw',
      kind: 'ssh',
      address: '127.0.0.1',
      port: sshd.port,
      user: 'root',
      privateKeyFile: sshd.clientKey,
      shellType: 'sh',
    };
    const settings: SshSettings = {
      knownHostsFile: join(dir, 'known_hosts'),
      acceptNewHostKeys: false,
      hostKeyChecking: true,
      connectTimeoutMs: 10_000,
      sshConfigFile: join(dir, 'config'),
    };
    host = new Host({
      name: 'gw',
      check: true,
      shellType: 'sh',
      connect: () => openConnection(target, settings),
    });
  }, 300_000);
  afterAll(async () => {
    await host?.close();
    echo?.server.close();
    await sshd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('carries several TCP connections over the one login, in check mode too, until closed', async () => {
    const logins = await sshd.acceptedLogins();
    const forward = await host.forwardPort('127.0.0.1', echo.port);
    expect(forward.host).toBe('127.0.0.1');
    expect(forward.port).not.toBe(echo.port);
    await forward.probe();
    const answers = await Promise.all(['a', 'b', 'c'].map((t) => roundTrip(forward.port, t)));
    expect(answers).toEqual(['echo:a', 'echo:b', 'echo:c']);
    // Commands and the forward share the connection: still one login.
    expect((await host.probe`echo shell-ok`).stdout.trim()).toBe('shell-ok');
    expect(await sshd.acceptedLogins()).toBe(logins + 1);
    await forward.close();
    await expect(roundTrip(forward.port, 'x')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a target nobody listens on closes the local connection instead of hanging', async () => {
    const closed = await echoServer();
    const deadPort = closed.port;
    await new Promise((r) => closed.server.close(r));
    const forward = await host.forwardPort('127.0.0.1', deadPort);
    await expect(forward.probe()).rejects.toThrow(/cannot open a TCP channel to 127\.0\.0\.1:\d+/);
    const result = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: forward.port });
      socket.once('close', () => resolve('closed'));
      socket.once('data', () => resolve('data'));
    });
    expect(result).toBe('closed');
    await forward.close();
  });
});

describe('host.forwardPort on a local host', () => {
  it('is the target itself: nothing to forward', async () => {
    const echo = await echoServer();
    const host = new Host({
      name: 'localhost',
      check: false,
      shellType: 'sh',
      connect: () =>
        openConnection(
          { name: 'localhost', kind: 'local', address: 'localhost', shellType: 'sh' },
          {
            acceptNewHostKeys: false,
            hostKeyChecking: true,
            connectTimeoutMs: 10_000,
          },
        ),
    });
    try {
      const forward = await host.forwardPort('127.0.0.1', echo.port);
      expect(forward).toMatchObject({ host: '127.0.0.1', port: echo.port });
      expect(await roundTrip(forward.port, 'hi')).toBe('echo:hi');
      await forward.close();
    } finally {
      await host.close();
      echo.server.close();
    }
  });
});
