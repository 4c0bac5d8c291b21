/**
 * `playbook sessions`: the audit of desktop sessions — who connected to which VM, when, from
 * which address and for how long — from the connection history of the gateway's Guacamole
 * (beside `playbook history`, which lists NovaStation's own runs).
 *
 *   playbook sessions [-i INVENTORY] [--gateway HOST] [--since WHEN] [--until WHEN] [--user LOGIN]... [--json]
 *
 * The webapp is reached and logged into as the guacamole role does (gateway-webapp.ts). The whole
 * history in the range is read past the REST API's 1,000-record cap by narrowing on the server
 * (lib/guacamole/sessions.ts); a day that held more sessions than can be read is named on stderr
 * and in the JSON (`complete: false`), never dropped in silence.
 */
import { parseArgs } from 'node:util';
import { BadOptionsError, ExitCode } from '../errors.js';
import { sessionHistory } from '../guacamole/sessions.js';
import { openGatewayWebapp } from './gateway-webapp.js';
import { defaultKnownHosts, hostKeyCheckingFromEnv } from './options.js';
import { parseWhen, sessionsTable, toSession } from './sessions-report.js';
import { optionsError } from './unknown-option.js';

export const SESSIONS_HELP = `usage: playbook sessions [-i INVENTORY] [--gateway HOST] [--since WHEN] [--until WHEN]
                         [--user LOGIN]... [--json] [vault and connection options]

Desktop sessions from the connection history of the gateway's Guacamole: who connected to which
VM, when, from which address, for how long; newest first. The webapp is reached and logged into
as the guacamole role does it (its guacamole_url, TLS pin and the site's Guacamole administrator;
a loopback URL through an SSH port forward to the gateway). The whole history in the range is
read, past the REST API's 1,000-record cap, by asking per year, month and day; a day with more
sessions than can be read is named on stderr (and in --json as complete: false).

  -i, --inventory INV       the inventory (default inventory/site.yml); repeatable
      --gateway HOST        the host running Guacamole (default: the one host of group gateway)
      --since WHEN          sessions that started at or after WHEN
      --until WHEN          sessions that started before WHEN (a bare date: up to the end of it)
                            WHEN: 2026-03-01 (local midnight), 2026-03-01T14:00, or an age: 12h, 7d, 2w
  -u, --user LOGIN          only this user's sessions (repeatable)
      --json                one JSON document on one line: the range, complete, incompleteDays, sessions
                            (ISO times in UTC, durationSeconds)
      --vault FILE, --vault-password-file FILE, --vault-id ID, -J/--ask-vault-pass   as for a run
      --known-hosts FILE, --accept-new-host-keys, --ssh-config FILE, -T/--timeout SECS   as for a run
`;

const SESSIONS_OPTIONS = {
  inventory: { type: 'string', short: 'i', multiple: true },
  gateway: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  user: { type: 'string', short: 'u', multiple: true },
  json: { type: 'boolean' },
  vault: { type: 'string' },
  'vault-password-file': { type: 'string', multiple: true },
  'vault-id': { type: 'string', multiple: true },
  'ask-vault-pass': { type: 'boolean', short: 'J' },
  'known-hosts': { type: 'string' },
  'accept-new-host-keys': { type: 'boolean' },
  'ssh-config': { type: 'string' },
  timeout: { type: 'string', short: 'T' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function sessionsCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: false, strict: true, options: SESSIONS_OPTIONS });
  } catch (error) {
    throw optionsError(
      error,
      SESSIONS_OPTIONS,
      'usage: playbook sessions [-i INVENTORY] [--since WHEN] [--until WHEN] [--user LOGIN] [--json]',
    );
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(SESSIONS_HELP);
    return ExitCode.ok;
  }
  const now = Date.now();
  const since = v.since === undefined ? undefined : parseWhen('--since', v.since, now);
  const until = v.until === undefined ? undefined : parseWhen('--until', v.until, now, true);
  if (since !== undefined && until !== undefined && since >= until)
    throw new BadOptionsError(`--since ${v.since} is not before --until ${v.until}`);
  const timeoutSeconds = v.timeout === undefined ? 10 : Number(v.timeout);
  if (!(timeoutSeconds > 0))
    throw new BadOptionsError(`--timeout must be a positive number of seconds, got ${v.timeout}`);
  const users = v.user?.length ? new Set(v.user) : undefined;

  const webapp = await openGatewayWebapp({
    inventory: v.inventory ?? ['inventory/site.yml'],
    ...(v.gateway ? { gateway: v.gateway } : {}),
    secrets: {
      ...(v.vault ? { vault: v.vault } : {}),
      passwordFiles: v['vault-password-file'] ?? [],
      vaultIds: v['vault-id'] ?? [],
      ask: Boolean(v['ask-vault-pass']),
    },
    ssh: {
      knownHostsFile: v['known-hosts'] ?? defaultKnownHosts(),
      acceptNewHostKeys: Boolean(v['accept-new-host-keys']),
      hostKeyChecking: hostKeyCheckingFromEnv(process.env),
      ...(v['ssh-config'] ? { sshConfigFile: v['ssh-config'] } : {}),
      connectTimeoutMs: timeoutSeconds * 1000,
    },
    log: (line) => process.stderr.write(`${line}\n`),
  });
  let history;
  try {
    history = await sessionHistory(webapp.client, {
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
    });
  } finally {
    await webapp.close();
  }
  const sessions = history.records
    .filter((r) => !users || users.has(r.username))
    .map((r) => toSession(r, now));
  const complete = history.incompleteDays.length === 0;
  if (!complete)
    process.stderr.write(
      `[WARNING]: Guacamole holds more sessions than its API returns (2,000 a day at most) on ${history.incompleteDays.join(', ')}: some of those days' sessions are missing; read guacamole_connection_history in the gateway's PostgreSQL for them\n`,
    );
  if (v.json) {
    const doc = {
      gateway: webapp.gateway,
      since: since === undefined ? null : new Date(since).toISOString(),
      until: until === undefined ? null : new Date(until).toISOString(),
      users: users ? [...users] : null,
      complete,
      incompleteDays: history.incompleteDays,
      sessions,
    };
    await print(`${JSON.stringify(doc)}\n`);
  } else if (!sessions.length) {
    process.stderr.write(
      `no sessions in Guacamole's history on ${webapp.gateway}${since !== undefined || until !== undefined || users ? ' for these filters' : ''}\n`,
    );
  } else {
    await print(sessionsTable(sessions));
  }
  return ExitCode.ok;
}

/** Written before main() exits the process: a large report to a pipe is not cut short. */
function print(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (error) => (error ? reject(error) : resolve())),
  );
}
