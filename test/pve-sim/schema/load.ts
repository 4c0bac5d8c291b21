/**
 * Loads the simulator's Proxmox VE API contract (../contract/pve-api.json, derived from PVE's own
 * API schema; see ../contract/README.md) and indexes it by path template, so a concrete request
 * path such as `/nodes/pve1/qemu/100/config` finds `/nodes/{node}/qemu/{vmid}/config` and its
 * methods. The contract is committed: nothing outside the repository is read.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ApiContract, ContractMethod } from '../contract/derive.js';
import { contractFile } from '../contract/files.js';
import { registerTypetextFormat } from './named-formats.js';

export interface ParamSchema {
  type?: string;
  format?: string | Record<string, ParamSchema>;
  optional?: number | boolean;
  enum?: string[] | null;
  minimum?: number | string;
  maximum?: number | string;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  requires?: string;
  items?: ParamSchema;
  alias?: string;
  keyAlias?: string;
  default_key?: number | boolean;
  /** The highest index of a `[n]` family where PVE states one ("n is 0 to 30"). */
  maxIndex?: number;
}

export interface MethodSchema {
  parameters?: { properties?: Record<string, ParamSchema>; additionalProperties?: number | boolean };
  allowtoken?: number;
  permissions?: unknown;
  returns?: unknown;
}

export interface PathEntry {
  template: string;
  segments: string[];
  methods: Record<string, MethodSchema>;
  /** Methods PVE has on this path that the contract does not describe (the simulator implements none). */
  outside: string[];
}

export interface PathMatch {
  entry: PathEntry;
  /** Values of the `{var}` segments, URL-decoded. */
  vars: Record<string, string>;
}

export interface ApiSchema {
  readonly paths: PathEntry[];
  match(path: string): PathMatch | undefined;
}

/** Default: the committed contract. */
export function defaultSchemaPath(): string {
  return contractFile();
}

const loaded = new Map<string, ApiSchema>();

export function loadSchema(file = defaultSchemaPath()): ApiSchema {
  const cached = loaded.get(file);
  if (cached) return cached;
  if (!existsSync(file)) throw new Error(`pve-sim: the PVE API contract is missing at ${file}`);
  const contract = JSON.parse(readFileSync(file, 'utf8')) as ApiContract;
  for (const [name, typetext] of Object.entries(contract.propertyFormats))
    registerTypetextFormat(name, typetext);
  const paths: PathEntry[] = Object.entries(contract.paths).map(([template, methods]) => {
    const entry: PathEntry = {
      template,
      segments: template.split('/').filter(Boolean),
      methods: {},
      outside: [],
    };
    for (const [m, schema] of Object.entries(methods)) {
      if (schema) entry.methods[m] = methodSchema(schema, contract.sharedParameters);
      else entry.outside.push(m);
    }
    return entry;
  });
  const schema: ApiSchema = { paths, match: (path) => matchPath(paths, path) };
  loaded.set(file, schema);
  return schema;
}

function methodSchema(c: ContractMethod, shared: Record<string, ParamSchema>): MethodSchema {
  const properties = Object.fromEntries(
    Object.entries(c.parameters).map(([name, rules]) => [name, rules === 'shared' ? shared[name]! : rules]),
  );
  return {
    parameters: { properties },
    allowtoken: c.allowtoken,
    permissions: c.permissions,
    returns: c.returns,
  };
}

function matchPath(paths: PathEntry[], path: string): PathMatch | undefined {
  let segs: string[];
  try {
    segs = path
      .split('/')
      .filter(Boolean)
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  let best: { match: PathMatch; literals: number } | undefined;
  for (const entry of paths) {
    if (entry.segments.length !== segs.length) continue;
    const vars: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    for (let i = 0; i < segs.length && ok; i++) {
      const t = entry.segments[i]!;
      const v = segs[i]!;
      if (t.startsWith('{') && t.endsWith('}')) vars[t.slice(1, -1)] = v;
      else if (t === v) literals++;
      else ok = false;
    }
    // A literal segment beats a variable one (`/cluster/mapping/pci` vs `{id}`), as in PVE's router.
    if (ok && (!best || literals > best.literals)) best = { match: { entry, vars }, literals };
  }
  return best?.match;
}
