/**
 * /cluster/mapping/pci (pve-manager API2/Cluster/Mapping/PCI.pm): list (with `checks` for
 * check-node), get, create, update (digest, delete), remove. Errors are wrapped as
 * lock_pci_config does: "create hardware mapping failed: pci ID 'x' already defined".
 */
import { die, paramError } from '../http/errors.js';
import type { HandlerContext, Router } from '../router.js';
import { nodeOrDie, str } from './common.js';
import type { PciMapping } from '../state/model.js';

const list = (ctx: HandlerContext, key: string): string[] => {
  const v = ctx.params[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

function entryFields(ctx: HandlerContext): Partial<PciMapping> {
  const out: Partial<PciMapping> = {};
  if (ctx.params.map !== undefined) out.map = list(ctx, 'map');
  for (const k of ['description', 'mdev', 'live-migration-capable'] as const) {
    const v = str(ctx, k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function checks(ctx: HandlerContext, m: PciMapping, node: string): { severity: string; message: string }[] {
  const n = nodeOrDie(ctx.sim, node);
  const entries = m.map.filter((e) => new RegExp(`(^|,)node=${node}(,|$)`).test(e));
  if (!entries.length) return [{ severity: 'warning', message: `No mapping for node ${node}.` }];
  const out: { severity: string; message: string }[] = [];
  for (const e of entries) {
    const path = /(?:^|,)path=([^,]+)/.exec(e)?.[1] ?? '';
    const id = /(?:^|,)id=([^,]+)/.exec(e)?.[1] ?? '';
    const dev = n.pci.find((d) => d.id === path || d.id === `${path}.0` || d.id.startsWith(`${path}.`));
    if (!dev)
      out.push({ severity: 'error', message: `Invalid configuration: PCI device '${path}' not found` });
    else if (`${dev.vendor.slice(2)}:${dev.device.slice(2)}` !== id.toLowerCase()) {
      out.push({
        severity: 'error',
        message: `Invalid configuration: PCI device '${path}' has unexpected id`,
      });
    }
  }
  return out;
}

export function registerMapping(router: Router): void {
  router.add('GET', '/cluster/mapping/pci', (ctx) => {
    const node = str(ctx, 'check-node');
    return [...ctx.sim.state.mappings.values()].map((m) => ({
      ...m,
      digest: ctx.sim.state.mappingDigest,
      ...(node ? { checks: checks(ctx, m, node) } : {}),
    }));
  });
  router.add('GET', '/cluster/mapping/pci/{id}', (ctx) => {
    const m = ctx.sim.state.mappings.get(str(ctx, 'id')!);
    if (!m) throw die(`mapping '${str(ctx, 'id')}' not found`);
    const { id: _id, ...rest } = m;
    return { ...rest, digest: ctx.sim.state.mappingDigest };
  });
  router.add('POST', '/cluster/mapping/pci', (ctx) => {
    const id = str(ctx, 'id')!;
    const { state } = ctx.sim;
    if (state.mappings.has(id)) throw die(`create hardware mapping failed: pci ID '${id}' already defined`);
    state.mappings.set(id, { id, map: [], ...entryFields(ctx) });
    state.touchMappings();
    return null;
  });
  router.add('PUT', '/cluster/mapping/pci/{id}', (ctx) => {
    const id = str(ctx, 'id')!;
    const { state } = ctx.sim;
    const digest = str(ctx, 'digest');
    if (digest !== undefined && digest !== state.mappingDigest) {
      throw die(
        'update hardware mapping failed: detected modified configuration - file changed by other user? Try again.',
      );
    }
    const m = state.mappings.get(id);
    if (!m) throw die(`update hardware mapping failed: pci ID '${id}' does not exist`);
    for (const k of (str(ctx, 'delete') ?? '').split(/[,;\s]+/).filter(Boolean)) {
      if (k === 'map') throw paramError({ delete: "'map' is not optional" });
      delete (m as unknown as Record<string, unknown>)[k];
    }
    Object.assign(m, entryFields(ctx));
    state.touchMappings();
    return null;
  });
  router.add('DELETE', '/cluster/mapping/pci/{id}', (ctx) => {
    ctx.sim.state.mappings.delete(str(ctx, 'id')!);
    ctx.sim.state.touchMappings();
    return null;
  });
}
