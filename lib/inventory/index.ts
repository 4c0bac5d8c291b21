/**
 * NovaStation's inventory: Ansible's (ansible-core 2.14) inventory model, read from YAML and INI
 * files, directories and host lists, with group_vars/host_vars, merged by Ansible's precedence and
 * with the file and line each value came from. See each module for the Ansible behaviour it copies.
 */
import { InventoryBuilder } from './model.js';
import { buildInventory } from './merge.js';
import { parseSources } from './sources.js';
import { VarsFolders, type Decrypt } from './vars-folders.js';
import type { Inventory } from './types.js';

export type { Inventory, InventoryGroup, InventoryHost, VariableSource } from './types.js';
export { VaultedValue, UnsafeText } from './tagged-values.js';
export { selectHosts, splitHostPattern, LOCALHOST_NAMES, type SelectOptions } from './patterns.js';
export { getHost, implicitLocalhost } from './localhost.js';
export {
  inventoryToList,
  inventoryHostVars,
  inventoryGraph,
  singleHost,
  INTERNAL_VARS,
} from './ansible-output.js';
export { pythonJson, pyStr } from './python-format.js';
export { PY_TUPLE, PY_SET } from './python-literal.js';

export interface LoadOptions {
  /**
   * Directories of the playbook(s): their group_vars/ and host_vars/ apply after the inventory's
   * (Ansible's all_plugins_play / groups_plugins_play / playbook host_vars). ansible-inventory
   * uses none unless given --playbook-dir.
   */
  playbookDirs?: string[];
  /** Decrypts a whole vault-encrypted file (`$ANSIBLE_VAULT;...`); without it such files are refused. */
  decrypt?: Decrypt;
}

/**
 * Read inventory sources (files, directories, `a,b,` host lists) in order, as `-i` does.
 * Throws InvalidInputError (exit 4) naming the file, line and path of the first problem.
 */
export function loadInventorySync(paths: string[], options: LoadOptions = {}): Inventory {
  const builder = new InventoryBuilder();
  parseSources(builder, paths, options.decrypt);
  builder.reconcile();
  return buildInventory(builder, paths, new VarsFolders(options.decrypt), options.playbookDirs ?? []);
}

export async function loadInventory(paths: string[], options: LoadOptions = {}): Promise<Inventory> {
  return loadInventorySync(paths, options);
}
