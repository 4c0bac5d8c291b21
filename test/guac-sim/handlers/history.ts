/**
 * `GET history/connections` and `GET history/users` (rest/history/HistoryResource,
 * ActivityRecordSetResource): records newest first by default, `order` (repeatable) sorts by
 * `startDate`/`-startDate`, `contains` (repeatable) keeps the records every term matches
 * (search-term.ts: the current user's or connection's name, or a year/month/day of the server's
 * time zone), and at most **1000** records are returned
 * (ActivityRecordSetResource.MAXIMUM_HISTORY_SIZE) — a full audit needs SQL or narrower queries.
 * Administrators (and AUDIT in 1.6) see everyone's records; other users only their own.
 */
import { route, type Route, type RouteContext } from '../server.js';
import type { ConnectionRecord, LoginRecord } from '../state.js';
import { termsMatcher, type Searchable } from '../search-term.js';

export const MAXIMUM_HISTORY_SIZE = 1000;
const DS = '/api/session/data/:ds';

function select<T extends { username: string; startDate: number }>(
  ctx: RouteContext,
  records: T[],
  searchable: (r: T) => Searchable,
  timeZone: string,
): T[] {
  const everyone = ctx.access.admin || ctx.access.system('AUDIT');
  const matches = termsMatcher(ctx.queryAll.contains ?? [], timeZone);
  const order = ctx.query.order ?? '-startDate';
  return records
    .filter((r) => everyone || r.username === ctx.access.user.username)
    .filter((r) => matches(searchable(r)))
    .sort((a, b) => (order === 'startDate' ? a.startDate - b.startDate : b.startDate - a.startDate))
    .slice(0, MAXIMUM_HISTORY_SIZE);
}

function connectionRecordJson(r: ConnectionRecord) {
  return {
    identifier: String(r.id),
    uuid: `00000000-0000-4000-8000-${String(r.id).padStart(12, '0')}`,
    connectionIdentifier: r.connectionIdentifier,
    connectionName: r.connectionName,
    sharingProfileIdentifier: null,
    sharingProfileName: null,
    startDate: r.startDate,
    endDate: r.endDate,
    remoteHost: r.remoteHost,
    username: r.username,
    active: r.endDate === null,
    attributes: {},
    logs: {},
  };
}

function loginRecordJson(r: LoginRecord) {
  return {
    identifier: String(r.id),
    startDate: r.startDate,
    endDate: r.endDate,
    remoteHost: r.remoteHost,
    username: r.username,
    active: r.endDate === null,
    attributes: {},
    logs: {},
  };
}

/** `timeZone`: the webapp JVM's default time zone, in which date terms are read. */
export function historyRoutes(timeZone = 'UTC'): Route[] {
  return [
    route('GET', `${DS}/history/connections`, (ctx) => {
      const { users, connections } = ctx.state;
      return {
        status: 200,
        json: select(
          ctx,
          ctx.state.connectionHistory,
          (r) => ({
            startDate: r.startDate,
            currentUser: users.has(r.username) ? r.username : null,
            currentConnection:
              r.connectionIdentifier === null
                ? null
                : (connections.get(r.connectionIdentifier)?.name ?? null),
          }),
          timeZone,
        ).map(connectionRecordJson),
      };
    }),
    route('GET', `${DS}/history/users`, (ctx) => ({
      status: 200,
      json: select(
        ctx,
        ctx.state.loginHistory,
        (r) => ({
          startDate: r.startDate,
          currentUser: ctx.state.users.has(r.username) ? r.username : null,
          currentConnection: null,
        }),
        timeZone,
      ).map(loginRecordJson),
    })),
  ];
}
