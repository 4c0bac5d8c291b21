/** `kind: local`: the same long-lived bash session, as a child process of ours. */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { userInfo } from 'node:os';
import { shellLaunch } from './shell-launch.js';
import { startShellSession, type ShellChannel } from './shell-session.js';
import type { Connection, ConnectionTarget, SshSettings } from './types.js';

export async function openLocalConnection(
  target: ConnectionTarget,
  settings: Pick<SshSettings, 'connectTimeoutMs'>,
): Promise<Connection> {
  const become = target.become && target.become.user !== currentUser() ? target.become : undefined;
  const launch = shellLaunch(become);
  const [file, ...args] = launch.argv;
  // Its own process group: a Ctrl-C at the terminal goes to the playbook, which lets the command
  // in flight finish (as it does over SSH) instead of the shell dying with it. If we die, the
  // shell reads EOF on stdin and exits.
  const child = spawn(file!, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let endReason: string | undefined;
  const listeners: ((reason: string) => void)[] = [];
  const end = (reason: string): void => {
    if (endReason !== undefined) return;
    endReason = reason;
    for (const listener of listeners) listener(reason);
  };
  child.on('error', (error) => end(error.message));
  // 'close' (not 'exit'): by then all output has been read.
  child.on('close', (code, signal) => end(signal ? `killed by ${signal}` : `exit code ${code}`));
  const channel: ShellChannel = {
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    onEnd: (listener) => {
      if (endReason !== undefined) listener(endReason);
      else listeners.push(listener);
    },
    destroy: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  const session = await startShellSession(channel, {
    host: target.name,
    description: become ? `local (sudo -u ${become.user})` : 'local',
    shellType: 'sh',
    launch,
    becomePassword: become?.password,
    startTimeoutMs: settings.connectTimeoutMs,
  });
  return Object.assign(session, { kind: 'local' as const, openTcp: openLocalTcp });
}

function openLocalTcp(host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? '';
  }
}
