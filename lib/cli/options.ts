/**
 * Command-line options of `playbook`, with Ansible's names and meanings. Parsing only: what they
 * do lives in the runner.
 */
import { parseArgs } from 'node:util';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BadOptionsError } from '../errors.js';
import type { TagFilter } from '../runner/tags.js';
import { optionsError } from './unknown-option.js';

export interface CliOptions {
  playbook?: string;
  inventory: string[];
  limit: string[];
  forks: number;
  roles: string[];
  tags: TagFilter;
  check: boolean;
  diff: boolean;
  extraVars: string[];
  listHosts: boolean;
  listTasks: boolean;
  json: boolean;
  verbose: number;
  profile: boolean;
  acceptNewHostKeys: boolean;
  knownHosts?: string;
  sshConfig?: string;
  timeoutSeconds: number;
  /** --vault-password-file, repeatable (as in Ansible). */
  vaultPasswordFiles: string[];
  /** --vault-id [LABEL@]SOURCE, repeatable (as in Ansible). */
  vaultIds: string[];
  /** -J/--ask-vault-pass. */
  askVaultPass: boolean;
  /** --vault FILE: the secrets vault (default secrets.vault beside the inventory). */
  vault?: string;
  /** --last-failed: only the hosts that failed or were unreachable in the last run. */
  lastFailed: boolean;
  /** --runs-dir DIR: where run records go (default .novastation/runs beside the inventory). */
  runsDir?: string;
  /** --lock-timeout SECONDS: wait this long for another run's site lock (default 0: stop at once). */
  lockTimeoutSeconds: number;
  /** --no-lock: run without the site lock (read-only runs only: --check). */
  noLock: boolean;
  help: boolean;
  version: boolean;
}

const DEFAULT_FORKS = 64;

export const PLAYBOOK_USAGE = 'Usage: playbook [options] PLAYBOOK.ts';

const PLAYBOOK_OPTIONS = {
  inventory: { type: 'string', short: 'i', multiple: true },
  limit: { type: 'string', short: 'l', multiple: true },
  forks: { type: 'string', short: 'f' },
  role: { type: 'string', short: 'r', multiple: true },
  tags: { type: 'string', short: 't', multiple: true },
  'skip-tags': { type: 'string', multiple: true },
  check: { type: 'boolean', short: 'C' },
  diff: { type: 'boolean', short: 'D' },
  'extra-vars': { type: 'string', short: 'e', multiple: true },
  'list-hosts': { type: 'boolean' },
  'list-tasks': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
  profile: { type: 'boolean' },
  'accept-new-host-keys': { type: 'boolean' },
  'known-hosts': { type: 'string' },
  'ssh-config': { type: 'string' },
  timeout: { type: 'string', short: 'T' },
  'vault-password-file': { type: 'string', multiple: true },
  'vault-id': { type: 'string', multiple: true },
  'ask-vault-pass': { type: 'boolean', short: 'J' },
  'ask-vault-password': { type: 'boolean' },
  vault: { type: 'string' },
  'last-failed': { type: 'boolean' },
  'runs-dir': { type: 'string' },
  'lock-timeout': { type: 'string' },
  'no-lock': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

export function parseCli(argv: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: PLAYBOOK_OPTIONS,
    });
  } catch (error) {
    throw optionsError(error, PLAYBOOK_OPTIONS, PLAYBOOK_USAGE);
  }
  const v = parsed.values;
  if (parsed.positionals.length > 1)
    throw new BadOptionsError(`one playbook at a time, got: ${parsed.positionals.join(' ')}`);
  const forks = v.forks === undefined ? DEFAULT_FORKS : Number(v.forks);
  if (!Number.isInteger(forks) || forks < 1)
    throw new BadOptionsError(`--forks must be a positive integer, got ${v.forks}`);
  const timeoutSeconds = v.timeout === undefined ? 10 : Number(v.timeout);
  if (!(timeoutSeconds > 0))
    throw new BadOptionsError(`--timeout must be a positive number of seconds, got ${v.timeout}`);
  const lockTimeoutSeconds = v['lock-timeout'] === undefined ? 0 : Number(v['lock-timeout']);
  if (!(lockTimeoutSeconds >= 0))
    throw new BadOptionsError(`--lock-timeout must be a number of seconds, got ${v['lock-timeout']}`);
  if (v['no-lock'] && !v.check && !v['list-hosts'] && !v['list-tasks'])
    throw new BadOptionsError(
      '--no-lock is for read-only runs (--check): a run that changes hosts always takes the site lock',
    );
  const list = (values: string[] | undefined) =>
    (values ?? [])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
  return {
    ...(parsed.positionals[0] ? { playbook: parsed.positionals[0] } : {}),
    inventory: v.inventory ?? [],
    limit: v.limit ?? [],
    forks,
    roles: list(v.role),
    tags: { only: list(v.tags), skip: list(v['skip-tags']) },
    check: Boolean(v.check),
    diff: Boolean(v.diff),
    extraVars: v['extra-vars'] ?? [],
    listHosts: Boolean(v['list-hosts']),
    listTasks: Boolean(v['list-tasks']),
    json: Boolean(v.json),
    verbose: v.verbose?.length ?? 0,
    profile: Boolean(v.profile),
    acceptNewHostKeys: Boolean(v['accept-new-host-keys']),
    ...(v['known-hosts'] ? { knownHosts: v['known-hosts'] } : {}),
    ...(v['ssh-config'] ? { sshConfig: v['ssh-config'] } : {}),
    timeoutSeconds,
    vaultPasswordFiles: v['vault-password-file'] ?? [],
    vaultIds: v['vault-id'] ?? [],
    askVaultPass: Boolean(v['ask-vault-pass'] || v['ask-vault-password']),
    ...(v.vault ? { vault: v.vault } : {}),
    lastFailed: Boolean(v['last-failed']),
    ...(v['runs-dir'] ? { runsDir: v['runs-dir'] } : {}),
    lockTimeoutSeconds,
    noLock: Boolean(v['no-lock']),
    help: Boolean(v.help),
    version: Boolean(v.version),
  };
}

/** ANSIBLE_HOST_KEY_CHECKING=False (any of Ansible's false spellings) turns checking off. */
export function hostKeyCheckingFromEnv(env: NodeJS.ProcessEnv): boolean {
  const value = env.ANSIBLE_HOST_KEY_CHECKING;
  return value === undefined || !/^(false|no|off|0|n)$/i.test(value.trim());
}

export function defaultKnownHosts(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}
