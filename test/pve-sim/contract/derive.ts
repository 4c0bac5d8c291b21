/**
 * Derives the simulator's API contract (pve-api.json beside this file, see README.md) from the
 * upstream Proxmox VE API schema (pve-docs apidata.js as JSON): for the endpoints the simulator
 * implements, only the facts its request check reads — parameter names, types, formats, enums,
 * ranges, optional/required, permissions, token support, result types — and no description text.
 * Every other upstream endpoint is listed by path and method only, so a request to one is still
 * told apart from a request to a path PVE does not have.
 */
import { createHash } from 'node:crypto';
import type { ParamSchema } from '../schema/load.js';

/** The upstream file's shape: tree nodes with `info` per method and `children`. */
export interface UpstreamNode {
  path: string;
  info?: Record<string, Record<string, unknown>>;
  children?: UpstreamNode[];
}

interface UpstreamParam {
  format?: unknown;
  typetext?: string;
  items?: UpstreamParam;
}

/** One method as the contract states it: `parameters` maps a name to its rules, or to 'shared'. */
export interface ContractMethod {
  /** 0: refused with an API token (PVE's `allowtoken`). */
  allowtoken: number;
  /** PVE's permission check expression (`check`) or `user`, without its prose. */
  permissions?: unknown;
  /** 'shared': the rules are `sharedParameters[name]` (the VM config options recur in three methods). */
  parameters: Record<string, ParamSchema | 'shared'>;
  /** Result types only: type, properties, items. */
  returns?: unknown;
}

export interface ApiContract {
  contract: 1;
  /** Where the facts come from; the licence and version are in README.md beside the contract. */
  upstream: { file: string; sha256: string; licence: string };
  /**
   * Named property-string formats (`format: 'pve-qm-hostpci'`) that the upstream schema defines
   * only through a parameter's `typetext`: name → that typetext (the first one upstream gives,
   * as the schema loader registers it).
   */
  propertyFormats: Record<string, string>;
  /** Parameter rules that two or more methods share, by parameter name. */
  sharedParameters: Record<string, ParamSchema>;
  /** Every upstream path in upstream order; a method is null when it is outside the contract. */
  paths: Record<string, Record<string, ContractMethod | null>>;
}

export const CONTRACT_VERSION = 1;
export const UPSTREAM_LICENCE = 'AGPL-3.0-or-later, (c) Proxmox Server Solutions GmbH';

/** The parameter keys the request check reads (schema/check-prop.ts, params.ts, property-string.ts). */
const PARAM_KEYS = [
  'type',
  'format',
  'optional',
  'enum',
  'minimum',
  'maximum',
  'maxLength',
  'minLength',
  'pattern',
  'requires',
  'items',
  'alias',
  'keyAlias',
  'default_key',
] as const;

/** `[n]` families state their index range only in prose: "(n is 0 to 30)". Kept as a number. */
const INDEX_RANGE = /\(n is 0 to (\d+)/;

function param(name: string, upstream: Record<string, unknown>): ParamSchema {
  const out: Record<string, unknown> = {};
  for (const key of PARAM_KEYS) {
    const value = upstream[key];
    if (value === undefined) continue;
    if (key === 'items') out.items = param('', value as Record<string, unknown>);
    else if (key === 'format' && typeof value === 'object' && value !== null)
      out.format = Object.fromEntries(
        Object.entries(value as Record<string, Record<string, unknown>>).map(([k, v]) => [k, param(k, v)]),
      );
    else out[key] = value;
  }
  const range = name.endsWith('[n]') ? INDEX_RANGE.exec(String(upstream.description ?? '')) : null;
  if (range) out.maxIndex = Number(range[1]);
  return out as ParamSchema;
}

/** Result types only (the simulator types config values by them): type, properties, items. */
function returns(upstream: unknown): unknown {
  if (!upstream || typeof upstream !== 'object') return undefined;
  const r = upstream as { type?: unknown; properties?: Record<string, unknown>; items?: unknown };
  const out: Record<string, unknown> = {};
  if (r.type !== undefined) out.type = r.type;
  if (r.properties)
    out.properties = Object.fromEntries(Object.entries(r.properties).map(([k, v]) => [k, returns(v) ?? {}]));
  if (r.items) out.items = returns(r.items);
  return out;
}

function method(upstream: Record<string, unknown>): ContractMethod {
  const params = (upstream.parameters as { properties?: Record<string, Record<string, unknown>> })
    ?.properties;
  const out: ContractMethod = { allowtoken: upstream.allowtoken as number, parameters: {} };
  if (upstream.permissions) {
    const { description: _prose, ...facts } = upstream.permissions as Record<string, unknown>;
    out.permissions = facts;
  }
  out.parameters = Object.fromEntries(Object.entries(params ?? {}).map(([k, v]) => [k, param(k, v)]));
  const r = returns(upstream.returns);
  if (r) out.returns = r;
  return out;
}

/**
 * Moves parameter rules that recur under the same name in several methods to `sharedParameters`
 * (the most frequent rules per name; the first seen on a tie), leaving 'shared' in their place.
 */
function share(methods: ContractMethod[]): Record<string, ParamSchema> {
  const seen = new Map<string, Map<string, number>>();
  for (const m of methods)
    for (const [name, rules] of Object.entries(m.parameters)) {
      const texts = seen.get(name) ?? new Map<string, number>();
      const text = JSON.stringify(rules);
      texts.set(text, (texts.get(text) ?? 0) + 1);
      seen.set(name, texts);
    }
  const shared: Record<string, string> = {};
  for (const [name, texts] of seen) {
    let best: [string, number] | undefined;
    for (const [text, n] of texts) if (n > 1 && (!best || n > best[1])) best = [text, n];
    if (best) shared[name] = best[0];
  }
  for (const m of methods)
    for (const [name, rules] of Object.entries(m.parameters))
      if (shared[name] === JSON.stringify(rules)) m.parameters[name] = 'shared';
  return Object.fromEntries(Object.entries(shared).map(([k, text]) => [k, JSON.parse(text) as ParamSchema]));
}

function walk(tree: UpstreamNode[], visit: (node: UpstreamNode) => void): void {
  for (const node of tree) {
    visit(node);
    walk(node.children ?? [], visit);
  }
}

/** Every string `format` name inside a (reduced) parameter, nested formats and items included. */
function formatNames(p: ParamSchema | 'shared', into: Set<string>): void {
  if (p === 'shared') return;
  if (typeof p.format === 'string') into.add(p.format);
  else if (p.format) Object.values(p.format).forEach((q) => formatNames(q, into));
  if (p.items) formatNames(p.items, into);
}

/**
 * The contract for `routes` (`METHOD /template`, the simulator's route table). Throws when a
 * route is not in the upstream schema: the simulator must not implement what PVE does not have.
 */
export function deriveContract(upstreamText: string, routes: string[]): ApiContract {
  const tree = JSON.parse(upstreamText) as UpstreamNode[];
  const wanted = new Set(routes);
  const paths: ApiContract['paths'] = {};
  // The typetext the loader registered first for each name, over the whole upstream schema.
  const typetexts = new Map<string, string>();
  walk(tree, (node) => {
    if (!node.info) return;
    const methods: Record<string, ContractMethod | null> = {};
    for (const [m, schema] of Object.entries(node.info)) {
      methods[m] = wanted.delete(`${m} ${node.path}`) ? method(schema) : null;
      const props = (schema.parameters as { properties?: Record<string, UpstreamParam> })?.properties;
      for (const prop of Object.values(props ?? {})) {
        const p = prop.items ?? prop;
        if (typeof p.format === 'string' && p.typetext?.includes('=') && !typetexts.has(p.format))
          typetexts.set(p.format, p.typetext);
      }
    }
    paths[node.path] = methods;
  });
  if (wanted.size)
    throw new Error(`pve-contract: routes not in the upstream schema: ${[...wanted].join(', ')}`);
  const contracted = Object.values(paths).flatMap((methods) =>
    Object.values(methods).filter((m): m is ContractMethod => m !== null),
  );
  const used = new Set<string>();
  for (const m of contracted) Object.values(m.parameters).forEach((p) => formatNames(p, used));
  const sharedParameters = share(contracted);
  const propertyFormats = Object.fromEntries([...typetexts].filter(([name]) => used.has(name)));
  return {
    contract: CONTRACT_VERSION,
    upstream: {
      file: 'pve-api-schema.json',
      sha256: createHash('sha256').update(upstreamText).digest('hex'),
      licence: UPSTREAM_LICENCE,
    },
    propertyFormats,
    sharedParameters,
    paths,
  };
}
