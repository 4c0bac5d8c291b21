/**
 * `playbook history`: the run records (lib/report/run-record.ts) of an inventory.
 *
 *   playbook history [list] [--dir DIR | -i INVENTORY] [--json] [-n N]
 *   playbook history show ID|last [--dir DIR | -i INVENTORY] [--json]
 *   playbook history --last-failed [--playbook FILE] [--dir DIR | -i INVENTORY]
 *
 * `list` (the default) prints the runs newest first: id, start time, user, playbook, exit code
 * and how many hosts ended ok / changed / failed / unreachable. `show` prints one run (an id, a
 * unique prefix of one, or `last`) with every host's tasks and changes. `--last-failed` prints the
 * hosts that failed or were unreachable in the newest run, one per line — what
 * `playbook PLAYBOOK --last-failed` reruns (lastFailedHosts below).
 */
import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BadOptionsError, ExitCode } from '../errors.js';
import { optionsError } from './unknown-option.js';
import { defaultRunsDir, readRunRecord, type RunRecord } from '../report/run-record.js';

export const HISTORY_HELP = `usage: playbook history [list] [--runs-dir DIR | -i INVENTORY] [--json] [-n N]
       playbook history show ID|last [--runs-dir DIR | -i INVENTORY] [--json]
       playbook history --last-failed [--playbook FILE] [--runs-dir DIR | -i INVENTORY]

Past runs, from the run records in .novastation/runs/ beside the inventory: found the way
playbook PLAYBOOK writes them, with the same -i and --runs-dir.

  list                 the runs, newest first (the default)
  show ID              one run (an id, a unique prefix of one, or "last"): hosts, tasks, changes
  --last-failed        the hosts that failed or were unreachable in the newest run, one per line
                       (playbook PLAYBOOK --last-failed reruns exactly these)
  --playbook FILE      with --last-failed: the newest run of this playbook
  --runs-dir DIR        the records folder (--dir too; NOVASTATION_RUNS_DIR overrides the default)
  -i, --inventory INV  beside this inventory, as playbook -i INV (a host list a,b,: the working
                       folder). Default: beside inventory/site.yml here (or beside --playbook's)
                       and in the working folder
  -n N                 list at most N runs
  --json               print records as JSON
`;

export interface RunSummary {
  id: string;
  file: string;
  record: RunRecord;
}

/** Every readable record in `dir` (or in each of several), newest first. Files that are not records are skipped. */
export function listRuns(dir: string | readonly string[]): RunSummary[] {
  if (typeof dir !== 'string') {
    return [...new Set(dir)]
      .flatMap((d) => listRuns(d))
      .sort((a, b) => b.record.startedAt.localeCompare(a.record.startedAt) || b.id.localeCompare(a.id));
  }
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const runs: RunSummary[] = [];
  for (const entry of entries) {
    if (!entry.endsWith('.json') || entry.startsWith('.')) continue;
    const file = join(dir, entry);
    try {
      const record = readRunRecord(file);
      if (typeof record?.id !== 'string' || typeof record.startedAt !== 'string') continue;
      runs.push({ id: record.id, file, record });
    } catch {
      continue;
    }
  }
  return runs.sort(
    (a, b) => b.record.startedAt.localeCompare(a.record.startedAt) || b.id.localeCompare(a.id),
  );
}

function samePlaybook(record: RunRecord, playbook: string): boolean {
  return resolve(record.cwd ?? '.', record.playbook) === resolve(playbook);
}

/** The newest run (of `playbook`, when given). */
export function latestRun(
  dir: string | readonly string[],
  options: { playbook?: string } = {},
): RunRecord | undefined {
  return listRuns(dir).find((r) => !options.playbook || samePlaybook(r.record, options.playbook))?.record;
}

/**
 * The hosts that failed or were unreachable in the newest run (of `playbook`, when given), in the
 * order the run met them; [] when there is no run or nothing failed.
 */
export function lastFailedHosts(
  dir: string | readonly string[],
  options: { playbook?: string } = {},
): string[] {
  const last = latestRun(dir, options);
  if (!last) return [];
  const failed = new Set([...(last.failedHosts ?? []), ...(last.unreachableHosts ?? [])]);
  return Object.keys(last.hosts ?? {}).filter((h) => failed.has(h));
}

/** A run by id, unique id prefix, or `last`. */
export function findRun(dir: string | readonly string[], id: string): RunSummary {
  const runs = listRuns(dir);
  if (!runs.length) throw new BadOptionsError(`no runs recorded in ${[dir].flat().join(' or ')}`);
  if (id === 'last') return runs[0]!;
  const exact = runs.find((r) => r.id === id);
  if (exact) return exact;
  const matches = runs.filter((r) => r.id.startsWith(id));
  if (matches.length === 1) return matches[0]!;
  if (!matches.length) throw new BadOptionsError(`no run ${id} in ${dir} (see: playbook history list)`);
  throw new BadOptionsError(`${id} matches ${matches.length} runs: ${matches.map((m) => m.id).join(', ')}`);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Local time, `YYYY-MM-DD HH:MM:SS`. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

function outcomeCounts(record: RunRecord) {
  const c = { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0 };
  for (const h of Object.values(record.hosts ?? {})) c[h.status] = (c[h.status] ?? 0) + 1;
  return c;
}

/** Columns padded to the widest cell, two spaces apart (the last one not padded). */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function formatList(runs: RunSummary[]): string {
  if (!runs.length) return '';
  const rows = [
    ['ID', 'STARTED', 'USER', 'PLAYBOOK', 'MODE', 'EXIT', 'HOSTS', 'OK', 'CHANGED', 'FAILED', 'UNREACHABLE'],
  ];
  for (const { record: r } of runs) {
    const c = outcomeCounts(r);
    rows.push([
      r.id,
      localTime(r.startedAt),
      r.sudoUser ? `${r.user} (${r.sudoUser})` : r.user,
      r.playbook,
      r.options?.check ? 'check' : 'run',
      r.exitCode === null ? '-' : String(r.exitCode),
      String(Object.keys(r.hosts ?? {}).length),
      String(c.ok + c.skipped),
      String(c.changed),
      String(c.failed),
      String(c.unreachable),
    ]);
  }
  return table(rows);
}

function optionsText(r: RunRecord): string {
  const o = r.options;
  if (!o) return '';
  const parts: string[] = [];
  if (o.check) parts.push('--check');
  if (o.diff) parts.push('--diff');
  if (o.lastFailed) parts.push('--last-failed');
  for (const l of o.limit ?? []) parts.push(`--limit ${l}`);
  if (o.tags?.length) parts.push(`--tags ${o.tags.join(',')}`);
  if (o.skipTags?.length) parts.push(`--skip-tags ${o.skipTags.join(',')}`);
  if (o.roles?.length) parts.push(`--role ${o.roles.join(',')}`);
  if (o.forks !== undefined) parts.push(`--forks ${o.forks}`);
  if (o.extraVarNames?.length) parts.push(`-e (${o.extraVarNames.join(', ')})`);
  return parts.join(' ') || '(none)';
}

export function formatRun(r: RunRecord): string {
  const lines: string[] = [];
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  lines.push(`run ${r.id}`);
  lines.push(`  playbook     ${r.playbook}`);
  lines.push(`  user         ${r.user}${r.sudoUser ? ` (sudo from ${r.sudoUser})` : ''} on ${r.controller}`);
  lines.push(
    `  started      ${localTime(r.startedAt)}   ended ${localTime(r.endedAt)}   (${secs(r.durationMs)})`,
  );
  lines.push(`  options      ${optionsText(r)}`);
  if (r.inventory)
    lines.push(
      `  inventory    ${r.inventory.sources.join(', ')} (sha256 ${r.inventory.digest.slice(0, 16)}…, ${r.inventory.files.length} files)`,
    );
  if (r.vault)
    lines.push(
      `  vault        ${r.vault.path}${r.vault.sha256Before !== r.vault.sha256After ? ' (changed by this run)' : ''}`,
    );
  lines.push(
    `  exit         ${r.exitCode === null ? '(none: the run did not finish)' : r.exitCode} (${r.status})`,
  );
  if (r.failedHosts?.length) lines.push(`  failed       ${r.failedHosts.join(', ')}`);
  if (r.unreachableHosts?.length) lines.push(`  unreachable  ${r.unreachableHosts.join(', ')}`);
  if (r.error) lines.push(`  error        ${r.error}`);
  for (const [name, h] of Object.entries(r.hosts ?? {})) {
    const c = h.counts;
    lines.push(
      '',
      `${name}  ${h.status}  (ok ${c.ok}, changed ${c.changed}, failed ${c.failed}, skipped ${c.skipped}, unreachable ${c.unreachable})`,
    );
    if (h.error) lines.push(`    unreachable: ${h.error}`);
    for (const t of h.tasks) {
      lines.push(`    ${t.role} | ${t.handler ? 'handler ' : ''}${t.task} | ${t.status}`);
      for (const change of t.changes ?? []) lines.push(`        ${change}`);
      if (t.error) lines.push(...t.error.split('\n').map((l) => `        ${l}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Where to read run records, found the way `playbook PLAYBOOK` writes them: `--runs-dir` (or
 * NOVASTATION_RUNS_DIR), else beside the first inventory file given with `-i` (the working folder
 * for a host list `a,b,`). Without either, beside the default inventory of the playbook
 * (`--playbook`, else one in the working folder: inventory/site.yml beside it) and in the working
 * folder itself, where runs with `-i hosts.yml` or a host list from here put them.
 */
export function historyDirs(o: {
  runsDir?: string | undefined;
  inventory: string[];
  playbook?: string;
}): string[] {
  if (o.runsDir) return [resolve(o.runsDir)];
  if (o.inventory.length || process.env.NOVASTATION_RUNS_DIR) return [defaultRunsDir(o.inventory)];
  const beside = o.playbook ? dirname(o.playbook) : '.';
  return [...new Set([defaultRunsDir([join(beside, 'inventory', 'site.yml')]), defaultRunsDir([])])];
}

const HISTORY_OPTIONS = {
  dir: { type: 'string' },
  'runs-dir': { type: 'string' },
  inventory: { type: 'string', short: 'i', multiple: true },
  json: { type: 'boolean' },
  'last-failed': { type: 'boolean' },
  playbook: { type: 'string' },
  n: { type: 'string', short: 'n' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function historyCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: HISTORY_OPTIONS,
    });
  } catch (error) {
    throw optionsError(
      error,
      HISTORY_OPTIONS,
      'usage: playbook history [list | show ID | --last-failed] [--runs-dir DIR | -i INVENTORY]',
    );
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(HISTORY_HELP);
    return ExitCode.ok;
  }
  const dir = historyDirs({
    runsDir: v['runs-dir'] ?? v.dir,
    inventory: v.inventory ?? [],
    ...(v.playbook ? { playbook: v.playbook } : {}),
  });
  const [action = 'list', ...rest] = parsed.positionals;
  const shown = dir.map((d) => relative(process.cwd(), d) || d).join(' or ');

  if (v['last-failed']) {
    if (parsed.positionals.length) throw new BadOptionsError('--last-failed takes no list/show');
    const hosts = lastFailedHosts(dir, v.playbook ? { playbook: v.playbook } : {});
    process.stdout.write(hosts.map((h) => `${h}\n`).join(''));
    return ExitCode.ok;
  }
  if (action === 'list') {
    if (rest.length) throw new BadOptionsError(`history list takes no arguments, got: ${rest.join(' ')}`);
    let runs = listRuns(dir);
    if (v.n !== undefined) {
      const n = Number(v.n);
      if (!Number.isInteger(n) || n < 1)
        throw new BadOptionsError(`-n must be a positive integer, got ${v.n}`);
      runs = runs.slice(0, n);
    }
    if (v.json) {
      process.stdout.write(runs.map((r) => `${JSON.stringify(r.record)}\n`).join(''));
    } else if (!runs.length) {
      process.stderr.write(`no runs recorded in ${shown}\n`);
    } else {
      process.stdout.write(formatList(runs));
    }
    return ExitCode.ok;
  }
  if (action === 'show') {
    if (rest.length !== 1) throw new BadOptionsError('usage: playbook history show ID|last');
    const run = findRun(dir, rest[0]!);
    process.stdout.write(v.json ? `${JSON.stringify(run.record, null, 2)}\n` : formatRun(run.record));
    return ExitCode.ok;
  }
  throw new BadOptionsError(
    `unknown history action "${action}" (list, show ID, --last-failed; see playbook history --help)`,
  );
}
