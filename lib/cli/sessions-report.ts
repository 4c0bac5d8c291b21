/**
 * What `playbook sessions` prints: desktop sessions from Guacamole's connection history, as a
 * table (local times) or as one JSON document (ISO times in UTC, durations in seconds), and how
 * it reads `--since`/`--until`.
 */
import type { ConnectionRecord } from '../guacamole/history.js';
import { BadOptionsError } from '../errors.js';
import { localTime, table } from './history-command.js';

export interface Session {
  user: string;
  /** The connection's name: the VM's inventory name for the connections the guacamole role made. */
  vm: string;
  /** The address the user connected from (Guacamole's remote host: the real client only behind a RemoteIpValve). */
  from: string | null;
  start: string;
  /** null while the session is active (or when the webapp stopped without closing it). */
  end: string | null;
  /** Until the end, or until now for an active session. */
  durationSeconds: number;
  active: boolean;
}

export function toSession(r: ConnectionRecord, now: number): Session {
  const end = r.endDate ?? null;
  return {
    user: r.username,
    vm: r.connectionName,
    from: r.remoteHost ?? null,
    start: new Date(r.startDate).toISOString(),
    end: end === null ? null : new Date(end).toISOString(),
    durationSeconds: Math.max(0, Math.round(((end ?? now) - r.startDate) / 1000)),
    active: end === null,
  };
}

export function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

export function sessionsTable(sessions: Session[]): string {
  const rows = [['STARTED', 'DURATION', 'USER', 'VM', 'FROM']];
  for (const s of sessions)
    rows.push([
      localTime(s.start),
      `${duration(s.durationSeconds)}${s.active ? ' (active)' : ''}`,
      s.user,
      s.vm,
      s.from ?? '-',
    ]);
  return table(rows);
}

const DAY_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const AGO = /^(\d+)([mhdw])$/;
const UNIT = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/**
 * `--since`/`--until`: a date (`2026-03-01`, the controller's local midnight; for `--until` the
 * end of that day), a date and time (`2026-03-01T14:00`, local unless it names a zone), or an age
 * (`30m`, `12h`, `7d`, `2w` ago).
 */
export function parseWhen(option: string, text: string, now: number, endOfDay = false): number {
  const ago = AGO.exec(text);
  if (ago) return now - Number(ago[1]) * UNIT[ago[2] as keyof typeof UNIT];
  const day = DAY_ONLY.exec(text);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]) - 1, Number(day[3])];
    const start = new Date(y, m, d);
    if (start.getFullYear() === y && start.getMonth() === m && start.getDate() === d)
      return endOfDay ? new Date(y, m, d + 1).getTime() : start.getTime();
  } else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text)) {
    const ms = Date.parse(text.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return ms;
  }
  throw new BadOptionsError(
    `${option} ${text}: not a date (2026-03-01), a date and time (2026-03-01T14:00) or an age (12h, 7d, 2w)`,
  );
}
