/**
 * Where and as whom to log in for an inventory host: the inventory's explicit settings first
 * (ansible_port, ansible_user, ansible_ssh_private_key_file win, as with Ansible's ssh -o),
 * then ~/.ssh/config (HostName, User, Port, IdentityFile, IdentitiesOnly, ProxyJump), then
 * OpenSSH's defaults. Like `ssh`, the config is looked up by the address Ansible would pass to
 * ssh (ansible_host, else the inventory name), and HostName from it applies.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { UnreachableError } from './types.js';
import type { ConnectionTarget, SshSettings } from './types.js';

export interface SshEndpoint {
  /** For messages: `h1 (10.231.0.2)`, or just the address. */
  label: string;
  /** Host name or address to connect to, and the name looked up in known_hosts. */
  host: string;
  port: number;
  user: string;
  /** Key files to offer, in order; `explicit` ones come from the inventory. */
  identityFiles: { path: string; explicit: boolean }[];
  /** Offer ssh-agent keys (SSH_AUTH_SOCK set and IdentitiesOnly not `yes`). */
  agentSocket?: string;
  /** The jump host this one is reached through (ProxyJump), itself possibly jumped to. */
  via?: SshEndpoint;
}

type ComputedConfig = Record<string, string | string[]>;
interface ConfigLookup {
  compute(host: string): ComputedConfig;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
const MAX_JUMPS = 8;

export async function resolveSshEndpoint(
  target: ConnectionTarget,
  settings: Pick<SshSettings, 'sshConfigFile'>,
): Promise<SshEndpoint> {
  const config = await loadSshConfig(target.name, settings.sshConfigFile);
  return resolve(
    config,
    target.name,
    target.address,
    { port: target.port, user: target.user, key: target.privateKeyFile },
    0,
  );
}

async function loadSshConfig(host: string, file: string | undefined): Promise<ConfigLookup> {
  const path = file ?? join(homedir(), '.ssh', 'config');
  if (file === undefined && !existsSync(path)) return { compute: () => ({}) };
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UnreachableError(host, `cannot read ssh config ${path}: ${(error as Error).message}`);
  }
  const { default: SSHConfig } = await import('ssh-config');
  const parsed = SSHConfig.parse(text);
  // ignoreCase: keys come back lower-cased whatever case the file uses.
  return { compute: (h) => parsed.compute(h, { ignoreCase: true }) };
}

interface Explicit {
  port?: number | undefined;
  user?: string | undefined;
  key?: string | undefined;
}

function resolve(
  config: ConfigLookup,
  name: string,
  address: string,
  explicit: Explicit,
  depth: number,
  via?: SshEndpoint,
): SshEndpoint {
  if (depth > MAX_JUMPS)
    throw new UnreachableError(
      name,
      `ProxyJump chain for ${name} is longer than ${MAX_JUMPS} hops (a loop?)`,
    );
  const c = config.compute(address);
  const host = expand(first(c.hostname) ?? '%h', { h: address });
  const port = explicit.port ?? toPort(first(c.port), name) ?? 22;
  const user = explicit.user ?? first(c.user) ?? localUser();
  const tokens = { h: host, p: String(port), r: user, u: localUser(), d: homedir() };
  if (first(c.proxycommand) && first(c.proxycommand) !== 'none') {
    throw new UnreachableError(name, `${name}: ProxyCommand in ssh_config is not supported; use ProxyJump`);
  }
  const identitiesOnly = first(c.identitiesonly)?.toLowerCase() === 'yes';
  const configured = list(c.identityfile)
    .filter((f) => f !== 'none')
    .map((f) => expand(f, tokens));
  const files = configured.length ? configured : DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k));
  const identityFiles = [
    ...(explicit.key ? [{ path: expand(explicit.key, tokens), explicit: true }] : []),
    ...files.map((path) => ({ path, explicit: false })),
  ];
  const agent = process.env.SSH_AUTH_SOCK;
  const endpoint: SshEndpoint = {
    label: name === host ? host : `${name} (${host})`,
    host,
    port,
    user,
    identityFiles,
    ...(agent && !identitiesOnly ? { agentSocket: agent } : {}),
  };
  if (via) return { ...endpoint, via };
  const jump = first(c.proxyjump);
  if (!jump || jump === 'none') return endpoint;
  // `ProxyJump a,b`: reach a (with a's own config), through it b, through b this host.
  let hop: SshEndpoint | undefined;
  for (const spec of jump.split(',')) {
    const j = parseJump(spec.trim(), name);
    hop = resolve(config, j.host, j.host, { port: j.port, user: j.user }, depth + 1, hop);
  }
  return { ...endpoint, ...(hop ? { via: hop } : {}) };
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]`, host possibly `[v6addr]`. */
export function parseJump(spec: string, name: string): { host: string; port?: number; user?: string } {
  const m = /^(?:ssh:\/\/)?(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec);
  if (!m || !m[2]) throw new UnreachableError(name, `${name}: cannot read ProxyJump ${JSON.stringify(spec)}`);
  const host = m[2].replace(/^\[(.*)\]$/, '$1');
  return { host, ...(m[3] ? { port: Number(m[3]) } : {}), ...(m[1] ? { user: m[1] } : {}) };
}

/** ssh_config's `~` and `%` tokens (%h host, %p port, %r remote user, %u local user, %d home). */
function expand(value: string, tokens: Record<string, string>): string {
  const tilde = value.startsWith('~/') || value === '~' ? homedir() + value.slice(1) : value;
  return tilde.replace(/%([%hprud])/g, (all, t: string) => (t === '%' ? '%' : (tokens[t] ?? all)));
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function toPort(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UnreachableError(name, `${name}: bad Port ${value} in ssh_config`);
  return port;
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}
