/**
 * NovaStation vs Ansible, side by side, on real test hosts (issue 4).
 *
 *   npm run bench -- [--sizes 1,5,20] [--rounds 3] [--profile] [--max-load 1.5] …
 *   node scripts/run-ts.mjs bench/run.ts …        (the same, without the build step)
 *
 * For each size and round, each tool in turn (Ansible, NovaStation, Ansible, …) gets freshly booted
 * hosts: its first run is timed (everything changes), what it wrote is snapshotted, then its no-op
 * re-run is timed (nothing changes). Both tools' first runs must leave the same files with the same
 * content and modes and report the same step counts (the sameness check), or the run fails.
 * See bench/README.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testHostSupport } from '../test/harness/index.js';
import { ansibleSetup, ansibleVersion, ensureAnsible, runAnsible } from './lib/ansible.js';
import { loadAverage, machineInfo, type QuietOptions } from './lib/machine.js';
import {
  ansiblePlaybook,
  measureStartUp,
  playbookBin,
  playbookPresent,
  repoRoot,
  warmNovaStation,
  type StartUp,
} from './lib/novastation.js';
import { markdown, summarise, type FloorSample, type Sample } from './lib/results.js';
import { sameWork, TOOLS, toolTurn, turnQuiet, type Tool, type Turn } from './lib/turn.js';

const USAGE = `Usage: npm run bench -- [options]

  --sizes N,N,…     host counts (default 1,5,20)
  --rounds N        rounds per size; each round times both tools once (default 3)
  --tools LIST      ansible,novastation (default both; one tool alone skips sameness and ratios)
  --profile         also print NovaStation's --profile of a no-op run at each size (time per
                    role and task, remote round trips) and the start-up costs
  --max-load X      wait before each timed run until uptime's 1-minute load is below X… (1.5)
  --max-busy X      …or the whole machine's CPU was at most X busy over 3 s (0.15; the load
                    average trails our own previous run by a minute)
  --max-wait S      wait at most S seconds for that, then run and mark the figure noisy (300;
                    0: never wait, never retry)
  --max-foreign X   a run during which other processes than the benchmark's (the tool, the
                    test hosts) used more than X of the machine's CPU is noisy (0.1)…
  --retries N       …and its turn is done again on fresh hosts, up to N times (2); after that
                    the figure is kept and marked noisy
  --out DIR         where results go (default bench/results)
  --no-write        print the table, write no results
  -h, --help        this help
`;

interface Options {
  sizes: number[];
  rounds: number;
  tools: Tool[];
  profile: boolean;
  maxLoad: number;
  maxBusy: number;
  maxWait: number;
  maxForeign: number;
  retries: number;
  out: string;
  write: boolean;
}

function parseArgs(argv: string[]): Options | string {
  const o: Options = {
    sizes: [1, 5, 20],
    rounds: 3,
    tools: [...TOOLS],
    profile: false,
    maxLoad: 1.5,
    maxBusy: 0.15,
    maxWait: 300,
    maxForeign: 0.1,
    retries: 2,
    out: join(repoRoot, 'bench', 'results'),
    write: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const num = (min: number): number => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < min) throw new Error(`${flag} must be a number ≥ ${min}`);
      return v;
    };
    try {
      switch (flag) {
        case '--sizes':
          o.sizes = value()
            .split(',')
            .map((s) => Number(s.trim()));
          if (!o.sizes.length || o.sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 60))
            return '--sizes must be host counts from 1 to 60, like 1,5,20';
          break;
        case '--rounds':
          o.rounds = num(1);
          if (!Number.isInteger(o.rounds)) return '--rounds must be a whole number';
          break;
        case '--tools': {
          const tools = value()
            .split(',')
            .map((t) => t.trim());
          if (!tools.length || tools.some((t) => !TOOLS.includes(t as Tool)))
            return `--tools takes ${TOOLS.join(',')}`;
          o.tools = TOOLS.filter((t) => tools.includes(t));
          break;
        }
        case '--profile':
          o.profile = true;
          break;
        case '--max-load':
          o.maxLoad = num(0);
          break;
        case '--max-busy':
          o.maxBusy = num(0);
          break;
        case '--max-wait':
          o.maxWait = num(0);
          break;
        case '--max-foreign':
          o.maxForeign = num(0);
          break;
        case '--retries':
          o.retries = num(0);
          break;
        case '--out':
          o.out = value();
          break;
        case '--no-write':
          o.write = false;
          break;
        case '-h':
        case '--help':
          return '';
        default:
          return `unknown option ${arg}`;
      }
    } catch (e) {
      return (e as Error).message;
    }
  }
  return o;
}

const log = (line: string) => console.log(line);

/** Loads both playbooks once (NovaStation's loader caches its bundle; Python's modules reach the page cache). */
async function warmUp(tools: readonly Tool[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-warm-'));
  try {
    const inventory = join(dir, 'hosts.yml');
    writeFileSync(inventory, 'all:\n  hosts:\n    bench1:\n      ansible_host: 127.0.0.1\n');
    if (tools.includes('novastation')) {
      const w = await warmNovaStation(inventory);
      if (w.code !== 0)
        throw new Error(
          `${playbookBin} could not load bench/novastation/host-prep.ts:\n${w.stdout}${w.stderr}`,
        );
    }
    if (tools.includes('ansible')) {
      const setup = ansibleSetup(dir, { inventory, knownHosts: join(dir, 'known_hosts'), forks: 1 });
      const w = await runAnsible(setup, ansiblePlaybook, ['--syntax-check']);
      if (w.code !== 0) throw new Error(`ansible-playbook --syntax-check failed:\n${w.stdout}${w.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (typeof parsed === 'string') {
    if (parsed) console.error(`bench: ${parsed}\n`);
    (parsed ? console.error : console.log)(USAGE);
    return parsed ? 5 : 0;
  }
  const o = parsed;
  const support = testHostSupport();
  if (!support.ok) {
    console.error(`bench: test hosts unavailable: ${support.why}`);
    return 1;
  }
  if (o.tools.includes('novastation') && !playbookPresent()) {
    console.error(`bench: ${playbookBin} is missing: run \`npm run build\` first (npm run bench does)`);
    return 1;
  }
  if (o.tools.includes('ansible')) await ensureAnsible(log);

  const started = new Date();
  const date = started.toISOString().slice(0, 10);
  const machine = machineInfo();
  const ansible = o.tools.includes('ansible') ? await ansibleVersion() : 'not run';
  const command = `npm run bench -- ${argv.join(' ')}`.trim();
  log(
    `NovaStation vs Ansible — ${date}; sizes ${o.sizes.join(',')}; ${o.rounds} round(s); tools ${o.tools.join(', ')}`,
  );
  log(
    `machine: ${machine.cores} cores, ${machine.memory_gb} GB, ${machine.cpu}; load ${machine.load_start.join(' ')}; ${ansible}`,
  );
  await warmUp(o.tools);

  const quiet: QuietOptions | undefined =
    o.maxWait > 0
      ? { maxLoad: o.maxLoad, maxBusy: o.maxBusy, maxWaitS: o.maxWait, maxForeign: o.maxForeign, log }
      : undefined;
  let startUp: StartUp | undefined;
  if (o.tools.includes('novastation')) {
    startUp = await measureStartUp();
    log(
      `start-up: playbook --help ${startUp.bin_s} s; npx playbook --help ${startUp.npx_s} s (npx lookup ${startUp.npx_overhead_s} s); node -e 0 ${startUp.node_s} s; ` +
        `playbook --version ${startUp.version_bin_s} s; npx playbook --version ${startUp.version_npx_s} s`,
    );
  }

  const samples: Sample[] = [];
  const floor: FloorSample[] = [];
  const sameness: string[] = [];
  const failures: string[] = [];
  let samenessOk = true;
  const profiles: Record<string, string> = {};
  const processes: Record<string, string> = {};
  for (const size of o.sizes) {
    for (let round = 1; round <= o.rounds; round++) {
      log(`size ${size}, round ${round}/${o.rounds}:`);
      const turns: Partial<Record<Tool, Turn>> = {};
      for (const tool of o.tools) {
        const profile = o.profile && round === o.rounds;
        let turn = await toolTurn(tool, size, { log, ...(quiet ? { quiet } : {}), profile });
        for (let retry = 1; quiet && !turnQuiet(turn) && retry <= o.retries; retry++) {
          log(`  others were busy: ${tool}'s turn again on fresh hosts (retry ${retry}/${o.retries})`);
          turn = await toolTurn(tool, size, { log, quiet, profile });
        }
        turns[tool] = turn;
        for (const kind of ['first', 'noop'] as const) {
          const f = turn[kind];
          if (!f) continue;
          if (f.problems.length)
            failures.push(`${tool} ${kind} at ${size} host(s), round ${round}: ${f.problems.join('\n')}`);
          else
            samples.push({
              tool,
              hosts: size,
              kind,
              round,
              seconds: f.seconds,
              peak_mb: f.peakMb,
              load_before: f.loadBefore,
              load_after: f.loadAfter,
              busy_before: f.busyBefore,
              busy_after: f.busyAfter,
              foreign: f.foreign,
              quiet: f.quiet,
            });
        }
        if (turn.floor)
          floor.push({
            hosts: size,
            round,
            seconds: turn.floor.seconds,
            peak_mb: turn.floor.peakMb,
            foreign: turn.floor.foreign,
            quiet: turn.floor.quiet,
          });
        if (turn.firstFloor)
          floor.push({
            kind: 'first',
            hosts: size,
            round,
            seconds: turn.firstFloor.seconds,
            peak_mb: turn.firstFloor.peakMb,
            foreign: turn.firstFloor.foreign,
            quiet: turn.firstFloor.quiet,
          });
        if (turn.profile) {
          const total = /spawns +(-?\d+) \(all of host-prep/.exec(turn.profile);
          const batch = /spawns +(-?\d+) \(prefetch batch\)/.exec(turn.profile);
          if (total)
            processes[String(size)] = `${total[1]} (of which the prefetch batch ${batch?.[1] ?? '?'})`;
          profiles[String(size)] = turn.profile;
          log(`  profile of a no-op run at ${size} host(s): ${turn.profile}`);
        }
      }
      if (turns.ansible && turns.novastation) {
        const same = sameWork(turns.ansible, turns.novastation);
        if (!same.ok) samenessOk = false;
        for (const l of same.lines) {
          sameness.push(`size ${size} round ${round}: ${l}`);
          if (!same.ok || round === 1) log(`  ${l.split('\n').join('\n  ')}`);
        }
      }
    }
  }
  for (const f of failures) console.error(`FAILED: ${f}`);

  const res = summarise(date, machine, ansible, samples);
  const md = markdown(res, {
    rounds: o.rounds,
    floor,
    ...(startUp ? { startUp } : {}),
    sameness,
    samenessOk,
    samples,
    command,
    processes,
  });
  log('');
  log(md);
  const both = o.tools.length === TOOLS.length;
  if (o.write && failures.length === 0) {
    mkdirSync(o.out, { recursive: true });
    // One tool alone (e.g. NovaStation at 50 hosts) gives no ratios: its own files, beside the others.
    const base = join(o.out, both ? date : `${date}-${o.tools.join('-')}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(res, null, 2)}\n`);
    writeFileSync(`${base}.md`, md);
    const detail = {
      command,
      options: o,
      started: started.toISOString(),
      finished: new Date().toISOString(),
      load_end: loadAverage(),
      startUp,
      samples,
      floor,
      sameness,
      profiles,
      processes,
    };
    writeFileSync(`${base}.samples.json`, `${JSON.stringify(detail, null, 2)}\n`);
    log(`results: ${base}.json, ${base}.md, ${base}.samples.json`);
  } else if (o.write) {
    log('results not written: some runs failed');
  }
  if (!samenessOk)
    console.error('FAILED: the two tools did not do the same work (see the sameness lines above)');
  return failures.length || !samenessOk ? 1 : 0;
}
