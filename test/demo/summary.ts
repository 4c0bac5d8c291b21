/**
 * The demo's machine-readable summary: one line per phase, `DEMO-SUMMARY {json}`, beside the
 * human output. The end-to-end test (demo-log.test.ts) reads these lines from the demo's log.
 */
import type { RunEvent } from '../../lib/report/events.js';

export const SUMMARY_PREFIX = 'DEMO-SUMMARY ';

export interface RunSummary {
  phase: 'first run' | 'second run' | 'check mode';
  exit: number;
  durationS: number;
  /** Every play of the run and the hosts it ran on. */
  plays: { name: string; hosts: string[] }[];
  changed: number;
  failed: number;
  unreachable: number;
  /** Hosts with changed tasks, and those tasks (for a second run that is not clean). */
  changedTasks: string[];
}

export interface SetupSummary {
  phase: 'setup';
  /** `hosts`: real test hosts for the Linux roles; `simulated`: the simulators only. */
  mode: 'hosts' | 'simulated';
  why?: string;
  /** Where the users sync went: the deployed stack's webapp, or the Guacamole simulator. */
  guacamole: 'stack' | 'simulator';
  simulated: string[];
  durationS: number;
  /** SHA-256 (first 16 hex) of the simulators' credentials, for a leak check without the values. */
  credentialHashes: string[];
}

export interface RdpSummary {
  phase: 'rdp login';
  ok: boolean;
  skipped?: string;
  user?: string;
  vm?: string;
  /** Where the connection parameters were read back from. */
  source?: 'stack' | 'simulator';
  parameters?: Record<string, string>;
  screenshot?: string;
  loginScreen?: string;
  sessionCreated?: boolean;
  colours?: number;
  differing?: number;
  durationS: number;
  error?: string;
}

export interface DoneSummary {
  phase: 'done';
  exit: number;
  durationS: number;
}

export type Summary = RunSummary | SetupSummary | RdpSummary | DoneSummary;

export function summaryLine(s: Summary): string {
  return `${SUMMARY_PREFIX}${JSON.stringify(s)}`;
}

export function parseSummaries(log: string): Summary[] {
  return log
    .split('\n')
    .filter((l) => l.startsWith(SUMMARY_PREFIX))
    .map((l) => JSON.parse(l.slice(SUMMARY_PREFIX.length)) as Summary);
}

/** A playbook's plays by name and role names (the JSON Lines output has no play events). */
export type PlayRoles = { name: string; roles: string[] }[];

/** A run's summary from its JSON Lines events: a play ran on the hosts that ran its roles' tasks. */
export function summarize(
  phase: RunSummary['phase'],
  exit: number,
  durationS: number,
  events: RunEvent[],
  playbook: PlayRoles,
): RunSummary {
  const plays = playbook.map((p) => ({
    name: p.name,
    hosts: [
      ...new Set(events.flatMap((e) => (e.type === 'task' && p.roles.includes(e.role) ? [e.host] : []))),
    ].sort(),
  }));
  const recap = events.find((e) => e.type === 'recap');
  const counts = Object.values(recap?.type === 'recap' ? recap.hosts : {});
  const total = (k: 'changed' | 'failed' | 'unreachable') => counts.reduce((n, c) => n + c[k], 0);
  const changedTasks = events.flatMap((e) =>
    e.type === 'task' && e.status === 'changed' ? [`${e.host}: ${e.role} / ${e.task}`] : [],
  );
  return {
    phase,
    exit,
    durationS,
    plays,
    changed: total('changed'),
    failed: total('failed'),
    unreachable: total('unreachable'),
    changedTasks,
  };
}
