/**
 * INI inventories, ported from ansible-core 2.14 `plugins/inventory/ini.py`:
 * - lines before any section are hosts of `ungrouped`; `#` and `;` start comment lines;
 * - `[g]` hosts, `[g:vars]` variables, `[g:children]` child groups; other `:tags` are errors;
 * - a host line is split like a shell line (`shlex.split(comments=True)`), its first word is the
 *   host pattern (ranges, `:port`), the rest must be `k=v`;
 * - BOTH host-line values and `[g:vars]` values go through Python's `ast.literal_eval` (the plugin
 *   docs say `:vars` values are strings, but `_parse_variable_definition` calls `_parse_value`
 *   too: `ansible-inventory` 2.14 prints `x=23` in `[g:vars]` as the integer 23 and `f=True` as
 *   true). In `[g:vars]` the value is everything after the first `=`, comments included
 *   (`a = hello # c` is "hello # c", while `a = True # c` is true, Python ignoring the comment);
 * - a group named in `[g:children]` may be declared later; if it never is, or `[g:vars]` names a
 *   group never declared, the file is refused (Ansible's INI plugin refuses it too; the CLI then
 *   only warns and goes on with an empty inventory: we stop instead).
 */
import { InvalidInputError } from '../errors.js';
import type { VariableSource } from './types.js';
import type { InventoryBuilder } from './model.js';
import { iniValue } from './python-literal.js';
import { RangeError as HostRangeError, expandHostPattern } from './ranges.js';
import { ShlexError, shlexSplit } from './shlex.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

interface Pending {
  line: number;
  state: 'vars' | 'children';
  name: string;
  parents: string[];
}

export interface SourceFile {
  /** As shown in messages (as the user gave it). */
  display: string;
  /** Absolute path: the value of `inventory_file`. */
  absolute: string;
}

export function parseIniInventory(b: InventoryBuilder, text: string, src: SourceFile): void {
  // Python's str.splitlines(): these separators all end a line (and so count for line numbers).
  const lines = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  const pending = new Map<string, Pending>();
  let groupName = 'ungrouped';
  let state = 'hosts';
  let lineno = 0;
  const at = (detail: string, p?: string): InvalidInputError =>
    new InvalidInputError(detail, { file: src.display, line: lineno, path: p });
  const where = (p: string): VariableSource => ({ file: src.display, line: lineno, path: p });

  const addPendingChildren = (group: string): void => {
    const decl = pending.get(group);
    if (!decl) return;
    for (const parent of decl.parents) {
      b.addChild(parent, group, { file: src.display, line: decl.line, path: `[${parent}:children]` });
      const p = pending.get(parent);
      if (p && p.state === 'children') addPendingChildren(parent);
    }
    pending.delete(group);
  };

  for (const raw of lines) {
    lineno++;
    const line = raw.trim();
    if (!line || line[0] === '#' || line[0] === ';') continue;

    const m = SECTION.exec(line);
    if (m) {
      groupName = m[1] as string;
      state = m[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) {
        throw at(
          `section [${groupName}:${state}] has an unknown type "${state}": expected [${groupName}], [${groupName}:vars] or [${groupName}:children]`,
        );
      }
      if (!b.groups.has(groupName)) {
        // [g] or [g:children] declares a group; [g:vars] alone does not (checked at the end).
        if (state === 'vars' && !pending.has(groupName)) {
          pending.set(groupName, { line: lineno, state: 'vars', name: groupName, parents: [] });
        }
        b.addGroup(groupName, where(`[${groupName}]`));
      }
      const p = pending.get(groupName);
      if (p && state !== 'vars') {
        if (p.state === 'children') addPendingChildren(groupName);
        else pending.delete(groupName);
      }
      continue;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      throw at(
        `invalid section header '${line}': expected [group], [group:vars] or [group:children], with no spaces inside the brackets`,
      );
    }

    if (state === 'hosts') {
      parseHostLine(line);
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) throw at(`expected key=value in [${groupName}:vars], got: ${line}`);
      const key = line.slice(0, eq).trim();
      const { value, float } = iniValue(line.slice(eq + 1).trim());
      b.setGroupVar(
        b.group(groupName),
        key,
        value,
        where(`[${groupName}:vars].${key}`),
        float ? 'float' : undefined,
      );
    } else {
      const gm = GROUP_NAME.exec(line);
      if (!gm) throw at(`expected a group name in [${groupName}:children], got: ${line}`);
      const child = gm[1] as string;
      if (!b.groups.has(child)) {
        const p = pending.get(child);
        if (!p) pending.set(child, { line: lineno, state: 'children', name: child, parents: [groupName] });
        else p.parents.push(groupName);
      } else {
        b.addChild(groupName, child, where(`[${groupName}:children]`));
      }
    }
  }

  // Unresolved references: Ansible reports the first one only.
  for (const decl of pending.values()) {
    lineno = decl.line;
    if (decl.state === 'vars') {
      throw at(
        `section [${decl.name}:vars] is for group "${decl.name}", which is never declared: add a [${decl.name}] or [${decl.name}:children] section`,
      );
    }
    const parent = decl.parents[decl.parents.length - 1] as string;
    throw at(
      `[${parent}:children] names group "${decl.name}", which is never declared: add a [${decl.name}] section (it may be empty) or fix the name`,
    );
  }

  function parseHostLine(line: string): void {
    let tokens: string[];
    try {
      tokens = shlexSplit(line);
    } catch (e) {
      if (e instanceof ShlexError) throw at(`cannot parse host line '${line}': ${e.message.toLowerCase()}`);
      throw e;
    }
    const pattern = tokens[0] ?? '';
    let hosts: string[];
    let port: number | undefined;
    try {
      ({ hosts, port } = expandHostPattern(pattern));
    } catch (e) {
      if (e instanceof HostRangeError) throw at(`bad host range in '${pattern}': ${e.message}`);
      throw e;
    }
    if (pattern.trim().endsWith(':') && port === undefined) {
      throw at(`invalid host pattern '${pattern}': a trailing ':' must be followed by a port number`);
    }
    if (hosts.some((h) => h.trim() === '---')) {
      throw at(`invalid host pattern '${pattern}': '---' usually means this is a YAML file`);
    }
    const hostPath = `[${groupName}].${pattern}`;
    const vars: [string, { value: unknown; float: boolean }][] = [];
    for (const t of tokens.slice(1)) {
      const eq = t.indexOf('=');
      if (eq < 0) throw at(`expected key=value host variable assignment, got: ${t}`, hostPath);
      vars.push([t.slice(0, eq), iniValue(t.slice(eq + 1))]);
    }
    for (const h of hosts) {
      const host = b.addHost(h, groupName, port, where(hostPath), src.absolute);
      for (const [k, v] of vars)
        b.setHostVar(host, k, v.value, where(`[${groupName}].${h}.${k}`), v.float ? 'float' : undefined);
    }
  }
}
