/**
 * The transport's entry point for the engine: open one Connection per host and reuse it.
 * SSH support (node-ssh, ssh2, ssh-config) is loaded on the first SSH host only: the CLI imports
 * this module on every run, including runs that never leave the machine.
 */
import { BecomeError, UnreachableError } from './types.js';
import type { Connection, ConnectionTarget, SshSettings } from './types.js';

export * from './types.js';

/** Connect to `target` and start its long-lived shell (as the become user when set). */
export async function openConnection(target: ConnectionTarget, settings: SshSettings): Promise<Connection> {
  if (target.shellType === 'powershell') {
    throw new UnreachableError(
      target.name,
      `${target.name}: PowerShell targets (ansible_shell_type=powershell) are not supported yet; only bash on Linux/Unix hosts is`,
    );
  }
  if (target.become && target.become.method !== 'sudo') {
    throw new UnreachableError(
      target.name,
      `${target.name}: become method ${target.become.method} is not supported; only sudo is`,
    );
  }
  if (target.become?.password?.includes('\n')) {
    // sudo reads the password up to the first newline; the rest would reach bash as commands.
    throw new BecomeError(
      target.name,
      `${target.name}: the become password contains a newline, which sudo cannot take`,
    );
  }
  if (target.kind === 'local') {
    const { openLocalConnection } = await import('./local.js');
    return openLocalConnection(target, settings);
  }
  const { openSshConnection } = await import('./ssh.js');
  return openSshConnection(target, settings);
}

/**
 * A short description of how `target` will be reached, for logs and messages before connecting
 * (ssh_config is not consulted here, so HostName/User/Port from it do not show).
 */
export function describeTarget(target: ConnectionTarget): string {
  const become = target.become ? ` (sudo -u ${target.become.user})` : '';
  if (target.kind === 'local') return `local${become}`;
  const user = target.user ? `${target.user}@` : '';
  const port = target.port !== undefined ? `:${target.port}` : '';
  return `ssh ${user}${target.address}${port}${become}`;
}
