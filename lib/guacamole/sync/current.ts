/**
 * What Guacamole holds now, read in few round trips: the four listings at once, then, at once,
 * the parameters of the connections NovaStation made and the permissions and group memberships of
 * the users it made. Objects are sorted into NovaStation's (by their mark) and others'.
 */
import type { GuacamoleClient } from '../client.js';
import type { ApiConnection, ApiConnectionGroup, ApiPermissionSet, ApiUser, ApiUserGroup } from '../api.js';
import { markOf, userGroupMark, userMark } from './markers.js';

export interface CurrentConnection extends ApiConnection {
  identifier: string;
  parameters: Record<string, string>;
}

export interface CurrentUser extends ApiUser {
  managed: boolean;
  permissions?: ApiPermissionSet;
  groups?: string[];
}

export interface Current {
  users: Map<string, CurrentUser>;
  userGroups: Map<string, ApiUserGroup & { managed: boolean }>;
  /** NovaStation's connection groups by mark; others by name. */
  groups: Map<string, ApiConnectionGroup & { identifier: string }>;
  foreignGroups: (ApiConnectionGroup & { identifier: string })[];
  /** NovaStation's connections by mark, with parameters. */
  connections: Map<string, CurrentConnection>;
  foreignConnections: (ApiConnection & { identifier: string })[];
}

export async function readCurrent(client: GuacamoleClient, usersToDetail: string[]): Promise<Current> {
  const [users, userGroups, groups, connections] = await Promise.all([
    client.get<Record<string, ApiUser>>('/users'),
    client.get<Record<string, ApiUserGroup>>('/userGroups'),
    client.get<Record<string, ApiConnectionGroup & { identifier: string }>>('/connectionGroups'),
    client.get<Record<string, ApiConnection & { identifier: string }>>('/connections'),
  ]);
  const current: Current = {
    users: new Map(
      Object.values(users).map((u) => [u.username, { ...u, managed: markOf(u.attributes) === userMark }]),
    ),
    userGroups: new Map(
      Object.values(userGroups).map((g) => [
        g.identifier,
        { ...g, managed: markOf(g.attributes) === userGroupMark },
      ]),
    ),
    groups: new Map(),
    foreignGroups: [],
    connections: new Map(),
    foreignConnections: [],
  };
  for (const g of Object.values(groups)) {
    const mark = markOf(g.attributes);
    if (mark?.startsWith('group:') && !current.groups.has(mark)) current.groups.set(mark, g);
    else current.foreignGroups.push(g);
  }
  const ours: (ApiConnection & { identifier: string; mark: string })[] = [];
  for (const c of Object.values(connections)) {
    const mark = markOf(c.attributes);
    if (mark?.startsWith('vm:') && !ours.some((o) => o.mark === mark)) ours.push({ ...c, mark });
    else current.foreignConnections.push(c);
  }
  const details = usersToDetail.filter((u) => current.users.get(u)?.managed);
  await Promise.all([
    ...ours.map(async (c) => {
      const parameters = await client.get<Record<string, string>>(
        `/connections/${encodeURIComponent(c.identifier)}/parameters`,
      );
      const { mark, ...rest } = c;
      current.connections.set(mark, { ...rest, parameters });
    }),
    ...details.map(async (login) => {
      const path = `/users/${encodeURIComponent(login)}`;
      const [permissions, memberOf] = await Promise.all([
        client.get<ApiPermissionSet>(`${path}/permissions`),
        client.get<string[]>(`${path}/userGroups`),
      ]);
      const user = current.users.get(login)!;
      user.permissions = permissions;
      user.groups = memberOf;
    }),
  ]);
  return current;
}
