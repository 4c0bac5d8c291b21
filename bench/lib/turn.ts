/**
 * One tool's turn at one size: boot fresh hosts, wait for a quiet machine, time the first run
 * (everything changes), snapshot what it wrote, time the no-op re-run (nothing changes), tear down.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstRunScript } from './first-floor.js';
import { ansibleSetup, closeMasters, runAnsible } from './ansible.js';
import { bootBenchHosts, type BenchHosts } from './hosts.js';
import { cpuBusy, foreignMeter, waitQuiet, type Quiet, type QuietOptions } from './machine.js';
import type { Measured } from './measure.js';
import { ansiblePlaybook, runFirstFloor, runFloor, runNovaStation, spawnsPlaybook } from './novastation.js';
import { recapProblems, type Recap } from './recap.js';
import { compareChanges, describeComparison, runChanges } from './sameness.js';

export type Tool = 'ansible' | 'novastation';
export const TOOLS: readonly Tool[] = ['ansible', 'novastation'];

export interface RunFigure {
  seconds: number;
  peakMb: number;
  processes: number;
  code: number;
  loadBefore: number;
  loadAfter: number;
  /** CPU busy share of the whole machine in the 2 s before the run, and the wait for quiet. */
  busyBefore: number;
  waitedS: number;
  /** Share of the machine's CPU others used during the run (not the tool, not the test hosts). */
  foreign: number;
  /** False when the machine never became quiet within the wait limit, or others were busy during the run. */
  quiet: boolean;
  /** CPU busy share in the 1 s after the run (someone else busy?). */
  busyAfter: number;
  /** Steps per host, as each tool counts them (see stepsOf). */
  steps: Record<string, number>;
  changed: Record<string, number>;
  problems: string[];
}

export interface Turn {
  tool: Tool;
  hosts: number;
  names: string[];
  first: RunFigure;
  noop?: RunFigure;
  /** What the first run wrote, per host (sameness.ts). */
  changes: Record<string, string[]>;
  /** The `--profile` output of an extra no-op run (NovaStation only, when asked). */
  profile?: string;
  /** bench/floor.mjs on the same hosts after NovaStation's no-op run: the least a no-op run can take. */
  floor?: FloorFigure;
  /** bench/floor-first.mjs on fresh hosts: NovaStation's first-run changes by a plain shell script. */
  firstFloor?: FloorFigure & { same: boolean };
}

export interface FloorFigure {
  seconds: number;
  peakMb: number;
  quiet: boolean;
  foreign: number;
  loadBefore: number;
  loadAfter: number;
}

export interface TurnOptions {
  log: (line: string) => void;
  /** Wait for a quiet machine before each timed run; undefined: do not wait. */
  quiet?: QuietOptions;
  /** Also time the no-op re-run (default true). */
  noop?: boolean;
  /** After the timed runs, one more no-op run of NovaStation with --profile. */
  profile?: boolean;
  /** After NovaStation's no-op run, time the floor (bench/floor.mjs) on the same hosts (default true). */
  floor?: boolean;
  /** After NovaStation's turn, time the first-run floor on fresh hosts (default true). */
  firstFloor?: boolean;
}

/**
 * Steps a run reports for a host. Both tools' `ok` counts the changed tasks too (NovaStation's
 * recap counts as Ansible's); Ansible's also counts its "Gathering Facts" task, which has no
 * counterpart (NovaStation reads facts inside its first task that needs them).
 */
export function stepsOf(tool: Tool, recap: Recap, host: string): number {
  const c = recap.get(host);
  if (!c) return -1;
  return tool === 'ansible' ? c.ok - 1 + c.skipped : c.ok + c.skipped;
}

const tail = (text: string, n = 3000) => (text.length > n ? `…${text.slice(-n)}` : text);

async function timedRun(
  tool: Tool,
  h: BenchHosts,
  o: TurnOptions,
  kind: 'first' | 'noop',
  ansibleEnv?: ReturnType<typeof ansibleSetup>,
): Promise<RunFigure> {
  const q: Quiet = o.quiet ? await waitQuiet(o.quiet) : { load1: 0, busy: 0, waitedS: 0, quiet: true };
  const others = foreignMeter(ansibleEnv?.controlPathDir);
  const run: Measured & { recap: Recap } =
    tool === 'ansible'
      ? await runAnsible(ansibleEnv!, ansiblePlaybook)
      : await runNovaStation({ inventory: h.inventory, knownHosts: h.knownHosts });
  const foreign = Math.round(others() * 100) / 100;
  const quiet = q.quiet && (!o.quiet || foreign <= o.quiet.maxForeign);
  const busyAfter = await cpuBusy(1000);
  const problems = recapProblems(run.recap, h.names);
  if (run.code !== 0) problems.unshift(`${tool} exited ${run.code}`);
  const changed = Object.fromEntries(h.names.map((n) => [n, run.recap.get(n)?.changed ?? -1]));
  if (kind === 'noop')
    for (const [n, c] of Object.entries(changed))
      if (c !== 0) problems.push(`${n}: the no-op run changed ${c}`);
  if (problems.length) problems.push(`output of ${tool}:\n${tail(run.stdout)}\n${tail(run.stderr)}`);
  const figure: RunFigure = {
    seconds: Math.round(run.seconds * 1000) / 1000,
    peakMb: run.peakMb,
    processes: run.processes,
    code: run.code,
    loadBefore: run.loadBefore,
    loadAfter: run.loadAfter,
    busyBefore: Math.round(q.busy * 100) / 100,
    waitedS: Math.round(q.waitedS),
    foreign,
    quiet,
    busyAfter: Math.round(busyAfter * 100) / 100,
    steps: Object.fromEntries(h.names.map((n) => [n, stepsOf(tool, run.recap, n)])),
    changed,
    problems,
  };
  o.log(
    `  ${tool.padEnd(11)} ${kind.padEnd(5)} ${h.names.length} host(s): ${figure.seconds.toFixed(2)} s, ${figure.peakMb} MB peak, ` +
      `load ${figure.loadBefore.toFixed(2)}→${figure.loadAfter.toFixed(2)}, others ${Math.round(foreign * 100)}% CPU${quiet ? '' : ' (NOISY)'}` +
      `${problems.length ? ` — ${problems[0]}` : ''}`,
  );
  return figure;
}

/** Every timed figure of the turn was taken on a quiet machine. */
export function turnQuiet(t: Turn): boolean {
  return t.first.quiet && (t.noop?.quiet ?? true) && (t.floor?.quiet ?? true);
}

export async function toolTurn(tool: Tool, count: number, o: TurnOptions): Promise<Turn> {
  const h = await bootBenchHosts(count);
  const ansibleEnv =
    tool === 'ansible'
      ? ansibleSetup(h.dir, { inventory: h.inventory, knownHosts: h.knownHosts, forks: count })
      : undefined;
  let torn = false;
  try {
    const before = await Promise.all(h.names.map((n) => h.th.snapshotUpper(n)));
    const first = await timedRun(tool, h, o, 'first', ansibleEnv);
    const changes: Record<string, string[]> = {};
    await Promise.all(
      h.names.map(async (n, i) => {
        const upper = h.th.host(n).upperDir;
        const read = (path: string) => {
          try {
            return readFileSync(`${upper}/${path}`, 'utf8');
          } catch {
            return undefined;
          }
        };
        changes[n] = runChanges(before[i] ?? '', await h.th.snapshotUpper(n), read);
      }),
    );
    const turn: Turn = { tool, hosts: count, names: h.names, first, changes };
    if (o.noop !== false && first.problems.length === 0)
      turn.noop = await timedRun(tool, h, o, 'noop', ansibleEnv);
    if (o.floor !== false && tool === 'novastation' && turn.noop && turn.noop.problems.length === 0) {
      const q: Quiet = o.quiet ? await waitQuiet(o.quiet) : { load1: 0, busy: 0, waitedS: 0, quiet: true };
      const others = foreignMeter();
      const f = await runFloor({
        addresses: h.th.hosts.map((x) => x.address),
        keyFile: h.th.privateKeyFile,
        knownHosts: h.knownHosts,
      });
      if (f.code !== 0) throw new Error(`bench/floor.mjs exited ${f.code}: ${tail(f.stderr)}`);
      const foreign = Math.round(others() * 100) / 100;
      const quiet = q.quiet && (!o.quiet || foreign <= o.quiet.maxForeign);
      turn.floor = {
        seconds: Math.round(f.seconds * 1000) / 1000,
        peakMb: f.peakMb,
        quiet,
        foreign,
        loadBefore: f.loadBefore,
        loadAfter: f.loadAfter,
      };
      o.log(
        `  ${'floor'.padEnd(11)} noop  ${count} host(s): ${turn.floor.seconds.toFixed(2)} s, ${f.peakMb} MB peak, ` +
          `load ${f.loadBefore.toFixed(2)}→${f.loadAfter.toFixed(2)}, others ${Math.round(foreign * 100)}% CPU${quiet ? '' : ' (NOISY)'}`,
      );
    }
    if (o.profile && tool === 'novastation' && first.problems.length === 0) {
      const p = await runNovaStation({
        inventory: h.inventory,
        knownHosts: h.knownHosts,
        extra: ['--profile'],
      });
      const out = p.stdout + p.stderr;
      const at = out.indexOf('PROFILE');
      turn.profile = `whole process ${p.seconds.toFixed(3)} s; ${at >= 0 ? out.slice(at).trim() : `no profile in the output (exit ${p.code})`}`;
      const spawnsRun = () =>
        runNovaStation({
          inventory: h.inventory,
          knownHosts: h.knownHosts,
          playbook: spawnsPlaybook,
          extra: ['-l', h.names[0]!],
        });
      // The first run of spawns.ts records its reads; the second is the no-op run that prefetches them.
      await spawnsRun();
      const s = await spawnsRun();
      const lines = s.stderr.split('\n').filter((l) => l.startsWith('spawns '));
      turn.profile += `\nprocesses started on ${h.names[0]} per task (no-op run):\n${lines.length ? lines.join('\n') : `none reported (exit ${s.code})`}`;
    }
    if (o.firstFloor !== false && tool === 'novastation' && first.problems.length === 0) {
      const scripts = h.names.map((n) => firstRunScript(changes[n] ?? [], h.th.host(n).upperDir));
      await h.teardown();
      torn = true;
      turn.firstFloor = await firstFloorTurn(count, scripts, changes, o);
    }
    return turn;
  } finally {
    if (ansibleEnv) await closeMasters(ansibleEnv);
    if (!torn) await h.teardown();
  }
}

/** The first-run floor on fresh hosts: time the scripts, and check they made the first run's changes. */
async function firstFloorTurn(
  count: number,
  scripts: string[],
  novaChanges: Record<string, string[]>,
  o: TurnOptions,
): Promise<FloorFigure & { same: boolean }> {
  const h = await bootBenchHosts(count);
  try {
    const dir = join(h.dir, 'first-floor');
    mkdirSync(dir);
    h.th.hosts.forEach((x, i) => writeFileSync(join(dir, `${x.address}.sh`), scripts[i] ?? ''));
    const before = await Promise.all(h.names.map((n) => h.th.snapshotUpper(n)));
    const q: Quiet = o.quiet ? await waitQuiet(o.quiet) : { load1: 0, busy: 0, waitedS: 0, quiet: true };
    const others = foreignMeter();
    const f = await runFirstFloor({
      addresses: h.th.hosts.map((x) => x.address),
      keyFile: h.th.privateKeyFile,
      knownHosts: h.knownHosts,
      scriptsDir: dir,
    });
    if (f.code !== 0) throw new Error(`bench/floor-first.mjs exited ${f.code}: ${tail(f.stderr)}`);
    const foreign = Math.round(others() * 100) / 100;
    const quiet = q.quiet && (!o.quiet || foreign <= o.quiet.maxForeign);
    let same = true;
    for (const [i, n] of h.names.entries()) {
      const upper = h.th.host(n).upperDir;
      const read = (path: string) => {
        try {
          return readFileSync(`${upper}/${path}`, 'utf8');
        } catch {
          return undefined;
        }
      };
      const c = compareChanges(
        n,
        novaChanges[n] ?? [],
        runChanges(before[i] ?? '', await h.th.snapshotUpper(n), read),
      );
      if (!c.same) {
        same = false;
        o.log(`  first-run floor: ${describeComparison(c, 'novastation', 'floor').split('\n').join('\n  ')}`);
      }
    }
    const figure = {
      seconds: Math.round(f.seconds * 1000) / 1000,
      peakMb: f.peakMb,
      quiet,
      foreign,
      loadBefore: f.loadBefore,
      loadAfter: f.loadAfter,
      same,
    };
    o.log(
      `  ${'floor'.padEnd(11)} first ${count} host(s): ${figure.seconds.toFixed(2)} s, ${f.peakMb} MB peak, ` +
        `load ${f.loadBefore.toFixed(2)}→${f.loadAfter.toFixed(2)}, others ${Math.round(foreign * 100)}% CPU${quiet ? '' : ' (NOISY)'}; ` +
        `same changes as NovaStation's first run: ${same ? 'yes' : 'NO'}`,
    );
    return figure;
  } finally {
    await h.teardown();
  }
}

export interface SameWork {
  ok: boolean;
  /** One line per host (and the differences, when any). */
  lines: string[];
}

/**
 * Both tools did the same work at this size: per host, the same entries written by the first run
 * (sameness.ts) and the same number of steps in the first and the no-op run.
 */
export function sameWork(a: Turn, n: Turn): SameWork {
  const lines: string[] = [];
  let ok = true;
  for (const host of a.names) {
    const c = compareChanges(host, a.changes[host] ?? [], n.changes[host] ?? []);
    const steps = (t: Turn, kind: 'first' | 'noop') => t[kind]?.steps[host];
    const stepsOk = steps(a, 'first') === steps(n, 'first') && steps(a, 'noop') === steps(n, 'noop');
    const stepText = `steps first ${steps(a, 'first')}/${steps(n, 'first')}, no-op ${steps(a, 'noop') ?? '—'}/${steps(n, 'noop') ?? '—'} (ansible/novastation)`;
    if (!c.same || !stepsOk || c.entries === 0) ok = false;
    lines.push(
      `${describeComparison(c, a.tool, n.tool)}; ${stepText}${stepsOk ? '' : ' — STEP COUNTS DIFFER'}`,
    );
  }
  return { ok, lines };
}
