/**
 * Ansible's implicit localhost (InventoryData._create_implicit_localhost): a play or `--host` may
 * name `localhost`, `127.0.0.1` or `::1` without the inventory defining it. It then gets
 * `ansible_connection: local`, on top of `all`'s variables, and is in no group (not even in `all`'s
 * host list). Ansible also sets `ansible_python_interpreter` to its own Python; we leave that out:
 * NovaStation runs no Python.
 */
import type { Inventory, InventoryHost } from './types.js';
import { LOCALHOST_NAMES } from './patterns.js';

const implicit = new WeakMap<Inventory, Map<string, InventoryHost>>();

/** Called by the loader, which knows the files (host_vars/localhost) a bare Inventory does not. */
export function setImplicitLocalhosts(inv: Inventory, hosts: Map<string, InventoryHost>): void {
  implicit.set(inv, hosts);
}

export function implicitLocalhost(inv: Inventory, name: string): InventoryHost | undefined {
  if (!LOCALHOST_NAMES.includes(name) || inv.hosts.has(name)) return undefined;
  const known = implicit.get(inv)?.get(name);
  if (known) return known;
  const all = inv.groups.get('all');
  const vars: Record<string, unknown> = { ...(all?.vars ?? {}) };
  delete vars.ansible_group_priority;
  vars.ansible_connection = 'local';
  return { name, vars, varSources: {}, groups: [] };
}

/** A host by name, including the implicit localhost. */
export function getHost(inv: Inventory, name: string): InventoryHost | undefined {
  return inv.hosts.get(name) ?? implicitLocalhost(inv, name);
}
