/** Fresh test hosts for one tool's turn: booted with the project's harness, torn down after. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootTestHosts, type TestHosts } from '../../test/harness/index.js';

export interface BenchHosts {
  th: TestHosts;
  names: string[];
  /** Private temp folder: inventory, known_hosts, ansible.cfg. */
  dir: string;
  inventory: string;
  knownHosts: string;
  teardown(): Promise<void>;
}

/** Host names are the same for both tools (bench1, bench2, …) so templates naming them match. */
export const BENCH_PREFIX = 'bench';

export async function bootBenchHosts(
  count: number,
  log: (line: string) => void = () => {},
): Promise<BenchHosts> {
  const th = await bootTestHosts(count, { prefix: BENCH_PREFIX, log });
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-'));
  const inventory = join(dir, 'hosts.yml');
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(inventory, th.inventoryYaml());
  writeFileSync(knownHosts, th.knownHosts());
  return {
    th,
    names: th.hosts.map((h) => h.name),
    dir,
    inventory,
    knownHosts,
    async teardown() {
      await th.teardown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
