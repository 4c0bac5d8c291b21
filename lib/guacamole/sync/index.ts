/**
 * The sync: Guacamole's users, user groups, connections, connection groups and permissions kept
 * equal to the site model — read once, plan (plan.ts), and in check mode stop there; otherwise
 * send exactly the planned writes, in order.
 *
 * Logging in: as the site's administrator (`options.admin`); if the webapp refuses that, as the
 * default administrator of a fresh database (`guacadmin`/`guacadmin`), which the plan then
 * replaces: the administrator is created (or its password set again) first, the sync logs in as
 * it, and the default account is deleted (or disabled) at the end of the same run.
 */
import type { SiteModel } from '../../site/types.js';
import { GuacamoleApiError, GuacamoleLoginError, GuacamoleTlsError } from '../errors.js';
import type { GuacamoleClient } from '../client.js';
import { readCurrent, type Current } from './current.js';
import { desiredState } from './desired.js';
import { planSync, type Ids } from './plan.js';
import type { SyncOptions } from './options.js';

export { checkSite, desiredState, rdpParameters } from './desired.js';
export { DEFAULT_RDP } from './options.js';
export type { SyncOptions, RdpOptions, CertPolicy, Clipboard } from './options.js';

export interface SyncResult {
  changed: boolean;
  /** Check mode only: the webapp could not be reached (not deployed yet), so the plan is the one for a fresh database. */
  unreachable?: string;
  /** One line per write (planned in check mode, sent otherwise), in order. */
  changes: string[];
  /** NovaStation's objects the site no longer lists, kept because prune is off. */
  stale: string[];
  /** Who the sync logged in as first. */
  loggedInAs: string;
}

/** Objects with the names the site wants but not made by NovaStation: nothing was written. */
export class GuacamoleSyncConflict extends Error {
  constructor(readonly conflicts: string[]) {
    super(
      `Guacamole: ${conflicts.join('; ')}. NovaStation never changes objects it did not create: rename or remove them, or add the attribute "novastation" to adopt them (see README)`,
    );
    this.name = 'GuacamoleSyncConflict';
  }
}

/**
 * Check mode when the webapp is not there yet (its stack is deployed by the same run): the plan a
 * real run would make against a fresh database, where only the default admin exists.
 */
export function planAgainstFreshDatabase(model: SiteModel, options: SyncOptions, why: string): SyncResult {
  const desired = desiredState(model, options);
  const fresh = options.defaultAdmin.username;
  const current: Current = {
    users: new Map([[fresh, { username: fresh, attributes: {}, managed: false }]]),
    userGroups: new Map(),
    groups: new Map(),
    foreignGroups: [],
    connections: new Map(),
    foreignConnections: [],
  };
  const plan = planSync(desired, current, options);
  return {
    changed: true,
    changes: plan.writes.map((w) => w.line),
    stale: [],
    loggedInAs: '',
    unreachable: why,
  };
}

/** Nothing answered at all (refused, no route, lost before an answer): not a TLS refusal. */
function unreachable(error: unknown): boolean {
  return (
    error instanceof GuacamoleApiError && error.status === 0 && !(error.cause instanceof GuacamoleTlsError)
  );
}

export async function syncGuacamole(
  client: GuacamoleClient,
  model: SiteModel,
  options: SyncOptions,
): Promise<SyncResult> {
  const desired = desiredState(model, options);
  const admin = model.users.find((u) => u.login === options.admin)!;
  const adminCredentials = { username: admin.login, password: admin.password! };
  let asDefault = false;
  try {
    await client.login(adminCredentials);
  } catch (error) {
    if (options.check && unreachable(error))
      return planAgainstFreshDatabase(model, options, (error as Error).message);
    if (!(error instanceof GuacamoleLoginError)) throw error;
    try {
      await client.login({
        username: options.defaultAdmin.username,
        password: options.defaultAdmin.password,
      });
      asDefault = true;
      options.log?.(
        `guacamole: ${admin.login} cannot log in yet; working as ${options.defaultAdmin.username} until it can`,
      );
    } catch (second) {
      if (!(second instanceof GuacamoleLoginError)) throw second;
      throw new GuacamoleLoginError(admin.login, {
        status: 403,
        method: 'POST',
        path: '/api/tokens',
        message: `neither ${admin.login} (guacamole_admin) nor the default ${options.defaultAdmin.username} can log in: check the password of ${admin.login}`,
      });
    }
  }
  const loggedInAs = client.username ?? '';
  const current = await readCurrent(
    client,
    desired.users.map((u) => u.login),
  );
  const plan = planSync(desired, current, options, asDefault && current.users.has(admin.login));
  if (plan.conflicts.length) throw new GuacamoleSyncConflict(plan.conflicts);
  const result = {
    changed: plan.writes.length > 0,
    changes: plan.writes.map((w) => w.line),
    stale: plan.stale,
    loggedInAs,
  };
  if (options.check) return result;

  const made = new Map<string, string>();
  const ids: Ids = {
    connection: (vm) => made.get(`vm:${vm}`) ?? current.connections.get(`vm:${vm}`)!.identifier,
    group: (mark) => made.get(mark) ?? current.groups.get(mark)!.identifier,
    remember: (mark, identifier) => void made.set(mark, identifier),
  };
  let sent = 0;
  try {
    for (const write of plan.writes) {
      if (asDefault && !write.account) {
        await client.login(adminCredentials);
        asDefault = false;
      }
      await write.send(client, ids);
      sent++;
    }
  } catch (error) {
    const done = plan.writes.slice(0, sent).map((w) => w.line);
    (error as Error).message +=
      ` (after ${sent} of ${plan.writes.length} writes${done.length ? `: ${done.join('; ')}` : ''}; a rerun carries on)`;
    throw error;
  }
  return result;
}
