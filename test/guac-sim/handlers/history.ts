/**
 * `GET history/connections` and `GET history/users` (rest/history/HistoryResource,
 * ActivityRecordSetResource): records newest first by default, `contains` (repeatable) keeps
 * records whose username, connection name or remote host contain the text, `order` (repeatable)
 * sorts by `startDate`/`-startDate`, and at most **1000** records are returned
 * (ActivityRecordSetResource.MAXIMUM_HISTORY_SIZE) — a full audit needs SQL. Administrators (and
 * AUDIT in 1.6) see everyone's records; other users only their own.
 */
import { route, type Route, type RouteContext } from '../server.js';
import type { ConnectionRecord, LoginRecord } from '../state.js';

export const MAXIMUM_HISTORY_SIZE = 1000;
const DS = '/api/session/data/:ds';

function select<T extends { username: string; startDate: number }>(
  ctx: RouteContext,
  records: T[],
  text: (r: T) => string[],
): T[] {
  const everyone = ctx.access.admin || ctx.access.system('AUDIT');
  const contains = ctx.query.contains;
  const order = ctx.query.order ?? '-startDate';
  return records
    .filter((r) => everyone || r.username === ctx.access.user.username)
    .filter((r) => !contains || text(r).some((t) => t.includes(contains)))
    .sort((a, b) => (order === 'startDate' ? a.startDate - b.startDate : b.startDate - a.startDate))
    .slice(0, MAXIMUM_HISTORY_SIZE);
}

const iso = (ms: number | null) => ms;

function connectionRecordJson(r: ConnectionRecord) {
  return {
    identifier: String(r.id),
    uuid: `00000000-0000-4000-8000-${String(r.id).padStart(12, '0')}`,
    connectionIdentifier: r.connectionIdentifier,
    connectionName: r.connectionName,
    sharingProfileIdentifier: null,
    sharingProfileName: null,
    startDate: iso(r.startDate),
    endDate: iso(r.endDate),
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

export function historyRoutes(): Route[] {
  return [
    route('GET', `${DS}/history/connections`, (ctx) => ({
      status: 200,
      json: select(ctx, ctx.state.connectionHistory, (r) => [r.username, r.connectionName, r.remoteHost]).map(
        connectionRecordJson,
      ),
    })),
    route('GET', `${DS}/history/users`, (ctx) => ({
      status: 200,
      json: select(ctx, ctx.state.loginHistory, (r) => [r.username, r.remoteHost]).map(loginRecordJson),
    })),
  ];
}
