/**
 * Everything decided before any host is touched: which hosts each play targets (pattern ∩
 * --limit), which roles run (--role), each host's connection settings and each role's validated
 * variables. All problems are collected and reported together as one InvalidInputError.
 */
import { InvalidInputError, BadOptionsError, type SourceLocation } from '../errors.js';
import { roleUse, type Playbook, type Role } from '../define.js';
import { getHost, implicitLocalhost, selectHosts } from '../inventory/index.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { ConnectionTarget } from '../transport/types.js';
import { connectionTarget } from './connection-target.js';
import { resolveRoleVars, type VarLayer } from './role-vars.js';
import { attachSite, planSite } from '../site/index.js';
import type { RunOptions } from './run-state.js';

export interface PlannedRole {
  role: Role<any>;
  vars: Record<string, unknown>;
  hostVars: Record<string, unknown>;
  /** Variables of the hosts this role references through its `hostRefs` (host name → declared vars). */
  refVars: Record<string, Record<string, unknown>>;
  outerTags: string[];
}

export interface PlannedPlay {
  name: string;
  pattern: string;
  hosts: { name: string; roles: PlannedRole[] }[];
}

export interface RunPlan {
  plays: PlannedPlay[];
  targets: Map<string, ConnectionTarget>;
}

/** The hosts a pattern selects, in Ansible's order; Ansible's implicit localhost included. */
export function matchHosts(inventory: Inventory, pattern: string | string[]): InventoryHost[] {
  const hosts = selectHosts(inventory, pattern)
    .map((n) => getHost(inventory, n))
    .filter((h): h is InventoryHost => h !== undefined);
  const patterns = [pattern].flat();
  const implicit =
    !hosts.length && patterns.length === 1 ? implicitLocalhost(inventory, patterns[0]!) : undefined;
  return implicit ? [implicit] : hosts;
}

export async function planRun(
  playbook: Playbook,
  playbookFile: string,
  inventory: Inventory,
  options: RunOptions,
): Promise<RunPlan> {
  const errors: string[] = [];
  const wheres = new Map<string, SourceLocation>(); // message → where, for a single error's location
  const targets = new Map<string, ConnectionTarget>();
  const limited = options.limit?.length
    ? new Set(matchHosts(inventory, options.limit).map((h) => h.name))
    : undefined;

  const knownRoles = new Set(playbook.plays.flatMap((p) => p.roles.map((r) => roleUse(r).role.name)));
  for (const name of options.roles ?? []) {
    if (!knownRoles.has(name))
      throw new BadOptionsError(
        `--role ${name}: no such role in ${playbookFile} (roles: ${[...knownRoles].join(', ') || 'none'})`,
      );
  }

  // The site model (site_users and the site's addresses): built and checked once, for siteOf(ctx).
  const runHosts = playbook.plays.flatMap((p) => matchHosts(inventory, p.hosts));
  const { site, problems } = await planSite(
    inventory,
    runHosts.filter((h) => !limited || limited.has(h.name)),
  );
  errors.push(...problems);

  const plays: PlannedPlay[] = [];
  const refCache = new Map<string, Promise<Record<string, unknown> | undefined>>();
  for (const [index, play] of playbook.plays.entries()) {
    const name = play.name ?? `play #${index + 1} (${play.hosts})`;
    const uses = play.roles
      .map(roleUse)
      .filter((u) => !options.roles?.length || options.roles.includes(u.role.name));
    const hosts = matchHosts(inventory, play.hosts).filter((h) => !limited || limited.has(h.name));
    const planned: PlannedPlay = { name, pattern: play.hosts, hosts: [] };
    for (const host of hosts) {
      try {
        if (!targets.has(host.name)) targets.set(host.name, connectionTarget(host));
      } catch (error) {
        errors.push((error as Error).message);
      }
      const roles: PlannedRole[] = [];
      for (const use of uses) {
        const layers: VarLayer[] = [
          { label: 'inventory', values: host.vars, sources: host.varSources },
          {
            label: `${playbookFile} (play "${name}" vars)`,
            values: play.vars ?? {},
            where: { file: playbookFile },
          },
          {
            label: `${playbookFile} (role ${use.role.name} vars in play "${name}")`,
            values: use.vars ?? {},
            where: { file: playbookFile },
          },
          { label: '--extra-vars', values: options.extraVars },
        ];
        try {
          const { vars, all } = await resolveRoleVars(use.role, host.name, layers);
          attachSite(all, site);
          for (const problem of use.role.check?.({ vars, host: host.name, site }) ?? []) {
            const text = problem instanceof Error ? problem.message : problem;
            errors.push(`host ${host.name}, role ${use.role.name}: ${text}`);
          }
          const refVars = await referencedVars(use.role, host, all, inventory, options, refCache, errors);
          roles.push({
            role: use.role,
            vars,
            hostVars: all,
            refVars,
            outerTags: [...(play.tags ?? []), ...(use.tags ?? [])],
          });
        } catch (error) {
          if (!(error instanceof InvalidInputError)) throw error;
          errors.push(error.message);
          wheres.set(error.message, error.where);
        }
      }
      planned.hosts.push({ name: host.name, roles });
    }
    plays.push(planned);
  }
  const unique = [...new Set(errors)];
  if (unique.length)
    throw new InvalidInputError(unique.join('\n'), unique.length === 1 ? wheres.get(unique[0]!) : {});
  return { plays, targets };
}

const refRoles = new WeakMap<object, Role<any>>();

/**
 * The variables a role reads from other hosts (its `hostRefs`, Ansible's `hostvars`): for each
 * reference variable naming a host, that host's inventory variables (and --extra-vars, which
 * Ansible's hostvars include too) checked against the reference's schema. Each host and schema
 * is checked once per run, so one bad value on the Proxmox server is one message, not one per VM.
 */
async function referencedVars(
  role: Role<any>,
  host: InventoryHost,
  all: Record<string, unknown>,
  inventory: Inventory,
  options: RunOptions,
  cache: Map<string, Promise<Record<string, unknown> | undefined>>,
  errors: string[],
): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [variable, schema] of Object.entries(role.hostRefs ?? {})) {
    const name = all[variable];
    if (name === undefined) continue; // the role's own schema says whether it is required
    const target = typeof name === 'string' ? getHost(inventory, name) : undefined;
    if (!target) {
      const source = host.varSources[variable];
      const at = source ? `${source.file}${source.line !== undefined ? `:${source.line}` : ''}: ` : '';
      errors.push(
        `${at}host ${host.name}, role ${role.name}: variable ${variable} must name a host of the inventory, got ${JSON.stringify(name)}`,
      );
      continue;
    }
    let refRole = refRoles.get(schema);
    if (!refRole)
      refRoles.set(
        schema,
        (refRole = { name: role.name, vars: schema, definedAt: role.definedAt } as Role<any>),
      );
    const key = `${target.name}\0${role.name}\0${variable}`;
    let pending = cache.get(key);
    if (!pending) {
      pending = resolveRoleVars(refRole, `${target.name} (read through ${variable})`, [
        { label: 'inventory', values: target.vars, sources: target.varSources },
        { label: '--extra-vars', values: options.extraVars },
      ]).then(
        (r) => r.vars,
        (error) => {
          if (!(error instanceof InvalidInputError)) throw error;
          errors.push(error.message);
          return undefined;
        },
      );
      cache.set(key, pending);
    }
    const vars = await pending;
    if (vars) out[target.name] = { ...out[target.name], ...vars };
  }
  return out;
}
