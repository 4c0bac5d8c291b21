/**
 * Loads Proxmox VE's own API schema (pve-docs apidata.js as JSON, see ../shared/reference/README.md)
 * and indexes it by path template, so a concrete request path such as
 * `/nodes/pve1/qemu/100/config` finds `/nodes/{node}/qemu/{vmid}/config` and its methods.
 * The schema is AGPL test data: it is read at run time from beside the repository, never copied.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerTypetextFormat } from './named-formats.js';

export interface ParamSchema {
  type?: string;
  format?: string | Record<string, ParamSchema>;
  typetext?: string;
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
  description?: string;
}

export interface MethodSchema {
  parameters?: { properties?: Record<string, ParamSchema>; additionalProperties?: number | boolean };
  allowtoken?: number;
  protected?: number;
  permissions?: unknown;
  returns?: unknown;
}

export interface PathEntry {
  template: string;
  segments: string[];
  methods: Record<string, MethodSchema>;
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

interface TreeNode {
  path: string;
  info?: Record<string, MethodSchema>;
  children?: TreeNode[];
}

/** The repository root: the nearest folder above `from` whose package.json is named novastation. */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'novastation'
    )
      return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('pve-sim: cannot find the novastation repository root');
    dir = up;
  }
}

export function defaultSchemaPath(): string {
  return (
    process.env.PVE_SIM_SCHEMA ?? resolve(repoRoot(), '..', 'shared', 'reference', 'pve-api-schema.json')
  );
}

const loaded = new Map<string, ApiSchema>();

export function loadSchema(file = defaultSchemaPath()): ApiSchema {
  const cached = loaded.get(file);
  if (cached) return cached;
  if (!existsSync(file))
    throw new Error(`pve-sim: the PVE API schema is missing at ${file} (set schemaPath or PVE_SIM_SCHEMA)`);
  const tree = JSON.parse(readFileSync(file, 'utf8')) as TreeNode[];
  const paths: PathEntry[] = [];
  const walk = (node: TreeNode): void => {
    if (node.info)
      paths.push({ template: node.path, segments: node.path.split('/').filter(Boolean), methods: node.info });
    node.children?.forEach(walk);
  };
  tree.forEach(walk);
  for (const entry of paths) {
    for (const method of Object.values(entry.methods)) {
      for (const prop of Object.values(method.parameters?.properties ?? {})) {
        const p = prop.items ?? prop;
        if (typeof p.format === 'string' && p.typetext) registerTypetextFormat(p.format, p.typetext);
      }
    }
  }
  const schema: ApiSchema = { paths, match: (path) => matchPath(paths, path) };
  loaded.set(file, schema);
  return schema;
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
