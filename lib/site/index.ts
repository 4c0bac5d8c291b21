/**
 * The site model's public API, for every role that deals with the site's people:
 *
 *   import { siteOf, usersOf } from '../../lib/site/index.js';
 *   const site = siteOf(ctx);                        // built once per run, validated before any host
 *   for (const user of usersOf(site, ctx.inventoryHost)) …   // this VM's users, every state
 *   site.gatewayAddresses, site.adminNetworks        // for firewall rules
 *
 * Planning (lib/runner/run-plan.ts) calls `planSite` once per run: it builds the model from the
 * inventory and returns its problems (exit 4, nothing touched); the model is then attached to the
 * variables of every planned role, which is how `siteOf(ctx)` finds it.
 */
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { buildSite } from './build.js';
import type { SiteModel, SiteUser } from './types.js';

export type { SiteModel, SiteUser, SiteVm, SiteUserState, VmOs } from './types.js';
export { buildSite } from './build.js';
export { siteVarsSchema, siteUserSchema } from './schema.js';
export { loginNameProblem, LOGIN_NAME_PATTERN } from './login-name.js';
export { addressProblem, addressFamily } from './addresses.js';

const byHostVars = new WeakMap<object, SiteModel>();
/** The last planned run's model: a fallback for a context whose hostVars were copied. */
let lastPlanned: SiteModel | undefined;

/**
 * Builds the run's site model from the inventory (the site variables as the run's first host
 * sees them: they are `all` vars, resolved with its secrets) and lists its problems.
 */
export async function planSite(
  inventory: Inventory,
  runHosts: readonly InventoryHost[],
): Promise<{ site: SiteModel; problems: string[] }> {
  const siteHost = runHosts.find((h) => h.vars.site_users !== undefined) ?? runHosts[0];
  const { site, problems } = await buildSite(inventory, siteHost);
  lastPlanned = site;
  return { site, problems };
}

/** Makes `siteOf(ctx)` find `site` for a role whose `ctx.hostVars` is `hostVars`. */
export function attachSite(hostVars: object, site: SiteModel): void {
  byHostVars.set(hostVars, site);
}

/** The run's site model (built and validated once, before any host was touched). */
export function siteOf(ctx: { hostVars: object }): SiteModel {
  const site = byHostVars.get(ctx.hostVars) ?? lastPlanned;
  if (!site)
    throw new Error('siteOf: no site model: the run was not planned by planRun (lib/runner/run-plan.ts)');
  return site;
}

/** The users assigned to the VM `hostName`, in every state (present, disabled, absent), map order. */
export function usersOf(site: SiteModel, hostName: string): SiteUser[] {
  return site.users.filter((u) => u.vms.includes(hostName));
}
