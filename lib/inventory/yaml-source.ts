/**
 * YAML inventories, ported from ansible-core 2.14 `plugins/inventory/yaml.py`:
 * top-level keys are groups (usually just `all`); each group is a mapping with `hosts`, `children`
 * and `vars` (or empty). A string in place of one of those three is read as a one-entry mapping
 * (`children: web` = `children: {web: }`), as Ansible does. Host keys are patterns with ranges and
 * `:port`; a host's value is its variables (anything Python finds falsy — null, "", 0, [] — means
 * none).
 *
 * Where Ansible only warns and skips (a group given as a list or a scalar, an unknown key such as
 * `host:` in a group), we refuse the file: a typo there silently drops hosts, and a task runner
 * must not run against a silently smaller inventory. Everything Ansible accepts without a warning
 * is read the same way.
 */
import type { Node as YamlNode } from 'yaml';
import { isMap, isScalar } from '../vendor/yaml.js';
import { InvalidInputError } from '../errors.js';
import type { VariableSource } from './types.js';
import type { InventoryBuilder } from './model.js';
import type { SourceFile } from './ini-source.js';
import { RangeError as HostRangeError, expandHostPattern } from './ranges.js';
import { UnsafeText } from './tagged-values.js';
import {
  deref,
  describeType,
  keyText,
  lineOf,
  mapPairs,
  pyKindOfNode,
  toValue,
  type YamlFile,
} from './yaml-load.js';

const SECTIONS = ['vars', 'children', 'hosts'] as const;

/** Python truthiness, for `group_data[key][host_pattern] or {}`. */
function pyFalsy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object' && v.constructor === Object) return Object.keys(v).length === 0;
  return false;
}

export function parseYamlInventory(b: InventoryBuilder, y: YamlFile, root: YamlNode, src: SourceFile): void {
  const where = (node: YamlNode | null | undefined, p: string): VariableSource => ({
    file: src.display,
    line: lineOf(y, node),
    path: p,
  });
  const fail = (detail: string, node: YamlNode | null | undefined, p: string): InvalidInputError =>
    new InvalidInputError(detail, { file: src.display, line: lineOf(y, node), path: p });

  const scalarText = (node: YamlNode | null): unknown => {
    const v = toValue(y, node);
    return v instanceof UnsafeText ? v.value : v;
  };

  /** A section's entries: a mapping's pairs, or a single name for a string. */
  const entries = (node: YamlNode | null): { key: YamlNode | null; value: YamlNode | null }[] => {
    const n = deref(y, node);
    if (isMap(n)) return mapPairs(y, n);
    return [{ key: n, value: null }];
  };

  const parseGroup = (keyNode: YamlNode | null, dataNode: YamlNode | null, p: string): string => {
    const name = scalarText(keyNode);
    if (typeof name !== 'string' || name === '') {
      throw fail(`a group name must be a non-empty string, got ${describeType(name)}`, keyNode, p);
    }
    const data = deref(y, dataNode);
    const isNull = data === null || (isScalar(data) && data.value === null);
    if (!isNull && !isMap(data)) {
      throw fail(
        `group "${name}" must be a mapping with "hosts", "children" and/or "vars" (or empty), got ${describeType(toValue(y, data))}`,
        dataNode ?? keyNode,
        p,
      );
    }
    b.addGroup(name, where(keyNode, p));
    if (isNull) return name;

    const pairs = mapPairs(y, data as YamlNode);
    for (const { key, value } of pairs) {
      const k = scalarText(key);
      const v = deref(y, value);
      const kp = `${p}.${keyText(k)}`;
      if (typeof k !== 'string' || !(SECTIONS as readonly string[]).includes(k)) {
        throw fail(
          `unexpected key "${keyText(k)}" in group "${name}": only "hosts", "children" and "vars" are allowed`,
          key,
          kp,
        );
      }
      const vNull = v === null || (isScalar(v) && v.value === null);
      const vString = isScalar(v) && (typeof v.value === 'string' || v.value instanceof UnsafeText);
      if (!vNull && !vString && !isMap(v)) {
        const example =
          k === 'hosts'
            ? 'host name: its variables'
            : k === 'vars'
              ? 'variable: value'
              : 'group name: its definition';
        throw fail(
          `"${k}" of group "${name}" must be a mapping (${example}), got ${describeType(toValue(y, v))}`,
          value ?? key,
          kp,
        );
      }
    }

    for (const { key, value } of pairs) {
      const k = scalarText(key) as (typeof SECTIONS)[number];
      const v = deref(y, value);
      if (v === null || (isScalar(v) && v.value === null)) continue;
      const kp = `${p}.${k}`;
      if (k === 'vars') {
        for (const e of entries(v)) {
          const varName = keyText(toValue(y, e.key));
          b.setGroupVar(
            b.group(name),
            varName,
            toValue(y, e.value),
            where(e.key, `${kp}.${varName}`),
            pyKindOfNode(y, e.value),
          );
        }
      } else if (k === 'children') {
        for (const e of entries(v)) {
          const childPath = `${kp}.${keyText(scalarText(e.key))}`;
          const child = parseGroup(e.key, e.value, childPath);
          b.addChild(name, child, where(e.key, childPath));
        }
      } else {
        for (const e of entries(v)) parseHosts(name, e.key, e.value, kp);
      }
    }
    return name;
  };

  const parseHosts = (
    group: string,
    keyNode: YamlNode | null,
    valueNode: YamlNode | null,
    p: string,
  ): void => {
    const pattern = scalarText(keyNode);
    const hp = `${p}.${keyText(pattern)}`;
    if (typeof pattern !== 'string') {
      throw fail(
        `host name ${keyText(pattern)} must be a string: put integers and floats in quotes`,
        keyNode,
        hp,
      );
    }
    let hosts: string[];
    let port: number | undefined;
    try {
      ({ hosts, port } = expandHostPattern(pattern));
    } catch (e) {
      if (e instanceof HostRangeError)
        throw fail(`bad host range in '${pattern}': ${e.message}`, keyNode, hp);
      throw e;
    }
    const vNode = deref(y, valueNode);
    const value = toValue(y, vNode);
    if (!pyFalsy(value) && !isMap(vNode)) {
      throw fail(
        `host "${pattern}" must be followed by a mapping of its variables (or nothing), got ${describeType(value)}`,
        valueNode ?? keyNode,
        hp,
      );
    }
    const varPairs = isMap(vNode) ? mapPairs(y, vNode) : [];
    for (const h of hosts) {
      const host = b.addHost(h, group, port, where(keyNode, hp), src.absolute);
      for (const e of varPairs) {
        const varName = keyText(toValue(y, e.key));
        b.setHostVar(
          host,
          varName,
          toValue(y, e.value),
          where(e.key, `${hp}.${varName}`),
          pyKindOfNode(y, e.value),
        );
      }
    }
  };

  for (const { key, value } of mapPairs(y, root)) {
    parseGroup(key, value, keyText(scalarText(key)));
  }
}

/** Is this YAML document a YAML inventory (a non-empty mapping)? Ansible falls back to INI otherwise. */
export function yamlInventoryRoot(y: YamlFile): YamlNode | null {
  const root = deref(y, y.doc.contents as YamlNode | null);
  if (!isMap(root) || root.items.length === 0) return null;
  return root;
}
