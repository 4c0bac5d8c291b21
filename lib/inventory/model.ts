/**
 * The inventory while it is being read: a port of ansible-core 2.14's InventoryData, Group and Host
 * (`inventory/data.py`, `group.py`, `host.py`) with the same rules, because the order things are
 * added in decides the output:
 * - `all` and `ungrouped` always exist, `ungrouped` being `all`'s first child;
 * - a group's `depth` is raised as it gets parents (`add_child_group`, `_check_children_depth`) and
 *   orders group variables later (depth, then `ansible_group_priority`, then name);
 * - adding a child that is already an ancestor is refused (a cycle);
 * - `ansible_group_priority` is not a variable but sets the group's priority (`int(value)`);
 * - a host's port (`h1:2222`) becomes `ansible_port` only when the host is first created;
 * - each new host gets `inventory_file` / `inventory_dir` (the source it was first seen in);
 * - `reconcile` (after all sources) puts parentless groups under `all`, hosts with no group in
 *   `ungrouped`, and takes out of `ungrouped` hosts that have another group.
 * Every error is an InvalidInputError naming where the offending declaration was.
 */
import * as path from 'node:path';
import { InvalidInputError } from '../errors.js';
import type { VariableSource } from './types.js';
import { setWithMark, type PyKind } from './python-types.js';

/** Python compares str by code point; so do we (matters only for astral characters). */
export function pyCompare(a: string, b: string): number {
  if (a === b) return 0;
  const ai = [...a];
  const bi = [...b];
  for (let i = 0; i < Math.min(ai.length, bi.length); i++) {
    const x = (ai[i] as string).codePointAt(0) as number;
    const y = (bi[i] as string).codePointAt(0) as number;
    if (x !== y) return x - y;
  }
  return ai.length - bi.length;
}

export class GroupNode {
  depth = 0;
  priority = 1;
  readonly hosts: HostNode[] = [];
  /** Membership test for `hosts` (Group.host_names): large ranges make `includes` quadratic. */
  readonly hostSet = new Set<HostNode>();
  readonly children: GroupNode[] = [];
  readonly parents: GroupNode[] = [];
  readonly vars: Record<string, unknown> = {};
  readonly varSources: Record<string, VariableSource> = {};
  constructor(readonly name: string) {}

  ancestors(): Set<GroupNode> {
    const seen = new Set<GroupNode>();
    const todo = [...this.parents];
    while (todo.length) {
      const g = todo.pop() as GroupNode;
      if (seen.has(g)) continue;
      seen.add(g);
      todo.push(...g.parents);
    }
    return seen;
  }
}

export class HostNode {
  readonly vars: Record<string, unknown> = {};
  readonly varSources: Record<string, VariableSource> = {};
  /** Groups this host was added to directly. */
  readonly direct: GroupNode[] = [];
  constructor(readonly name: string) {}

  /** Every group the host is in, directly or through children (Host.get_groups()). */
  allGroups(): Set<GroupNode> {
    const out = new Set<GroupNode>();
    for (const g of this.direct) {
      out.add(g);
      for (const a of g.ancestors()) out.add(a);
    }
    return out;
  }
}

/** Python's `int(value)` for `ansible_group_priority`; undefined where Python raises. */
function pyIntOf(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*[+-]?[0-9](?:_?[0-9])*\s*$/.test(value)) {
    return parseInt(value.replace(/_/g, ''), 10);
  }
  return undefined;
}

// C.INVALID_VARIABLE_NAMES = ^[\d\W]|[^\w] (Python's Unicode \w).
const INVALID_GROUP_CHARS = /^[^\p{L}_]|[^\p{L}\p{N}_]/u;

export class InventoryBuilder {
  readonly groups = new Map<string, GroupNode>();
  readonly hosts = new Map<string, HostNode>();
  readonly warnings: string[] = [];

  constructor() {
    const where = { file: '(implicit)' };
    this.addGroup('all', where);
    this.addGroup('ungrouped', where);
    this.addChild('all', 'ungrouped', where);
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  group(name: string): GroupNode {
    const g = this.groups.get(name);
    if (!g) throw new Error(`internal: unknown group ${name}`);
    return g;
  }

  /** InventoryData.add_group. */
  addGroup(name: string, where: VariableSource): string {
    if (!name) throw located(`a group name must not be empty`, where);
    if (!this.groups.has(name)) {
      // TRANSFORM_INVALID_GROUP_CHARS defaults to 'never' in 2.14: warn, keep the name.
      if (INVALID_GROUP_CHARS.test(name)) {
        this.warn('Invalid characters were found in group names but not replaced, use -vvvv to see details');
      }
      this.groups.set(name, new GroupNode(name));
    }
    return name;
  }

  /**
   * InventoryData.add_host. `source` is the absolute path of the inventory file (inventory_file;
   * its directory is inventory_dir), or a host list's text (inventory_dir is then null).
   */
  addHost(
    name: string,
    groupName: string | undefined,
    port: number | undefined,
    where: VariableSource,
    source: string | undefined,
  ): HostNode {
    if (!name) throw located('a host name must not be empty', where);
    let host = this.hosts.get(name);
    if (!host) {
      host = new HostNode(name);
      this.hosts.set(name, host);
      if (port !== undefined) this.setHostVar(host, 'ansible_port', port, where);
      this.setHostVar(host, 'inventory_file', source ?? null, where);
      this.setHostVar(
        host,
        'inventory_dir',
        source && path.isAbsolute(source) ? path.dirname(source) : null,
        where,
      );
    }
    if (groupName !== undefined) this.addHostToGroup(this.group(groupName), host);
    return host;
  }

  private addHostToGroup(group: GroupNode, host: HostNode): void {
    if (group.hostSet.has(host)) return;
    group.hosts.push(host);
    group.hostSet.add(host);
    host.direct.push(group);
  }

  setHostVar(host: HostNode, key: string, value: unknown, where: VariableSource, kind?: PyKind): void {
    setWithMark(host.vars, key, value, kind);
    host.varSources[key] = where;
  }

  /** Group.set_variable: `ansible_group_priority` sets the priority instead of a variable. */
  setGroupVar(group: GroupNode, key: string, value: unknown, where: VariableSource, kind?: PyKind): void {
    if (key === 'ansible_group_priority') {
      const p = pyIntOf(value);
      if (p === undefined)
        throw located(`ansible_group_priority must be an integer, got ${JSON.stringify(value)}`, where);
      group.priority = p;
      return;
    }
    setWithMark(group.vars, key, value, kind);
    group.varSources[key] = where;
  }

  /** InventoryData.add_child: a group or a host into a group. */
  addChild(parentName: string, childName: string, where: VariableSource): void {
    const parent = this.groups.get(parentName);
    if (!parent) throw located(`${parentName} is not a known group`, where);
    const child = this.groups.get(childName);
    if (child) {
      this.addChildGroup(parent, child, where);
      return;
    }
    const host = this.hosts.get(childName);
    if (!host) throw located(`${childName} is not a known host nor group`, where);
    this.addHostToGroup(parent, host);
  }

  /** Group.add_child_group, including the depth bookkeeping. */
  private addChildGroup(parent: GroupNode, child: GroupNode, where: VariableSource): void {
    if (parent === child) throw located(`group '${parent.name}' cannot be a child of itself`, where);
    if (parent.children.includes(child)) return;
    if (parent.ancestors().has(child)) {
      throw located(
        `adding group '${child.name}' as a child of '${parent.name}' creates a cycle ('${child.name}' is already an ancestor of '${parent.name}')`,
        where,
      );
    }
    parent.children.push(child);
    child.depth = Math.max(parent.depth + 1, child.depth);
    this.checkChildrenDepth(child, where);
    if (!child.parents.some((g) => g.name === parent.name)) child.parents.push(parent);
  }

  /** Group._check_children_depth: push the new depth down to every descendant. */
  private checkChildrenDepth(group: GroupNode, where: VariableSource): void {
    let depth = group.depth;
    const start = depth;
    const seen = new Set<GroupNode>();
    let unprocessed = new Set(group.children);
    while (unprocessed.size) {
      for (const g of unprocessed) seen.add(g);
      depth += 1;
      const toProcess = [...unprocessed];
      unprocessed = new Set();
      for (const g of toProcess) {
        if (g.depth < depth) {
          g.depth = depth;
          for (const c of g.children) unprocessed.add(c);
        }
      }
      if (depth - start > seen.size)
        throw located(`the group named '${group.name}' has a recursive dependency loop`, where);
    }
  }

  /** InventoryData.reconcile_inventory. */
  reconcile(): void {
    const all = this.group('all');
    const ungrouped = this.group('ungrouped');
    for (const g of this.groups.values()) {
      if (g !== all && g.ancestors().size === 0) this.addChildGroup(all, g, { file: '(implicit)' });
    }
    const leaving = new Set<HostNode>();
    for (const host of this.hosts.values()) {
      const mine = host.allGroups();
      if (mine.has(ungrouped)) {
        if ([...mine].some((g) => g !== all && g !== ungrouped)) leaving.add(host);
      } else if (mine.size === 0 || (mine.size === 1 && mine.has(all))) {
        this.addHostToGroup(ungrouped, host);
      }
    }
    if (leaving.size) {
      const stay = ungrouped.hosts.filter((h) => !leaving.has(h));
      ungrouped.hosts.splice(0, ungrouped.hosts.length, ...stay);
      for (const h of leaving) {
        ungrouped.hostSet.delete(h);
        h.direct.splice(h.direct.indexOf(ungrouped), 1);
      }
    }
    for (const name of this.groups.keys()) {
      if (this.hosts.has(name)) this.warn(`Found both group and host with same name: ${name}`);
    }
  }
}

/** sort_groups: the order group variables are applied in (later wins). */
export function sortGroups(groups: Iterable<GroupNode>): GroupNode[] {
  return [...groups].sort(
    (a, b) => a.depth - b.depth || a.priority - b.priority || pyCompare(a.name, b.name),
  );
}

export function located(detail: string, where: VariableSource): InvalidInputError {
  return new InvalidInputError(detail, { file: where.file, line: where.line, path: where.path });
}
