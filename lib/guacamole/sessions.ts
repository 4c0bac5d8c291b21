/**
 * Every desktop session in Guacamole's history between two instants, past the REST API's cap of
 * 1,000 records per answer (history.ts), by narrowing on the server.
 *
 * The JDBC backend reads a `contains` term that is a year, a month or a day (`2026`, `2026-03`,
 * `2026-03-01`) as "started within that period" in the webapp's time zone
 * (ActivityRecordSearchTerm; research notes §2.2; test/guac-sim/search-term.ts). So: one query
 * for the newest records; if it hit the cap, one for the oldest (where the history starts), then
 * a query per year of the range, split into months and then days wherever an answer hits the cap.
 * A day that still has more than 1,000 sessions is read newest-first and oldest-first (2,000 at
 * most); if those two answers do not meet, the day is reported as incomplete — never dropped in
 * silence. Names are not used to narrow: a term matches only the *current* user's or connection's
 * name, so a deleted user's sessions would be missed.
 *
 * The webapp's time zone is unknown here, so the days asked for run from one day before the range
 * to one day after it (no zone is more than 14 hours from UTC); records are then kept by their
 * exact start time. A term like `2026` also matches users and connections whose names contain
 * it: more records than asked for, never fewer (they are filtered out, duplicates by id).
 */
import type { GuacamoleClient } from './client.js';
import { connectionHistory, type ConnectionRecord } from './history.js';

export interface SessionQuery {
  /** Sessions that started at or after this instant (ms since the epoch). */
  since?: number;
  /** Sessions that started before this instant. */
  until?: number;
}

export interface SessionHistory {
  /** Newest first. */
  records: ConnectionRecord[];
  /** Days (`YYYY-MM-DD`, the webapp's zone) with more sessions than the API could return: some are missing. */
  incompleteDays: string[];
  /** REST requests made (for the log and the tests). */
  queries: number;
}

const DAY = 86_400_000;
const pad = (n: number) => String(n).padStart(2, '0');

/** A calendar period as a search term covers it: a year, a month or a day (UTC calendar here). */
interface Period {
  term: string;
  /** First and last UTC day (ms at midnight) of the period. */
  first: number;
  last: number;
  kind: 'year' | 'month' | 'day';
}

const year = (y: number): Period => ({
  term: String(y),
  first: Date.UTC(y, 0, 1),
  last: Date.UTC(y + 1, 0, 1) - DAY,
  kind: 'year',
});
const month = (y: number, m: number): Period => ({
  term: `${y}-${pad(m + 1)}`,
  first: Date.UTC(y, m, 1),
  last: Date.UTC(y, m + 1, 1) - DAY,
  kind: 'month',
});
const day = (ms: number): Period => {
  const d = new Date(ms);
  return {
    term: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    first: ms,
    last: ms,
    kind: 'day',
  };
};

function children(p: Period): Period[] {
  const start = new Date(p.first);
  if (p.kind === 'year') return Array.from({ length: 12 }, (_, m) => month(start.getUTCFullYear(), m));
  const days: Period[] = [];
  for (let d = p.first; d <= p.last; d += DAY) days.push(day(d));
  return days;
}

const keyOf = (r: ConnectionRecord) =>
  r.identifier ?? `${r.username}\u0000${r.connectionName}\u0000${r.startDate}\u0000${r.remoteHost ?? ''}`;

export async function sessionHistory(
  client: GuacamoleClient,
  query: SessionQuery = {},
): Promise<SessionHistory> {
  const found = new Map<string, ConnectionRecord>();
  const incompleteDays: string[] = [];
  let queries = 0;
  const ask = async (terms: string[], oldestFirst = false) => {
    queries++;
    const page = await connectionHistory(client, { contains: terms, oldestFirst });
    for (const r of page.records) found.set(keyOf(r), r);
    return page;
  };

  const newest = await ask([]);
  if (newest.truncated) {
    const oldest = await ask([], true);
    // Everything from the newest answer's last start on is in `newest`; before it, by periods.
    const from = Math.max(query.since ?? -Infinity, oldest.records[0]!.startDate);
    const to = Math.min(query.until ?? Infinity, newest.records.at(-1)!.startDate);
    if (from <= to) {
      const firstDay = Math.floor(from / DAY) * DAY - DAY;
      const lastDay = Math.floor(to / DAY) * DAY + DAY;
      const cover = async (p: Period): Promise<void> => {
        const page = await ask([p.term]);
        if (!page.truncated) return;
        if (p.kind !== 'day') {
          for (const c of children(p)) if (c.last >= firstDay && c.first <= lastDay) await cover(c);
          return;
        }
        const reverse = await ask([p.term], true);
        // Newest-first and oldest-first hold the whole day only if they meet (share a record).
        const forward = new Set(page.records.map(keyOf));
        if (!reverse.records.some((r) => forward.has(keyOf(r)))) incompleteDays.push(p.term);
      };
      for (let y = new Date(firstDay).getUTCFullYear(); y <= new Date(lastDay).getUTCFullYear(); y++)
        await cover(year(y));
    }
  }
  const records = [...found.values()]
    .filter(
      (r) =>
        (query.since === undefined || r.startDate >= query.since) &&
        (query.until === undefined || r.startDate < query.until),
    )
    .sort((a, b) => b.startDate - a.startDate);
  return { records, incompleteDays, queries };
}
