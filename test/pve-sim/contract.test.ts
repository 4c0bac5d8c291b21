/**
 * The API contract (contract/README.md): it covers exactly the simulator's route table, carries
 * facts only, and — when the upstream PVE schema is beside the repository, as in CI — equals what
 * regenerating it from that schema gives, so it cannot drift from Proxmox.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deriveContract, type ApiContract } from './contract/derive.js';
import { contractFile, contractText, upstreamFile } from './contract/files.js';
import { implementedRoutes } from './handlers/index.js';

const committed = readFileSync(contractFile(), 'utf8');
const contract = JSON.parse(committed) as ApiContract;

describe('the committed API contract', () => {
  it('describes exactly the methods the simulator implements, and lists every other upstream method by name', () => {
    const described = Object.entries(contract.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, m]) => m !== null)
        .map(([m]) => `${m} ${path}`),
    );
    expect(described.sort()).toEqual(implementedRoutes().sort());
    // Upstream has more (lxc, ceph, …): they stay known by name, so a request to one is a gap of
    // the simulator rather than a path PVE does not have.
    expect(contract.paths['/nodes/{node}/lxc']).toEqual({ GET: null, POST: null });
  });

  it('holds facts only: no description text, no typetext, no defaults', () => {
    const keys = new Set<string>();
    const rules = (r: unknown): void => {
      if (!r || typeof r !== 'object' || Array.isArray(r)) return;
      for (const [k, v] of Object.entries(r)) {
        keys.add(k);
        if (k === 'format' || k === 'properties') Object.values(v as object).forEach(rules);
        else if (k === 'items') rules(v);
      }
    };
    Object.values(contract.sharedParameters).forEach(rules);
    for (const methods of Object.values(contract.paths))
      for (const m of Object.values(methods)) {
        if (!m) continue;
        Object.values(m.parameters).forEach(rules);
        rules(m.returns);
        Object.keys(m.permissions ?? {}).forEach((k) => keys.add(k));
      }
    // What the request check reads (schema/*.ts), and nothing else.
    const facts = new Set([
      ...['type', 'format', 'optional', 'enum', 'minimum', 'maximum', 'maxLength', 'minLength', 'pattern'],
      ...['requires', 'items', 'alias', 'keyAlias', 'default_key', 'maxIndex', 'properties', 'check', 'user'],
    ]);
    expect([...keys].filter((k) => !facts.has(k))).toEqual([]);
    expect(keys).toContain('maxIndex'); // "(n is 0 to 30)" kept as a number, its sentence dropped
  });
});

const upstream = upstreamFile();
describe('the contract against the upstream PVE API schema', () => {
  if (!existsSync(upstream)) {
    // CI has the upstream schema beside the repository: there, a missing file is a failure.
    if (process.env.CI === 'true') {
      it('finds the upstream schema in CI', () => {
        throw new Error(`the upstream PVE API schema is missing at ${upstream} (CI must have it)`);
      });
    } else {
      console.warn(`API contract drift test skipped: no upstream PVE API schema at ${upstream}`);
      it.skip(`upstream PVE API schema not at ${upstream}`, () => {});
    }
    return;
  }

  it('equals what regenerating it from the upstream schema gives (npm run pve-contract)', async () => {
    const text = readFileSync(upstream, 'utf8');
    const regenerated = await contractText(deriveContract(text, implementedRoutes()));
    // First the facts (a readable diff of what moved), then the exact text.
    expect(JSON.parse(regenerated), 'the contract drifted: run npm run pve-contract').toEqual(contract);
    expect(regenerated === committed, 'the contract is not as generated: run npm run pve-contract').toBe(
      true,
    );
  });

  it('refuses to describe a route the upstream schema does not have', () => {
    expect(() =>
      deriveContract(readFileSync(upstream, 'utf8'), ['POST /nodes/{node}/qemu/{vmid}/teleport']),
    ).toThrow('routes not in the upstream schema: POST /nodes/{node}/qemu/{vmid}/teleport');
  });
});
