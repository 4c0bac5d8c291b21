/**
 * The agreement corpus: every folder in corpus/ is an inventory (with case.json saying which
 * sources to pass and which patterns to try). For each, the real `ansible-inventory` (2.14) and
 * our loader must print the same `--list` (parsed JSON, and byte for byte), `--host` for every
 * host, `--graph` and `--graph --vars` (byte for byte, also from chosen groups), and select the
 * same hosts as `ansible PATTERN --list-hosts [-l LIMIT]`. Ansible walks groups below the direct
 * children of a pattern's group in Python-set order, which varies between runs: cases mark those
 * patterns `"order": "set"` and only the set of hosts is compared for them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  inventoryGraph,
  inventoryHostVars,
  inventoryToList,
  loadInventorySync,
  pythonJson,
  selectHosts,
} from '../../lib/inventory/index.js';
import type { Inventory } from '../../lib/inventory/index.js';
import {
  AnsibleRunner,
  findAnsibleInventory,
  parseListHosts,
  reportTimes,
  type AnsibleCommand,
  type AnsibleResult,
} from './ansible-runner.js';

interface PatternCase {
  pattern: string;
  limit?: string;
  order?: 'exact' | 'set';
}
interface CorpusCase {
  description: string;
  inventory: string[];
  graphGroups?: string[];
  patterns?: PatternCase[];
  /** Values Ansible cannot print with --graph --vars (it would need to decrypt a vault). */
  skipGraphVars?: boolean;
  /** Hosts whose --host output Ansible computes differently on purpose (documented). */
  skipHosts?: string[];
}

const corpusDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus');
const cases = readdirSync(corpusDir)
  .filter((d) => statSync(path.join(corpusDir, d)).isDirectory())
  .sort()
  .map((name) => {
    const dir = path.join(corpusDir, name);
    return { name, dir, spec: JSON.parse(readFileSync(path.join(dir, 'case.json'), 'utf8')) as CorpusCase };
  });

const ansibleInventory = findAnsibleInventory();
const inCI = process.env.CI === 'true';

const invArgs = (spec: CorpusCase): string[] => spec.inventory.flatMap((s) => ['-i', s]);
const ourSources = (dir: string, spec: CorpusCase): string[] =>
  spec.inventory.map((s) => (s.includes(',') ? s : path.join(dir, s)));

if (!ansibleInventory) {
  const why = 'ansible-inventory is not installed: the agreement corpus cannot be checked against Ansible';
  if (inCI) {
    it('ansible-inventory is available (required when CI=true)', () => {
      throw new Error(why);
    });
  } else {
    console.warn(`SKIPPED: ${why}`);
    it.skip(why, () => {});
  }
} else {
  let runner: AnsibleRunner;
  // Every command of a case goes to Ansible as one batch; tests look their results up by args.
  const results = new Map<string, Promise<AnsibleResult>>();
  const key = (caseName: string, cmd: string, args: string[]) => `${caseName}\0${cmd}\0${args.join('\0')}`;
  const result = (
    c: (typeof cases)[number],
    cmd: AnsibleCommand['cmd'],
    args: string[],
  ): Promise<AnsibleResult> => {
    const p = results.get(key(c.name, cmd, args));
    if (!p) throw new Error(`not queued: ${cmd} ${args.join(' ')}`);
    return p;
  };
  const listHostsArgs = (c: (typeof cases)[number], p: PatternCase) => [
    p.pattern,
    ...invArgs(c.spec),
    '--list-hosts',
    ...(p.limit ? ['--limit', p.limit] : []),
  ];
  const ansibleInv = (c: (typeof cases)[number], ...args: string[]) =>
    result(c, 'ansible-inventory', [...invArgs(c.spec), ...args]);
  const ansibleHosts = (c: (typeof cases)[number], p: PatternCase) =>
    result(c, 'ansible', listHostsArgs(c, p));

  beforeAll(() => {
    runner = new AnsibleRunner(ansibleInventory);
    for (const c of cases) {
      const commands: AnsibleCommand[] = [];
      const inv = (...args: string[]) =>
        commands.push({ cmd: 'ansible-inventory', args: [...invArgs(c.spec), ...args] });
      inv('--list');
      inv('--graph');
      if (!c.spec.skipGraphVars) inv('--graph', '--vars');
      for (const g of c.spec.graphGroups ?? []) {
        inv('--graph', g);
        if (!c.spec.skipGraphVars) inv('--graph', '--vars', g);
      }
      // Our host names: the --list test checks they are exactly Ansible's.
      for (const h of loadInventorySync(ourSources(c.dir, c.spec)).hosts.keys()) inv('--host', h);
      for (const p of c.spec.patterns ?? []) commands.push({ cmd: 'ansible', args: listHostsArgs(c, p) });
      const batch = runner.runBatch(commands, c.dir);
      commands.forEach((cmd, i) => {
        results.set(
          key(c.name, cmd.cmd, cmd.args),
          batch.then((r) => r[i] ?? r[0] ?? { code: 1, stdout: '', stderr: 'no result' }),
        );
      });
    }
  });

  afterAll(async () => {
    reportTimes(await Promise.all(results.values()));
    runner?.close();
  });

  describe.each(cases)('corpus/$name', (c) => {
    let inv: Inventory;
    beforeAll(() => {
      inv = loadInventorySync(ourSources(c.dir, c.spec));
    });

    it('--list matches ansible-inventory', async () => {
      const theirs = await ansibleInv(c, '--list');
      expect(theirs.code, theirs.stderr).toBe(0);
      const ours = pythonJson(inventoryToList(inv));
      expect(parsePyJson(ours)).toEqual(parsePyJson(theirs.stdout));
      expect(ours + '\n').toBe(theirs.stdout);
    });

    it('--host matches ansible-inventory for every host', async () => {
      const listed = parsePyJson((await ansibleInv(c, '--list')).stdout) as Record<
        string,
        { hosts?: string[] }
      >;
      expect([...inv.hosts.keys()].sort()).toEqual([...hostsOf(listed)].sort());
      for (const h of inv.hosts.keys()) {
        if (c.spec.skipHosts?.includes(h)) continue;
        const theirs = await ansibleInv(c, '--host', h);
        expect(theirs.code, theirs.stderr).toBe(0);
        const ours = pythonJson(inventoryHostVars(inv, h));
        expect(parsePyJson(ours), `--host ${h}`).toEqual(parsePyJson(theirs.stdout));
        expect(ours + '\n', `--host ${h}`).toBe(theirs.stdout);
      }
    });

    it('--graph matches byte for byte', async () => {
      const runs: [string | undefined, boolean][] = [[undefined, false]];
      if (!c.spec.skipGraphVars) runs.push([undefined, true]);
      for (const g of c.spec.graphGroups ?? []) {
        runs.push([g, false]);
        if (!c.spec.skipGraphVars) runs.push([g, true]);
      }
      for (const [g, withVars] of runs) {
        const theirs = await ansibleInv(c, '--graph', ...(withVars ? ['--vars'] : []), ...(g ? [g] : []));
        expect(theirs.code, theirs.stderr).toBe(0);
        expect(
          inventoryGraph(inv, g ?? 'all', withVars) + '\n',
          `--graph ${withVars ? '--vars ' : ''}${g ?? ''}`,
        ).toBe(theirs.stdout);
      }
    });

    if ((c.spec.patterns ?? []).length > 0)
      it('host patterns select what ansible --list-hosts selects', async () => {
        for (const p of c.spec.patterns ?? []) {
          const theirs = await ansibleHosts(c, p);
          const label = `${p.pattern}${p.limit ? ` --limit ${p.limit}` : ''}`;
          // `@file` limits are relative to the directory ansible runs in (the case's).
          const limit = p.limit?.startsWith('@') ? '@' + path.join(c.dir, p.limit.slice(1)) : p.limit;
          let ours: string[] | Error;
          try {
            ours = selectHosts(inv, p.pattern, limit ? { limit } : {});
          } catch (e) {
            ours = e as Error;
          }
          // `ansible` turns an inventory error (e.g. `g[7]` past the end) or an empty selection into
          // "No hosts matched" (exit 0) or, with --limit, an error; the inventory API (what plays use)
          // raises. Either way we must select nothing or raise.
          if (theirs.code !== 0 || theirs.stderr.includes('No hosts matched, nothing to do')) {
            expect(parseListHosts(theirs.stdout), label).toEqual([]);
            if (!(ours instanceof Error)) expect(ours, `${label}: ansible: ${theirs.stderr}`).toEqual([]);
            continue;
          }
          if (ours instanceof Error) throw ours;
          const expected = parseListHosts(theirs.stdout);
          if (p.order === 'set') expect([...ours].sort(), label).toEqual([...expected].sort());
          else expect(ours, label).toEqual(expected);
        }
      });
  });
}

/** Python's json.dumps writes Infinity/NaN bare; JSON.parse needs them quoted. */
function parsePyJson(text: string): unknown {
  return JSON.parse(text.replace(/(?<=[[:,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '"$1"'));
}

function hostsOf(listed: Record<string, { hosts?: string[] }>): string[] {
  const out = new Set<string>();
  for (const [name, g] of Object.entries(listed))
    if (name !== '_meta') for (const h of g.hosts ?? []) out.add(h);
  return [...out];
}
