/**
 * A vault entry that a role of this run produces (`producesSecrets`, e.g. proxmox-host's API
 * token secret) is not required up front: its references stay references through planning and
 * are resolved when the play using them starts. Without the producer in the run (--role, --limit)
 * the missing entry stops the run up front, as any missing secret does. The end-to-end proof, on
 * a real host with the real role, is test/proxmox-host/proxmox-host.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlaybook, defineRole } from '../../lib/define.js';
import { InvalidInputError } from '../../lib/errors.js';
import { loadInventory } from '../../lib/inventory/index.js';
import { planRun } from '../../lib/runner/run-plan.js';
import { resolveProducedSecrets } from '../../lib/runner/produced-secrets.js';
import type { RunOptions } from '../../lib/runner/run-state.js';
import { NO_TAG_FILTER } from '../../lib/runner/tags.js';
import { Secret } from '../../lib/secret.js';
import { prepareSecrets } from '../../lib/secrets/index.js';
import { SecretReference } from '../../lib/secrets/reference.js';

const producer = defineRole<{ entry: string }>({
  name: 'producer',
  vars: { type: 'object', properties: { entry: { type: 'string' } } },
  defaults: { entry: 'api_token' },
  producesSecrets: (vars) => [vars.entry ?? 'api_token'],
  async apply() {},
});
const consumer = defineRole<{ token: Secret }>({
  name: 'consumer',
  vars: { type: 'object', properties: { token: { type: 'string', minLength: 1 } }, required: ['token'] },
  async apply() {},
});
const playbook = definePlaybook({
  name: 't',
  plays: [
    { hosts: 'servers', roles: [producer] },
    { hosts: 'clients', roles: [consumer] },
  ],
});

async function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'ns-produced-'));
  const inv = join(dir, 'hosts.yml');
  writeFileSync(
    inv,
    'all:\n  children:\n    servers:\n      hosts:\n        s1: {}\n    clients:\n      hosts:\n        c1:\n          token: !secret api_token\n',
  );
  const pass = join(dir, 'pass');
  writeFileSync(pass, 'produced test\n', { mode: 0o600 });
  const secrets = await prepareSecrets({
    inventoryPaths: [inv],
    passwordFiles: [pass],
    env: {},
    interactive: false,
  });
  const inventory = await loadInventory([inv], { decrypt: secrets.decrypt });
  const options: RunOptions = {
    check: false,
    diff: false,
    forks: 1,
    tags: NO_TAG_FILTER,
    extraVars: {},
    ssh: {
      knownHostsFile: join(dir, 'known_hosts'),
      acceptNewHostKeys: false,
      hostKeyChecking: true,
      connectTimeoutMs: 1000,
    },
  };
  return { secrets, inventory, options };
}

describe('secrets produced by a role of the run', () => {
  it('are left as references up front, pass planning, and resolve from the vault when the using play starts', async () => {
    const { secrets, inventory, options } = await setUp();
    await secrets.resolve(inventory, playbook, 'site.ts');
    const plan = await planRun(playbook, 'site.ts', inventory, options);
    const role = plan.plays[1]!.hosts[0]!.roles[0]!;
    expect(role.vars.token).toBeInstanceOf(SecretReference);
    await expect(resolveProducedSecrets([role], secrets.store, false)).rejects.toThrow(
      /variable token: !secret api_token: not in the vault .* the role of this run that produces it did not save it/,
    );
    // What the producing role does in the first play:
    await secrets.store.save('api_token', new Secret('t0ken-value'));
    await secrets.store.save('api_token', new Secret('t0ken-value')); // the same value again: nothing to do
    await resolveProducedSecrets([role], secrets.store, false);
    expect((role.vars.token as Secret).reveal()).toBe('t0ken-value');
    await expect(secrets.store.save('api_token', new Secret('other'))).rejects.toThrow(
      /already holds a different value for api_token: not overwritten/,
    );
  });

  it('still stop the run up front when the producer is not in it (--role, --limit)', async () => {
    for (const run of [{ roles: ['consumer'] }, { limit: ['c1'] }]) {
      const { secrets, inventory } = await setUp();
      const error = await secrets.resolve(inventory, playbook, 'site.ts', run).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).toMatch(/variable token: !secret api_token: no vault/);
    }
  });
});
