/**
 * The inventory as the engine sees it: Ansible's model (hosts, groups with children, variables
 * merged by Ansible 2.14's precedence), plus where each variable came from so a validation error
 * can name the file and line.
 */

export interface VariableSource {
  file: string;
  line?: number;
  /** Path inside that file, e.g. `all.children.web.vars.http_port` or `[web:vars]`. */
  path?: string;
}

export interface InventoryHost {
  name: string;
  /** Variables after Ansible's merge (group depth/priority/name order, then host vars). */
  vars: Record<string, unknown>;
  /** Where each top-level variable in `vars` was finally set. */
  varSources: Record<string, VariableSource>;
  /**
   * Every group the host belongs to, directly or through children, `all` included: `all` first,
   * then the others in the order their variables apply (depth, ansible_group_priority, name).
   */
  groups: string[];
}

export interface InventoryGroup {
  name: string;
  /**
   * The group's own variables (not inherited): inventory vars, then its group_vars files, plus
   * `ansible_group_priority` when not 1 — what `ansible-inventory --graph --vars` shows.
   */
  vars: Record<string, unknown>;
  children: string[];
  /** Hosts listed directly in this group. */
  hosts: string[];
}

export interface Inventory {
  /** The inventory files/folders read, in order. */
  sources: string[];
  /** Hosts in Ansible's order of first appearance. */
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
  /** Things Ansible would also warn about (printed as `[WARNING]: ...` by the CLI). */
  warnings?: string[];
}
