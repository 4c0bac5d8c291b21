/**
 * Everything decided before any host is touched: which hosts each play targets (pattern ∩
 * --limit), which roles run (--role), each host's connection settings and each role's validated
 * variables. All problems are collected and reported together as one InvalidInputError.
 */
import { InvalidInputError, BadOptionsError } from '../errors.js';
import { roleUse, type Playbook, type Role } from '../define.js';
import { getHost, implicitLocalhost, selectHosts } from '../inventory/index.js';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { ConnectionTarget } from '../transport/types.js';
import { connectionTarget } from './connection-target.js';
import { resolveRoleVars, type VarLayer } from './role-vars.js';
import type { RunOptions } from './run-state.js';

export interface PlannedRole {
  role: Role<any>;
  vars: Record<string, unknown>;
  hostVars: Record<string, unknown>;
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
  const hosts = selectHosts(inventory, pattern).map((n) => getHost(inventory, n)).filter((h): h is InventoryHost => h !== undefined);
  const patterns = [pattern].flat();
  const implicit = !hosts.length && patterns.length === 1 ? implicitLocalhost(inventory, patterns[0]!) : undefined;
  return implicit ? [implicit] : hosts;
}

export async function planRun(playbook: Playbook, playbookFile: string, inventory: Inventory, options: RunOptions): Promise<RunPlan> {
  const errors: string[] = [];
  const targets = new Map<string, ConnectionTarget>();
  const limited = options.limit?.length ? new Set(matchHosts(inventory, options.limit).map((h) => h.name)) : undefined;

  const knownRoles = new Set(playbook.plays.flatMap((p) => p.roles.map((r) => roleUse(r).role.name)));
  for (const name of options.roles ?? []) {
    if (!knownRoles.has(name)) throw new BadOptionsError(`--role ${name}: no such role in ${playbookFile} (roles: ${[...knownRoles].join(', ') || 'none'})`);
  }

  const plays: PlannedPlay[] = [];
  for (const [index, play] of playbook.plays.entries()) {
    const name = play.name ?? `play #${index + 1} (${play.hosts})`;
    const uses = play.roles.map(roleUse).filter((u) => !options.roles?.length || options.roles.includes(u.role.name));
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
          { label: `${playbookFile} (play "${name}" vars)`, values: play.vars ?? {}, where: { file: playbookFile } },
          { label: `${playbookFile} (role ${use.role.name} vars in play "${name}")`, values: use.vars ?? {}, where: { file: playbookFile } },
          { label: '--extra-vars', values: options.extraVars },
        ];
        try {
          const { vars, all } = await resolveRoleVars(use.role, host.name, layers);
          roles.push({ role: use.role, vars, hostVars: all, outerTags: [...(play.tags ?? []), ...(use.tags ?? [])] });
        } catch (error) {
          if (!(error instanceof InvalidInputError)) throw error;
          errors.push(error.message);
        }
      }
      planned.hosts.push({ name: host.name, roles });
    }
    plays.push(planned);
  }
  if (errors.length) throw new InvalidInputError([...new Set(errors)].join('\n'));
  return { plays, targets };
}
