/**
 * Guacamole's session history through the REST API (`GET history/connections`, notes §2.2): at
 * most 1,000 records per request, newest first (ActivityRecordSetResource.MAXIMUM_HISTORY_SIZE),
 * with no paging and no sign that more exist. So an answer of exactly 1,000 records is reported
 * as possibly truncated: narrow it with `contains`, or read the database for a full audit.
 * sessions.ts reads the whole history by narrowing with date terms.
 */
import type { GuacamoleClient } from './client.js';

export const HISTORY_LIMIT = 1000;

export interface ConnectionRecord {
  /** The history row's id (1.5+; older webapps leave it out). */
  identifier?: string;
  connectionIdentifier: string | null;
  connectionName: string;
  username: string;
  remoteHost: string | null;
  /** Milliseconds since the epoch. */
  startDate: number;
  endDate: number | null;
  active: boolean;
}

export interface HistoryPage {
  records: ConnectionRecord[];
  /** The webapp's cap was reached: older records may exist that the API does not return. */
  truncated: boolean;
}

export async function connectionHistory(
  client: GuacamoleClient,
  filter: { contains?: string | readonly string[]; oldestFirst?: boolean } = {},
): Promise<HistoryPage> {
  const query = new URLSearchParams();
  // Several terms must all match (ActivityRecordSetResource takes a list).
  for (const term of [filter.contains ?? []].flat()) query.append('contains', term);
  query.set('order', filter.oldestFirst ? 'startDate' : '-startDate');
  const records = await client.get<ConnectionRecord[]>(`/history/connections?${query}`);
  return { records, truncated: records.length >= HISTORY_LIMIT };
}
