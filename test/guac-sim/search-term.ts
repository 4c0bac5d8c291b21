/**
 * A history search term as the JDBC backend reads it (auth/jdbc/base/ActivityRecordSearchTerm and
 * the `search` query of ConnectionRecordMapper.xml / UserRecordMapper.xml). A term matches a record
 * when the **current** user the record belongs to has a name containing it, or (connection
 * history) the **current** connection has a name containing it, or — when the whole term looks
 * like a date, `\d+(-\d+?(-\d+?)?)?` (a year, a month or a day) — the record started within that
 * year, month or day of the server's time zone (`Calendar.getInstance()`, the JVM's default).
 * Several terms must all match. The remote host is not searched, and the history's own
 * (denormalised) names are not either: the records of a deleted user or connection match only by
 * date.
 */
const DATE_TERM = /^(\d+)(?:-(\d+)?(?:-(\d+)?)?)?$/;

/** Milliseconds to add to UTC to get the wall clock of `timeZone` at `utc`. */
function zoneOffset(utc: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utc));
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return wall - Math.floor(utc / 1000) * 1000;
}

/** The instant the wall clock of `timeZone` shows midnight of year-month-day (lenient, as Calendar is). */
function midnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month, day);
  const guess = wall - zoneOffset(wall, timeZone);
  return wall - zoneOffset(guess, timeZone);
}

/** The [start, end] (inclusive, ms) a date-like term covers, or undefined. */
export function termDateRange(term: string, timeZone: string): [number, number] | undefined {
  const m = DATE_TERM.exec(term);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = m[2] === undefined ? 0 : Number(m[2]) - 1;
  const day = m[3] === undefined ? 1 : Number(m[3]);
  const start = midnight(year, month, day, timeZone);
  const next =
    m[2] === undefined
      ? midnight(year + 1, 0, 1, timeZone)
      : m[3] === undefined
        ? midnight(year, month + 1, 1, timeZone)
        : midnight(year, month, day + 1, timeZone);
  return [start, next - 1];
}

export interface Searchable {
  startDate: number;
  /** The name of the current user the record belongs to (null: deleted since). */
  currentUser: string | null;
  /** The name of the current connection (null: deleted since, or login history). */
  currentConnection: string | null;
}

/** A predicate for records every term matches (the date ranges worked out once per query). */
export function termsMatcher(terms: readonly string[], timeZone: string): (record: Searchable) => boolean {
  const compiled = terms.map((term) => ({ term, range: termDateRange(term, timeZone) }));
  return (record) =>
    compiled.every(
      ({ term, range }) =>
        record.currentUser?.includes(term) ||
        record.currentConnection?.includes(term) ||
        (range !== undefined && record.startDate >= range[0] && record.startDate <= range[1]),
    );
}
