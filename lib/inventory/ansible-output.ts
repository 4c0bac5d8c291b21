/**
 * What `ansible-inventory` 2.14 prints (cli/inventory.py):
 * - `--list` (json_inventory): every non-empty group as `{hosts: [direct hosts], children: [...]}`
 *   (`all` without hosts), walked from `all` child by child, plus `_meta.hostvars` for hosts that
 *   have variables;
 * - `--host NAME`: the host's merged variables;
 * - `--graph [GROUP] [--vars]`: the `@group:` / `  |--` tree, children before hosts, group vars
 *   after its hosts, values printed with Python's `str()`.
 * Ansible's internal variables (`inventory_file`, `inventory_dir`, `group_names`, ...) are left out,
 * as INTERNAL_VARS does. With a limit (the `--limit` of newer ansible-inventory versions; 2.14 has
 * none) `--list` keeps only the limited hosts and drops groups left empty; `--graph` shows only
 * the limited hosts too (newer Ansible does not filter the graph; we think it should).
 */
import { InvalidInputError } from '../errors.js';
import type { Inventory, InventoryGroup } from './types.js';
import { getHost } from './localhost.js';
import { selectHosts, type SelectOptions } from './patterns.js';
import { pyCompare } from './model.js';
import { pyStr } from './python-format.js';
import { pyKindAt, setWithMark } from './python-types.js';

export const INTERNAL_VARS = new Set([
  'ansible_diff_mode',
  'ansible_config_file',
  'ansible_facts',
  'ansible_forks',
  'ansible_inventory_sources',
  'ansible_limit',
  'ansible_playbook_python',
  'ansible_run_tags',
  'ansible_skip_tags',
  'ansible_verbosity',
  'ansible_version',
  'inventory_dir',
  'inventory_file',
  'inventory_hostname',
  'inventory_hostname_short',
  'groups',
  'group_names',
  'omit',
  'playbook_dir',
]);

function withoutInternal(vars: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars))
    if (!INTERNAL_VARS.has(k)) setWithMark(out, k, v, pyKindAt(vars, k));
  return out;
}

/** `ansible-inventory --host NAME` (an exact name; the CLI resolves patterns first). */
export function inventoryHostVars(inv: Inventory, name: string): Record<string, unknown> {
  const host = getHost(inv, name);
  if (!host) throw new InvalidInputError(`no host named "${name}" in the inventory`);
  return withoutInternal(host.vars);
}

function availableHosts(inv: Inventory, options: SelectOptions): Set<string> {
  // get_hosts('all') with the subset applied; the implicit localhost is never part of `all`.
  return new Set(selectHosts(inv, 'all', options).filter((h) => inv.hosts.has(h)));
}

function group(inv: Inventory, name: string): InventoryGroup {
  const g = inv.groups.get(name);
  if (!g) throw new InvalidInputError(`no group named "${name}" in the inventory`);
  return g;
}

/** `ansible-inventory --list` as a value (serialise with `pythonJson` to get Ansible's bytes). */
export function inventoryToList(inv: Inventory, options: SelectOptions = {}): Record<string, unknown> {
  const available = availableHosts(inv, options);
  const seen = new Set<string>();
  const formatGroup = (g: InventoryGroup): Record<string, unknown> => {
    const results: Record<string, unknown> = {};
    const entry: Record<string, unknown> = {};
    results[g.name] = entry;
    if (g.name !== 'all') entry.hosts = g.hosts.filter((h) => available.has(h));
    const children: string[] = [];
    entry.children = children;
    for (const c of g.children) {
      children.push(c);
      if (!seen.has(c)) {
        Object.assign(results, formatGroup(group(inv, c)));
        seen.add(c);
      }
    }
    for (const k of ['hosts', 'vars', 'children']) {
      const v = entry[k];
      if (Array.isArray(v) && v.length === 0) delete entry[k];
    }
    if (!Object.keys(entry).length) delete results[g.name];
    return results;
  };
  const results = formatGroup(group(inv, 'all'));
  const hostvars: Record<string, unknown> = {};
  for (const name of available) {
    const vars = inventoryHostVars(inv, name);
    if (Object.keys(vars).length) hostvars[name] = vars;
  }
  results._meta = { hostvars };
  return results;
}

function graphName(name: string, depth: number): string {
  return depth ? '  |'.repeat(depth) + '--' + name : name;
}

function showVars(vars: Record<string, unknown>, depth: number): string[] {
  return Object.keys(vars)
    .sort(pyCompare)
    .map((k) => graphName(`{${k} = ${pyStr(vars[k], pyKindAt(vars, k))}}`, depth));
}

/** `ansible-inventory --graph [GROUP] [--vars]`, without the final newline. */
export function inventoryGraph(
  inv: Inventory,
  groupName = 'all',
  withVars = false,
  options: SelectOptions = {},
): string {
  const start = inv.groups.get(groupName);
  if (!start) throw new InvalidInputError(`--graph needs a group name, and there is no group "${groupName}"`);
  const limited =
    options.limit !== undefined &&
    (Array.isArray(options.limit) ? options.limit.length > 0 : !!options.limit);
  const available = limited ? availableHosts(inv, options) : undefined;
  const walk = (g: InventoryGroup, depth: number): string[] => {
    const out = [graphName(`@${g.name}:`, depth)];
    const d = depth + 1;
    for (const c of g.children) out.push(...walk(group(inv, c), d));
    if (g.name !== 'all') {
      for (const h of g.hosts) {
        if (available && !available.has(h)) continue;
        out.push(graphName(h, d));
        if (withVars) out.push(...showVars(inventoryHostVars(inv, h), d + 1));
      }
    }
    if (withVars) out.push(...showVars(withoutInternal(g.vars), d));
    return out;
  };
  return walk(start, 0).join('\n');
}

/** For `--host PATTERN`: Ansible resolves it as a pattern that must give exactly one host. */
export function singleHost(inv: Inventory, pattern: string): string | undefined {
  const hosts = selectHosts(inv, pattern);
  return hosts.length === 1 ? hosts[0] : undefined;
}
