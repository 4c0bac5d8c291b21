/**
 * The run record (audit log): one JSON file per run under `.novastation/runs/` beside the
 * inventory (or a configured folder), written when the run ends:
 * who ran it, when, which playbook with which options, a digest of the inventory files, per host
 * and per task the status and what changed, the duration, the exit code, and which hosts failed
 * or were unreachable (what `--last-failed` reruns).
 *
 * No secrets: extra vars are recorded by name only; diffs and log lines are left out; every
 * string written passes the process masker (raw, base64, URL-encoded and JSON-escaped forms of
 * every Secret), and so does the final text. The file is written atomically with mode 0600 in a
 * folder with mode 0700.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { processMasker } from '../secret.js';
import { privateDir, writeFileAtomic } from '../vault/files.js';
import {
  countTask,
  emptyCounts,
  type HostCounts,
  type Reporter,
  type RunEvent,
  type TaskStatus,
} from './events.js';
import type { RecordedProbe } from '../host/prefetch.js';

export const RECORD_VERSION = 1;

export interface RecordedTask {
  role: string;
  task: string;
  status: TaskStatus;
  handler?: boolean;
  /** A failure allowed by ignoreErrors. */
  ignored?: boolean;
  /** What changed (or would have, in check mode): the task's change lines. */
  changes?: string[];
  error?: string;
  message?: string;
  /** A line the task wanted repeated under the recap ("reboot required: …"). */
  notice?: string;
  startedAt: string;
  durationMs: number;
}

export type HostOutcome = 'ok' | 'changed' | 'failed' | 'unreachable' | 'skipped';

export interface RecordedHost {
  status: HostOutcome;
  counts: HostCounts;
  /** Why it was unreachable. */
  error?: string;
  tasks: RecordedTask[];
  /**
   * The reads each role sent (role → probes), which the next run prefetches (lib/host/prefetch.ts).
   * In the file a probe's command is a number: its place in the record's `probeCommands` (hosts
   * of one role mostly send the same reads, tens of KB per host); older records hold the text.
   */
  probes?: Record<string, RecordedProbeRef[]>;
}

/** A recorded read: its command's place in `probeCommands` (or, in older records, the text). */
export interface RecordedProbeRef {
  command: number | string;
  inShell?: boolean;
}

export type RunStatus = 'ok' | 'failed' | 'unreachable' | 'interrupted' | 'error' | 'incomplete';

export interface RunRecord {
  version: typeof RECORD_VERSION;
  id: string;
  user: string;
  /** The user behind sudo, when run through it. */
  sudoUser?: string;
  controller: string;
  /** The folder the run was started in (relative paths below are relative to it). */
  cwd: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  playbook: string;
  options: RecordedOptions;
  inventory: { sources: string[]; files: { path: string; sha256: string }[]; digest: string };
  /** The vault file's digest before and after the run (changes when a secret was generated). */
  vault?: { path: string; sha256Before: string | null; sha256After: string | null };
  /** Every distinct command of the hosts' `probes`, each once. Only in a finished run's record. */
  probeCommands?: string[];
  plays: { name: string; pattern: string; hosts: string[] }[];
  hosts: Record<string, RecordedHost>;
  failedHosts: string[];
  unreachableHosts: string[];
  exitCode: number | null;
  status: RunStatus;
  /** The error that ended the run, when it did not end normally. */
  error?: string;
}

export interface RecordedOptions {
  check: boolean;
  diff: boolean;
  limit: string[];
  tags: string[];
  skipTags: string[];
  roles: string[];
  /** Names only: values may be secrets. */
  extraVarNames: string[];
  forks?: number;
  lastFailed?: boolean;
}

/** The run's options as the runner has them (RunOptions-like); only the fields below are read. */
export interface RunOptionsLike {
  check: boolean;
  diff: boolean;
  forks?: number;
  tags?: { only?: string[]; skip?: string[] };
  limit?: string[];
  roles?: string[];
  extraVars?: Record<string, unknown>;
  lastFailed?: boolean;
}

export interface RunRecordOptions {
  /** The folder for records (default: defaultRunsDir(inventoryFiles)). */
  dir?: string;
  playbook: string;
  options: RunOptionsLike;
  /** The inventory sources as given with -i (files, folders). */
  inventoryFiles: string[];
  /** The vault file, to record its digest before and after. */
  vault?: string;
  /** For tests: the clock. */
  now?: () => Date;
}

export interface RunRecordReporter extends Reporter {
  readonly id: string;
  readonly dir: string;
  /** Write the record; returns its path. Later calls return the same path. */
  finish(exitCode: number | null, error?: unknown): Promise<string>;
}

export const RUNS_SUBDIR = join('.novastation', 'runs');

/** `.novastation/runs/` beside the first inventory source (inventory/site.yml → inventory/.novastation/runs). */
export function defaultRunsDir(
  inventoryPaths: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (env.NOVASTATION_RUNS_DIR) return resolve(env.NOVASTATION_RUNS_DIR);
  const first = inventoryPaths.find((p) => existsSync(p));
  return join(first ? dirname(resolve(first)) : process.cwd(), RUNS_SUBDIR);
}

function sha256File(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return null;
  }
}

/** Every file an inventory source reads: the file or the folder's files, and group_vars/host_vars beside it. */
export function inventoryFilesOf(sources: readonly string[]): string[] {
  const files = new Set<string>();
  const walk = (p: string, depth = 0) => {
    if (depth > 20) return;
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isFile()) files.add(resolve(p));
    else if (st.isDirectory()) {
      for (const entry of readdirSync(p).sort()) if (!entry.startsWith('.')) walk(join(p, entry), depth + 1);
    }
  };
  for (const source of sources) {
    if (!existsSync(source)) continue; // a host list (a,b,)
    const st = statSync(source);
    walk(source);
    const base = st.isDirectory() ? source : dirname(source);
    walk(join(base, 'group_vars'));
    walk(join(base, 'host_vars'));
  }
  return [...files].sort();
}

function inventoryDigest(sources: readonly string[]) {
  const files = inventoryFilesOf(sources).map((path) => ({
    path: shownPath(path),
    sha256: sha256File(path) ?? '',
  }));
  const digest = createHash('sha256');
  for (const f of files) digest.update(`${f.path}\0${f.sha256}\n`);
  return { sources: [...sources], files, digest: digest.digest('hex') };
}

/** Relative to the working folder when inside it, else absolute. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return !rel ? resolve(path) : rel.startsWith('..') ? resolve(path) : rel;
}

function compactIso(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Every string in a JSON-able value passed through the masker. */
function maskDeep(value: unknown): unknown {
  if (typeof value === 'string') return processMasker.mask(value);
  if (Array.isArray(value)) return value.map(maskDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [processMasker.mask(k), maskDeep(v)]));
  }
  return value;
}

const MAX_TEXT = 4000;

function shorten(text: string): string {
  return text.length <= MAX_TEXT
    ? text
    : `${text.slice(0, MAX_TEXT)}… (${text.length - MAX_TEXT} more characters)`;
}

function hostOutcome(h: RecordedHost): HostOutcome {
  if (h.error !== undefined || h.counts.unreachable) return 'unreachable';
  if (h.counts.failed) return 'failed';
  if (h.counts.changed) return 'changed';
  if (h.counts.ok) return 'ok';
  return h.tasks.length ? 'skipped' : 'ok';
}

function runStatus(exitCode: number | null): RunStatus {
  switch (exitCode) {
    case 0:
      return 'ok';
    case 2:
      return 'failed';
    case 3:
      return 'unreachable';
    case 99:
      return 'interrupted';
    case null:
      return 'incomplete';
    default:
      return 'error';
  }
}

export function runRecordReporter(options: RunRecordOptions): RunRecordReporter {
  const now = options.now ?? (() => new Date());
  const started = now();
  const id = `${compactIso(started)}-${randomBytes(3).toString('hex')}`;
  const dir = resolve(options.dir ?? defaultRunsDir(options.inventoryFiles));
  const inventory = inventoryDigest(options.inventoryFiles);
  const vaultBefore = options.vault ? sha256File(options.vault) : null;
  const o = options.options;
  const recordedOptions: RecordedOptions = {
    check: o.check,
    diff: o.diff,
    limit: [...(o.limit ?? [])],
    tags: [...(o.tags?.only ?? [])],
    skipTags: [...(o.tags?.skip ?? [])],
    roles: [...(o.roles ?? [])],
    extraVarNames: Object.keys(o.extraVars ?? {}),
    ...(o.forks !== undefined ? { forks: o.forks } : {}),
    ...(o.lastFailed ? { lastFailed: true } : {}),
  };
  const plays: RunRecord['plays'] = [];
  const hosts: Record<string, RecordedHost> = {};
  const hostOf = (name: string): RecordedHost =>
    (hosts[name] ??= { status: 'ok', counts: emptyCounts(), tasks: [] });
  let recapCounts: Record<string, HostCounts> | undefined;
  let written: Promise<string> | undefined;

  const user = (() => {
    try {
      return userInfo().username;
    } catch {
      return process.env.USER ?? String(process.getuid?.() ?? 'unknown');
    }
  })();

  // The reads of each host and role, kept apart from `hosts`: only the final record holds them
  // (as places in one table of distinct commands), so the writes made as the run goes stay small.
  const probesOf = new Map<string, Record<string, RecordedProbe[]>>();
  const recordedProbes = (): Pick<RunRecord, 'probeCommands' | 'hosts'> => {
    const commands = new Map<string, number>();
    const withProbes: Record<string, RecordedHost> = {};
    for (const [name, h] of Object.entries(hosts)) {
      const roles = probesOf.get(name);
      if (!roles) {
        withProbes[name] = h;
        continue;
      }
      const probes: Record<string, RecordedProbeRef[]> = {};
      for (const [role, list] of Object.entries(roles)) {
        probes[role] = list.map((p) => {
          let at = commands.get(p.command);
          if (at === undefined) commands.set(p.command, (at = commands.size));
          return p.inShell ? { command: at, inShell: true } : { command: at };
        });
      }
      withProbes[name] = { ...h, probes };
    }
    return commands.size ? { probeCommands: [...commands.keys()], hosts: withProbes } : { hosts };
  };

  const build = (exitCode: number | null, error: unknown, final: boolean): RunRecord => {
    const ended = now();
    for (const [name, counts] of Object.entries(recapCounts ?? {})) hostOf(name).counts = { ...counts };
    for (const h of Object.values(hosts)) h.status = hostOutcome(h);
    const names = Object.keys(hosts);
    const record: RunRecord = {
      version: RECORD_VERSION,
      id,
      user,
      ...(process.env.SUDO_USER && process.env.SUDO_USER !== user ? { sudoUser: process.env.SUDO_USER } : {}),
      controller: hostname(),
      cwd: process.cwd(),
      startedAt: started.toISOString(),
      endedAt: ended.toISOString(),
      durationMs: ended.getTime() - started.getTime(),
      playbook: shownPath(options.playbook),
      options: recordedOptions,
      inventory,
      ...(options.vault
        ? {
            vault: {
              path: shownPath(options.vault),
              sha256Before: vaultBefore,
              sha256After: sha256File(options.vault),
            },
          }
        : {}),
      plays,
      hosts,
      ...(final ? recordedProbes() : {}),
      failedHosts: names.filter((n) => hosts[n]!.status === 'failed'),
      unreachableHosts: names.filter((n) => hosts[n]!.status === 'unreachable'),
      exitCode,
      status: runStatus(exitCode),
      ...(error !== undefined ? { error: error instanceof Error ? error.message : String(error) } : {}),
    };
    return record;
  };

  const write = async (exitCode: number | null, error: unknown, final: boolean): Promise<string> => {
    const record = maskDeep(build(exitCode, error, final)) as RunRecord;
    // Masked first, then shortened: a cut can never leave half of a secret unmasked.
    for (const h of Object.values(record.hosts)) {
      for (const t of h.tasks) {
        if (t.message) t.message = shorten(t.message);
        if (t.error) t.error = shorten(t.error);
      }
    }
    const safe = `${JSON.stringify(record, null, 2)}\n`;
    // Belt and braces: mask the whole text too, unless that would break the JSON (a "secret"
    // that spans JSON punctuation); every string inside is masked already.
    const masked = processMasker.mask(safe);
    let text = safe;
    if (masked !== safe) {
      try {
        JSON.parse(masked);
        text = masked;
      } catch {
        text = safe;
      }
    }
    await privateDir(dir);
    const path = join(dir, `${id}.json`);
    await writeFileAtomic(path, text, 0o600);
    return path;
  };

  // Written as the run goes (status `incomplete`, exit code null), so a run killed with -9 still
  // leaves a record of every task it reported up to the kill. One write at a time; events that
  // arrive meanwhile are folded into the next write.
  let flushing: Promise<unknown> | undefined;
  let dirty = false;
  const flush = (): void => {
    if (written) return;
    if (flushing) {
      dirty = true;
      return;
    }
    flushing = write(null, undefined, false)
      .catch(() => undefined) // the final write reports a failing folder
      .finally(() => {
        flushing = undefined;
        if (dirty && !written) {
          dirty = false;
          flush();
        }
      });
  };

  return {
    id,
    dir,
    event(e: RunEvent) {
      if (e.type === 'task' || e.type === 'host' || e.type === 'play') queueMicrotask(flush);
      switch (e.type) {
        case 'play':
          plays.push({ name: e.name, pattern: e.pattern, hosts: [...e.hosts] });
          for (const h of e.hosts) hostOf(h);
          break;
        case 'task': {
          const h = hostOf(e.host);
          countTask(h.counts, e);
          h.tasks.push({
            role: e.role,
            task: e.task,
            status: e.status,
            ...(e.handler ? { handler: true } : {}),
            ...(e.changes?.length ? { changes: [...e.changes] } : {}),
            ...(e.error ? { error: e.error } : {}),
            ...(e.ignored ? { ignored: true } : {}),
            ...(e.message ? { message: e.message } : {}),
            ...(e.notice ? { notice: e.notice } : {}),
            startedAt: new Date(e.startedAt).toISOString(),
            durationMs: e.durationMs,
          });
          break;
        }
        case 'host': {
          const h = hostOf(e.host);
          h.counts.unreachable++;
          h.error = e.error;
          break;
        }
        case 'recap':
          recapCounts = e.hosts;
          break;
        case 'probes': {
          hostOf(e.host);
          const roles = probesOf.get(e.host) ?? {};
          roles[e.role] = e.probes;
          probesOf.set(e.host, roles);
          break;
        }
        default:
          break;
      }
    },
    finish(exitCode: number | null, error?: unknown): Promise<string> {
      // After any write in flight, so the final record is the last one written.
      written ??= (flushing ?? Promise.resolve()).then(() => write(exitCode, error, true));
      return written;
    },
    async close() {
      // A run that ended without finish() (an error escaped) is still recorded, as incomplete.
      if (!written) await this.finish(null);
    },
  };
}

/**
 * The reads of each role on each host (host → role → probes), for prefetching: for each host,
 * from the newest record of `playbook` in `dir` that holds that host's reads, so a run limited to
 * some hosts (`--limit`) does not cost the others their batch on the next run; {} when there is
 * none. Reads only the newest records (ids start with the start time, so names sort by it), and
 * stops as soon as every host of `hosts` (when given: the run's hosts) has its reads.
 */
export function lastProbesOf(
  dir: string,
  playbook: string,
  hosts?: Iterable<string>,
): Record<string, Record<string, RecordedProbe[]>> {
  const wanted = hosts ? new Set(hosts) : undefined;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return {};
  }
  names.sort().reverse();
  const out: Record<string, Record<string, RecordedProbe[]>> = {};
  for (const name of names.slice(0, 20)) {
    if (wanted && [...wanted].every((h) => out[h])) break;
    let record: RunRecord;
    try {
      record = readRunRecord(join(dir, name));
    } catch {
      continue;
    }
    if (resolve(record.cwd ?? '.', record.playbook ?? '') !== resolve(playbook)) continue;
    const commands = record.probeCommands ?? [];
    for (const [host, h] of Object.entries(record.hosts ?? {})) {
      if (!h.probes || out[host] || (wanted && !wanted.has(host))) continue;
      const roles: Record<string, RecordedProbe[]> = {};
      for (const [role, list] of Object.entries(h.probes)) {
        roles[role] = list.flatMap((p): RecordedProbe[] => {
          const command = typeof p.command === 'number' ? commands[p.command] : p.command;
          if (typeof command !== 'string') return []; // a damaged record: that read runs live
          return [p.inShell ? { command, inShell: true } : { command }];
        });
      }
      out[host] = roles;
    }
  }
  return out;
}

/** Read one record file. */
export function readRunRecord(path: string): RunRecord {
  return JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
}
