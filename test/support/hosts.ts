/**
 * Real Debian 12 test hosts for a test file: booted once per file, with an inventory and a
 * known_hosts file written to a temp folder. Without root or the tools the file is skipped with
 * the reason — except in CI (CI=true), where that is a failure.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootTestHosts, testHostSupport, type BootOptions, type TestHosts } from '../harness/index.js';

export interface HostFixture {
  hosts: TestHosts;
  dir: string;
  inventory: string;
  knownHosts: string;
  /** Flags that make the CLI trust exactly these hosts' keys. */
  sshArgs: string[];
}

export const support = testHostSupport();
export const skipHosts = !support.ok && process.env.CI !== 'true';
if (skipHosts) console.warn(`host tests skipped: ${(support as { why: string }).why}`);

export async function bootFixture(
  count: number,
  prefix: string,
  options: Omit<BootOptions, 'prefix'> = {},
): Promise<HostFixture> {
  if (!support.ok) throw new Error(`test hosts unavailable: ${support.why}`);
  const hosts = await bootTestHosts(count, { ...options, prefix });
  const dir = mkdtempSync(join(tmpdir(), `ns-${prefix}-`));
  const inventory = join(dir, 'hosts.yml');
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(inventory, hosts.inventoryYaml());
  writeFileSync(knownHosts, hosts.knownHosts());
  return { hosts, dir, inventory, knownHosts, sshArgs: ['-i', inventory, '--known-hosts', knownHosts] };
}
