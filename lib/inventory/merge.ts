/**
 * Each host's variables, merged the way ansible-core 2.14's VariableManager.get_vars does for a
 * host (default VARIABLE_PRECEDENCE, hash_behaviour=replace: a later layer replaces a whole
 * top-level value, dictionaries are NOT deep-merged). From first (weakest) to last:
 *   1. `all`'s inventory vars
 *   2. inventory vars of the host's other groups, sorted by depth, then ansible_group_priority,
 *      then name (sort_groups)
 *   3. `group_vars/all*` beside each inventory source, source by source
 *   4. `group_vars/<group>*` beside each source: for each source, each group in the order of 2.
 *      So ANY group_vars file beats ANY inventory group var, and with several sources a later
 *      source's weaker group can override an earlier source's stronger one, as in Ansible.
 *   (3 and 4 are followed by the same from the playbook's directory when `playbookDirs` is given.)
 *   5. the host's inventory vars (later lines/files win)
 *   6. `host_vars/<host>*` beside each source (then the playbook's).
 * `varSources` remembers which layer set each final value.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Inventory, InventoryGroup, InventoryHost, VariableSource } from './types.js';
import { sortGroups, type GroupNode, type HostNode, type InventoryBuilder } from './model.js';
import { isHostList, absoluteSource } from './sources.js';
import type { VarsFolders, VarsLayer } from './vars-folders.js';
import { setImplicitLocalhosts } from './localhost.js';
import { pyKindAt, setWithMark } from './python-types.js';
import { LOCALHOST_NAMES } from './patterns.js';

interface Acc {
  vars: Record<string, unknown>;
  sources: Record<string, VariableSource>;
}

function apply(acc: Acc, vars: Record<string, unknown>, sources: Record<string, VariableSource>): void {
  for (const [k, v] of Object.entries(vars)) {
    // Python's `a | b` keeps a's key position: assigning to an existing JS key does the same.
    setWithMark(acc.vars, k, v, pyKindAt(vars, k));
    const s = sources[k];
    if (s) acc.sources[k] = s;
  }
}

function applyLayers(acc: Acc, layers: VarsLayer[]): void {
  for (const l of layers) apply(acc, l.vars, l.sources);
}

/** The directory whose group_vars/host_vars a source uses (get_vars_from_inventory_sources). */
export function varsBasedirs(sources: string[]): string[] {
  const out: string[] = [];
  for (const s of sources) {
    if (!s || isHostList(s)) continue;
    let isDir = false;
    try {
      isDir = fs.statSync(absoluteSource(s)).isDirectory();
    } catch {
      isDir = false;
    }
    // Kept as the user wrote it (relative), so messages naming these files stay short.
    const base = s.startsWith('~') ? absoluteSource(s) : s;
    out.push(isDir ? base : path.dirname(base));
  }
  return out;
}

export function buildInventory(
  b: InventoryBuilder,
  sources: string[],
  folders: VarsFolders,
  playbookDirs: string[] = [],
): Inventory {
  const invDirs = varsBasedirs(sources);
  const all = b.group('all');
  const groupLayers = (dirs: string[], groups: GroupNode[]): VarsLayer[] =>
    dirs.flatMap((d) => groups.flatMap((g) => folders.layers(d, 'group_vars', g.name)));
  const hostLayers = (dirs: string[], h: HostNode): VarsLayer[] =>
    dirs.flatMap((d) => folders.layers(d, 'host_vars', h.name));

  const hosts = new Map<string, InventoryHost>();
  for (const h of b.hosts.values()) {
    const mine = h.allGroups();
    const others = sortGroups([...mine].filter((g) => g !== all));
    const acc: Acc = { vars: {}, sources: {} };
    apply(acc, all.vars, all.varSources);
    for (const g of others) apply(acc, g.vars, g.varSources);
    applyLayers(acc, groupLayers(invDirs, [all]));
    applyLayers(acc, groupLayers(playbookDirs, [all]));
    applyLayers(acc, groupLayers(invDirs, others));
    applyLayers(acc, groupLayers(playbookDirs, others));
    apply(acc, h.vars, h.varSources);
    applyLayers(acc, hostLayers(invDirs, h));
    applyLayers(acc, hostLayers(playbookDirs, h));
    hosts.set(h.name, {
      name: h.name,
      vars: acc.vars,
      varSources: acc.sources,
      groups: [all, ...others].map((g) => g.name),
    });
  }

  const groups = new Map<string, InventoryGroup>();
  for (const g of b.groups.values()) {
    // What `ansible-inventory --graph --vars` shows for a group (_get_group_variables).
    const acc: Acc = { vars: {}, sources: {} };
    apply(acc, g.vars, g.varSources);
    applyLayers(acc, groupLayers(invDirs, [g]));
    if (g.priority !== 1) acc.vars.ansible_group_priority = g.priority;
    groups.set(g.name, {
      name: g.name,
      vars: acc.vars,
      children: g.children.map((c) => c.name),
      hosts: g.hosts.map((x) => x.name),
    });
  }
  const inventory: Inventory = {
    sources: [...sources],
    hosts,
    groups,
    warnings: [...b.warnings, ...folders.warnings],
  };

  // The implicit localhost: `all`'s vars and group_vars/all, then its own, then host_vars/<name>.
  const implicit = new Map<string, InventoryHost>();
  for (const name of LOCALHOST_NAMES) {
    if (b.hosts.has(name)) continue;
    const acc: Acc = { vars: {}, sources: {} };
    apply(acc, all.vars, all.varSources);
    applyLayers(acc, groupLayers(invDirs, [all]));
    applyLayers(acc, groupLayers(playbookDirs, [all]));
    apply(acc, { ansible_connection: 'local' }, { ansible_connection: { file: '(implicit localhost)' } });
    applyLayers(
      acc,
      invDirs.flatMap((d) => folders.layers(d, 'host_vars', name)),
    );
    applyLayers(
      acc,
      playbookDirs.flatMap((d) => folders.layers(d, 'host_vars', name)),
    );
    implicit.set(name, { name, vars: acc.vars, varSources: acc.sources, groups: [] });
  }
  setImplicitLocalhosts(inventory, implicit);
  return inventory;
}
