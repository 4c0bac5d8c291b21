/**
 * From a host's inventory variables to how to reach it, with Ansible's names
 * (ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file, ansible_connection,
 * ansible_become*, ansible_shell_type), so Ansible inventories work unchanged.
 */
import { InvalidInputError } from '../errors.js';
import { isSecret } from '../secret.js';
import type { InventoryHost } from '../inventory/types.js';
import type { ConnectionTarget } from '../transport/types.js';

const SSH_CONNECTIONS = new Set(['ssh', 'smart', 'paramiko', 'paramiko_ssh']);

export function connectionTarget(
  host: Pick<InventoryHost, 'name' | 'vars' | 'varSources'>,
): ConnectionTarget {
  const v = host.vars;
  const where = (key: string) => ({ ...host.varSources[key], path: `${host.name}.${key}` });
  const str = (key: string): string | undefined => {
    const value = v[key];
    if (value === undefined || value === null) return undefined;
    if (isSecret(value)) return value.reveal();
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new InvalidInputError(`${key} must be a string, got ${typeof value}`, where(key));
    return String(value);
  };
  const bool = (key: string): boolean => {
    const value = v[key];
    if (value === undefined) return false;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && /^(yes|true|on|1)$/i.test(value)) return true;
    if (typeof value === 'string' && /^(no|false|off|0)$/i.test(value)) return false;
    throw new InvalidInputError(`${key} must be a boolean, got ${JSON.stringify(value)}`, where(key));
  };

  const connection = str('ansible_connection') ?? 'ssh';
  if (connection !== 'local' && !SSH_CONNECTIONS.has(connection)) {
    throw new InvalidInputError(
      `ansible_connection "${connection}" is not supported (use ssh or local)`,
      where('ansible_connection'),
    );
  }
  const shell = str('ansible_shell_type') ?? 'sh';
  if (!['sh', 'bash', 'powershell'].includes(shell)) {
    throw new InvalidInputError(
      `ansible_shell_type "${shell}" is not supported (use sh or powershell)`,
      where('ansible_shell_type'),
    );
  }
  const portText = str('ansible_port') ?? str('ansible_ssh_port');
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new InvalidInputError(
      `ansible_port must be a port number (1-65535), got ${JSON.stringify(portText)}`,
      where('ansible_port'),
    );
  }
  const target: ConnectionTarget = {
    name: host.name,
    kind: connection === 'local' ? 'local' : 'ssh',
    address: str('ansible_host') ?? str('ansible_ssh_host') ?? host.name,
    shellType: shell === 'powershell' ? 'powershell' : 'sh',
  };
  if (port !== undefined) target.port = port;
  const user = str('ansible_user') ?? str('ansible_ssh_user');
  if (user !== undefined) target.user = user;
  const key = str('ansible_ssh_private_key_file') ?? str('ansible_private_key_file');
  if (key !== undefined) target.privateKeyFile = key;
  if (bool('ansible_become') || (v['ansible_become'] === undefined && v['ansible_sudo'] === true)) {
    const method = str('ansible_become_method') ?? 'sudo';
    if (method !== 'sudo')
      throw new InvalidInputError(
        `ansible_become_method "${method}" is not supported (only sudo)`,
        where('ansible_become_method'),
      );
    const password = str('ansible_become_password') ?? str('ansible_become_pass');
    target.become = {
      method: 'sudo',
      user: str('ansible_become_user') ?? 'root',
      ...(password !== undefined ? { password } : {}),
    };
  }
  return target;
}
