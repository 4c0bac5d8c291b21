/**
 * Figures → results: `bench/results/<date>.json` (the shape issue 4 fixes), the same as a
 * Markdown table (`<date>.md`), and every raw sample beside them (`<date>.samples.json`).
 */
import type { Machine } from './machine.js';
import type { StartUp } from './novastation.js';
import type { Tool } from './turn.js';

export type Kind = 'first' | 'noop';

export interface Sample {
  tool: Tool;
  hosts: number;
  kind: Kind;
  round: number;
  seconds: number;
  peak_mb: number;
  load_before: number;
  load_after: number;
  busy_before: number;
  busy_after: number;
  /** Share of the machine's CPU used by others during the run. */
  foreign: number;
  quiet: boolean;
}

export interface RunRow {
  tool: Tool;
  hosts: number;
  kind: Kind;
  median_s: number;
  min_s: number;
  max_s: number;
  peak_mb: number;
}

export interface Results {
  date: string;
  machine: Machine;
  ansible: string;
  runs: RunRow[];
  ratios: Record<Kind, Record<string, number>>;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r1 = (x: number) => Math.round(x * 10) / 10;

export function summarise(
  date: string,
  machine: Machine,
  ansible: string,
  samples: readonly Sample[],
): Results {
  const runs: RunRow[] = [];
  const keys = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = `${s.tool}|${s.hosts}|${s.kind}`;
    keys.set(key, [...(keys.get(key) ?? []), s]);
  }
  const kindOrder: Kind[] = ['first', 'noop'];
  const sorted = [...keys.values()].sort(
    (a, b) =>
      a[0]!.hosts - b[0]!.hosts ||
      kindOrder.indexOf(a[0]!.kind) - kindOrder.indexOf(b[0]!.kind) ||
      a[0]!.tool.localeCompare(b[0]!.tool),
  );
  for (const group of sorted) {
    const secs = group.map((s) => s.seconds);
    const { tool, hosts, kind } = group[0]!;
    runs.push({
      tool,
      hosts,
      kind,
      median_s: r3(median(secs)),
      min_s: r3(Math.min(...secs)),
      max_s: r3(Math.max(...secs)),
      peak_mb: r1(Math.max(...group.map((s) => s.peak_mb))),
    });
  }
  const ratios: Record<Kind, Record<string, number>> = { noop: {}, first: {} };
  for (const kind of ['noop', 'first'] as const) {
    for (const hosts of [...new Set(runs.map((r) => r.hosts))].sort((a, b) => a - b)) {
      const a = runs.find((r) => r.tool === 'ansible' && r.hosts === hosts && r.kind === kind);
      const n = runs.find((r) => r.tool === 'novastation' && r.hosts === hosts && r.kind === kind);
      if (a && n && n.median_s > 0) ratios[kind][String(hosts)] = r1(a.median_s / n.median_s);
    }
  }
  return { date, machine, ansible, runs, ratios };
}

export interface FloorSample {
  /** The no-op floor (bench/floor.mjs) or the first-run floor (bench/floor-first.mjs); default noop. */
  kind?: 'first' | 'noop';
  hosts: number;
  round: number;
  seconds: number;
  peak_mb: number;
  foreign: number;
  quiet: boolean;
}

export interface Extras {
  rounds: number;
  floor: readonly FloorSample[];
  startUp?: StartUp;
  sameness: string[];
  samenessOk: boolean;
  samples: readonly Sample[];
  command: string;
  /** Processes started on one host by a no-op run (the spawns profile), per size. */
  processes?: Record<string, string>;
}

const fmt = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** The Markdown table (with date, machine, load and start-up), for results/<date>.md and the README. */
export function markdown(res: Results, x: Extras): string {
  const m = res.machine;
  const loads = x.samples.flatMap((s) => [s.load_before, s.load_after]);
  const noisy = x.samples.filter((s) => !s.quiet).length + x.floor.filter((f) => !f.quiet).length;
  const foreign = Math.max(0, ...x.samples.map((s) => s.foreign), ...x.floor.map((f) => f.foreign));
  const lines = [
    `### NovaStation vs Ansible — ${res.date}`,
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memory_gb} GB; load average at start ${m.load_start.map((l) => l.toFixed(2)).join(', ')}; ` +
      `1-minute load around the timed runs ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}` +
      `; other processes used at most ${Math.round(foreign * 100)}% of the CPU during a timed run` +
      `${noisy ? ` (${noisy} figure(s) NOISY: taken on a busy machine after the wait and retry limits)` : ''}.`,
    `Ansible: ${res.ansible}, facts on, pipelining on, ControlPersist 60s, forks = hosts. NovaStation: \`node_modules/.bin/playbook\`, whole process.`,
    `Work: bench/ansible/host-prep.yml vs bench/novastation/ (30 tasks + 2 handlers each); ${x.rounds} round(s) per figure, tools alternated; ` +
      `times in seconds, median (min–max); peak = summed RSS of the tool's process tree on the controller. ` +
      `Floors, whole process: no-op — bench/floor.mjs, node-ssh, one shell per host, one read per task made by bash builtins only (no process on the host; content hashed on the controller); ` +
      `first run — bench/floor-first.mjs, the changes NovaStation's first run made, by a plain shell script over one SSH session per host, on fresh hosts.`,
    `Command: \`${x.command}\``,
    '',
    '| hosts | run | Ansible s | NovaStation s | Ansible / NovaStation | floor s | NovaStation / floor | Ansible peak MB | NovaStation peak MB |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const hostsList = [...new Set(res.runs.map((r) => r.hosts))].sort((a, b) => a - b);
  for (const hosts of hostsList) {
    for (const kind of ['first', 'noop'] as const) {
      const a = res.runs.find((r) => r.tool === 'ansible' && r.hosts === hosts && r.kind === kind);
      const n = res.runs.find((r) => r.tool === 'novastation' && r.hosts === hosts && r.kind === kind);
      const cell = (r: RunRow | undefined) =>
        r ? `${fmt(r.median_s)} (${fmt(r.min_s)}–${fmt(r.max_s)})` : '—';
      const ratio = res.ratios[kind][String(hosts)];
      const floor = x.floor
        .filter((f) => f.hosts === hosts && (f.kind ?? 'noop') === kind)
        .map((f) => f.seconds);
      const fm = floor.length ? median(floor) : undefined;
      const floorCell =
        fm === undefined ? '—' : `${fmt(fm)} (${fmt(Math.min(...floor))}–${fmt(Math.max(...floor))})`;
      const vsFloor = fm && n ? `${(n.median_s / fm).toFixed(1)}×` : '—';
      lines.push(
        `| ${hosts} | ${kind === 'first' ? 'first run' : 'no-op re-run'} | ${cell(a)} | ${cell(n)} | ${ratio !== undefined ? `${ratio}×` : '—'} | ${floorCell} | ${vsFloor} | ${a?.peak_mb ?? '—'} | ${n?.peak_mb ?? '—'} |`,
      );
    }
  }
  if (x.startUp) {
    const s = x.startUp;
    lines.push(
      '',
      `Start-up: \`node_modules/.bin/playbook --help\` ${s.bin_s.toFixed(3)} s; \`npx playbook --help\` ${s.npx_s.toFixed(3)} s ` +
        `(npx's own lookup ${s.npx_overhead_s.toFixed(3)} s, not in the figures above); \`node -e 0\` ${s.node_s.toFixed(3)} s.` +
        (s.version_bin_s !== undefined && s.version_npx_s !== undefined
          ? ` \`node_modules/.bin/playbook --version\` ${s.version_bin_s.toFixed(3)} s; \`npx playbook --version\` ${s.version_npx_s.toFixed(3)} s.`
          : ''),
    );
  }
  if (x.processes && Object.keys(x.processes).length) {
    lines.push(
      '',
      'Processes started on one host by a no-op run (bench/novastation/spawns.ts, prefetch batch included):',
    );
    for (const [size, p] of Object.entries(x.processes)) lines.push(`- at ${size} host(s): ${p}`);
  }
  lines.push(
    '',
    `Sameness (same files, content, modes and step counts after a first run): ${x.samenessOk ? 'passed' : 'FAILED'} — ${x.sameness.length} comparison(s).`,
  );
  return `${lines.join('\n')}\n`;
}
