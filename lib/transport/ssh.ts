/**
 * `kind: ssh`: one SSH login per host (through ProxyJump hosts when configured), one exec channel
 * on it running the long-lived bash (under sudo for become), and every command through that.
 * node-ssh/ssh2 are imported here, and this module is imported only when an SSH host is opened,
 * so runs against local hosts do not pay for loading them.
 */
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import type { Config as ConnectConfig, NodeSSH } from 'node-ssh';
import type { AnyAuthMethod, ClientChannel, ServerHostKeyAlgorithm } from 'ssh2';
import { decideHostKey, defaultKnownHostsFile } from './host-key-policy.js';
import { knownHostName, readKnownHosts, recordedKeyTypes } from './known-hosts.js';
import { shellJoin, shellLaunch } from './shell-launch.js';
import { startShellSession, type ShellChannel } from './shell-session.js';
import { resolveSshEndpoint, type SshEndpoint } from './ssh-endpoint.js';
import { UnreachableError } from './types.js';
import type { Connection, ConnectionTarget, SshSettings } from './types.js';

type NodeSSHClass = typeof import('node-ssh').NodeSSH;

/** Seconds of silence before ssh2 probes the server; after 4 unanswered probes the host is dead. */
const KEEPALIVE_MS = 15_000;

export async function openSshConnection(
  target: ConnectionTarget,
  settings: SshSettings,
): Promise<Connection> {
  const endpoint = await resolveSshEndpoint(target, settings);
  const { NodeSSH } = await import('node-ssh');
  const opened: NodeSSH[] = [];
  const closeAll = (): void => {
    // Innermost (the target) first, then the jump hosts it was reached through.
    for (const ssh of opened.splice(0).reverse()) ssh.dispose();
  };
  try {
    const ssh = await login(NodeSSH, endpoint, target.name, settings, opened);
    const become = target.become && target.become.user !== endpoint.user ? target.become : undefined;
    const launch = shellLaunch(become);
    const description = describeEndpoint(endpoint) + (become ? ` (sudo -u ${become.user})` : '');
    const channel = await openExecChannel(ssh, shellJoin(launch.argv), target.name, description);
    const session = await startShellSession(channel, {
      host: target.name,
      description,
      shellType: 'sh',
      launch,
      becomePassword: become?.password,
      startTimeoutMs: settings.connectTimeoutMs,
      afterClose: closeAll,
    });
    return Object.assign(session, {
      kind: 'ssh' as const,
      openTcp: (host: string, port: number) => openTcp(ssh, host, port, description),
    });
  } catch (error) {
    closeAll();
    throw error;
  }
}

/** `ssh root@10.231.0.2:22`, with ` via user@bastion:22` per jump host. */
export function describeEndpoint(endpoint: SshEndpoint): string {
  const here = `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
  let text = `ssh ${here}`;
  for (let hop = endpoint.via; hop; hop = hop.via) text += ` via ${hop.user}@${hop.host}:${hop.port}`;
  return text;
}

async function login(
  NodeSSHImpl: NodeSSHClass,
  endpoint: SshEndpoint,
  hostName: string,
  settings: SshSettings,
  opened: NodeSSH[],
): Promise<NodeSSH> {
  let sock: Duplex | undefined;
  if (endpoint.via) {
    const jump = await login(NodeSSHImpl, endpoint.via, hostName, settings, opened);
    sock = await forward(jump, endpoint, hostName, settings.connectTimeoutMs);
  }
  const where = `${endpoint.user}@${endpoint.host}:${endpoint.port}${endpoint.via ? ` via ${endpoint.via.host}` : ''}`;
  const auth = await authMethods(endpoint);
  let hostKeyProblem: string | undefined;
  const ssh = new NodeSSHImpl();
  const config: ConnectConfig = {
    ...(sock ? { sock } : { host: endpoint.host }),
    port: endpoint.port,
    username: endpoint.user,
    readyTimeout: settings.connectTimeoutMs,
    keepaliveInterval: KEEPALIVE_MS,
    keepaliveCountMax: 4,
    algorithms: { serverHostKey: await hostKeyAlgorithms(endpoint, settings) },
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      decideHostKey(
        key,
        { label: endpoint.label, address: endpoint.host, port: endpoint.port },
        settings,
      ).then(
        (decision) => {
          if (!decision.accept) hostKeyProblem = decision.message;
          verify(decision.accept);
        },
        (error: Error) => {
          hostKeyProblem = `cannot check the host key of ${endpoint.label}: ${error.message}`;
          verify(false);
        },
      );
    },
    // Offer each key in turn; ssh2 skips keys it cannot parse (e.g. passphrase-protected ones).
    authHandler: ((_left: unknown, _partial: unknown, next: (method: AnyAuthMethod | false) => void) => {
      next(auth.methods.shift() ?? false);
    }) as ConnectConfig['authHandler'],
  };
  try {
    await ssh.connect(config);
  } catch (error) {
    ssh.dispose();
    if (hostKeyProblem) throw new UnreachableError(hostName, hostKeyProblem);
    throw new UnreachableError(
      hostName,
      `${hostName}: cannot connect to ${where}: ${reason(error as Error & { code?: string; level?: string }, auth.tried, settings)}`,
    );
  }
  opened.push(ssh);
  // After login a lost connection shows as the shell channel closing; keep ssh2 from throwing.
  ssh.connection?.on('error', () => {});
  return ssh;
}

/** A tunnel through `jump` to `to` (what `ssh -W` does for OpenSSH's ProxyJump). */
function forward(jump: NodeSSH, to: SshEndpoint, hostName: string, timeoutMs: number): Promise<Duplex> {
  const fail = (why: string): UnreachableError =>
    new UnreachableError(
      hostName,
      `${hostName}: jump host ${to.via?.host}:${to.via?.port} cannot reach ${to.host}:${to.port}: ${why}`,
    );
  return new Promise((resolve, reject) => {
    // The bastion's own TCP connect may hang far longer than our connect timeout.
    const timer = setTimeout(() => reject(fail(`timed out after ${timeoutMs} ms`)), timeoutMs);
    jump.connection!.forwardOut('127.0.0.1', 0, to.host, to.port, (error, stream) => {
      clearTimeout(timer);
      if (error) reject(fail(error.message));
      else resolve(stream);
    });
  });
}

/** A `direct-tcpip` channel from the host to `host:port` on the logged-in connection. */
function openTcp(ssh: NodeSSH, host: string, port: number, description: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const client = ssh.connection;
    if (!client) return reject(new Error(`${description}: connection lost`));
    client.forwardOut('127.0.0.1', 0, host, port, (error, stream) => {
      if (error)
        reject(new Error(`${description}: cannot open a TCP channel to ${host}:${port}: ${error.message}`));
      else resolve(stream);
    });
  });
}

/** Host key algorithms with the types already in known_hosts first, as OpenSSH orders them. */
async function hostKeyAlgorithms(
  endpoint: SshEndpoint,
  settings: SshSettings,
): Promise<ServerHostKeyAlgorithm[]> {
  const all: ServerHostKeyAlgorithm[] = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  if (!settings.hostKeyChecking) return all;
  const entries = await readKnownHosts(settings.knownHostsFile ?? defaultKnownHostsFile()).catch(() => []);
  const known = recordedKeyTypes(entries, knownHostName(endpoint.host, endpoint.port));
  const preferred = all.filter((algo) =>
    known.some((type) => algo === type || (type === 'ssh-rsa' && algo.startsWith('rsa-sha2'))),
  );
  return [...preferred, ...all.filter((algo) => !preferred.includes(algo))];
}

async function authMethods(endpoint: SshEndpoint): Promise<{ methods: AnyAuthMethod[]; tried: string[] }> {
  const methods: AnyAuthMethod[] = [];
  const tried: string[] = [];
  const username = endpoint.user;
  const addKey = async (path: string, required: boolean): Promise<void> => {
    try {
      methods.push({ type: 'publickey', username, key: await readFile(path) });
      tried.push(path);
    } catch {
      if (required) tried.push(`${path} (not readable)`);
    }
  };
  const [explicit, others] = [
    endpoint.identityFiles.filter((f) => f.explicit),
    endpoint.identityFiles.filter((f) => !f.explicit),
  ];
  for (const file of explicit) await addKey(file.path, true);
  if (endpoint.agentSocket) {
    methods.push({ type: 'agent', username, agent: endpoint.agentSocket });
    tried.push('ssh-agent');
  }
  for (const file of others) await addKey(file.path, false);
  return { methods, tried };
}

function reason(
  error: Error & { code?: string; level?: string },
  tried: string[],
  settings: SshSettings,
): string {
  if (error.level === 'client-authentication') {
    return `authentication failed (offered: ${tried.length ? tried.join(', ') : 'no keys found'})`;
  }
  if (error.level === 'client-timeout' || error.code === 'ETIMEDOUT')
    return `timed out after ${settings.connectTimeoutMs} ms`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'cannot resolve the host name';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to host';
    case 'ECONNRESET':
      return 'connection reset by the server';
    default:
      return error.message;
  }
}

function openExecChannel(
  ssh: NodeSSH,
  command: string,
  hostName: string,
  description: string,
): Promise<ShellChannel> {
  return new Promise((resolve, reject) => {
    const client = ssh.connection;
    if (!client) return reject(new UnreachableError(hostName, `${description}: connection lost`));
    client.exec(command, (error, stream: ClientChannel) => {
      if (error)
        return reject(
          new UnreachableError(hostName, `${description}: cannot start a shell: ${error.message}`),
        );
      let endReason: string | undefined;
      let exit = 'channel closed';
      const listeners: ((why: string) => void)[] = [];
      const end = (why: string): void => {
        if (endReason !== undefined) return;
        endReason = why;
        for (const listener of listeners) listener(why);
      };
      stream.on('exit', (code: number | null, signal?: string) => {
        exit = signal ? `killed by ${signal}` : `exit code ${code}`;
      });
      stream.on('close', () => end(exit));
      client.on('close', () => end('connection closed'));
      resolve({
        stdin: stream,
        stdout: stream,
        stderr: stream.stderr,
        onEnd: (listener) => {
          if (endReason !== undefined) listener(endReason);
          else listeners.push(listener);
        },
        destroy: () => stream.close(),
      });
    });
  });
}
