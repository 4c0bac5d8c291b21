/**
 * The state in a JSON file, for the standalone server (`--state-file`): the real webapp keeps its
 * state in PostgreSQL, so a webapp container that restarts finds its users again; the stand-in
 * image gets the same by keeping this file on a volume. Written atomically (temp file + rename)
 * after every request that changed something.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type {
  GuacSimState,
  PermissionSet,
  SimConnection,
  SimConnectionGroup,
  SimUser,
  SimUserGroup,
} from './state.js';
import { OBJECT_PERMISSION_KINDS, emptyPermissions } from './state.js';

type Json = Record<string, unknown>;

const perms = (p: PermissionSet): Json => ({
  ...Object.fromEntries(OBJECT_PERMISSION_KINDS.map((k) => [k, [...p[k]].map(([id, s]) => [id, [...s]])])),
  systemPermissions: [...p.systemPermissions],
});

function unperms(j: Json): PermissionSet {
  const p = emptyPermissions();
  for (const k of OBJECT_PERMISSION_KINDS)
    for (const [id, s] of (j[k] as [string, string[]][]) ?? []) p[k].set(id, new Set(s as never[]));
  for (const s of (j.systemPermissions as string[]) ?? []) p.systemPermissions.add(s as never);
  return p;
}

export function saveState(state: GuacSimState, file: string): void {
  const json = {
    users: [...state.users.values()].map((u) => ({
      ...u,
      attributes: [...u.attributes],
      permissions: perms(u.permissions),
    })),
    userGroups: [...state.userGroups.values()].map((g) => ({
      ...g,
      attributes: [...g.attributes],
      memberUsers: [...g.memberUsers],
      memberUserGroups: [...g.memberUserGroups],
      permissions: perms(g.permissions),
    })),
    connections: [...state.connections.values()].map((c) => ({
      ...c,
      parameters: [...c.parameters],
      attributes: [...c.attributes],
    })),
    connectionGroups: [...state.connectionGroups.values()].map((g) => ({
      ...g,
      attributes: [...g.attributes],
    })),
    connectionHistory: state.connectionHistory,
    loginHistory: state.loginHistory,
    nextId: state.nextId,
  };
  const temp = `${file}.tmp-${process.pid}`;
  writeFileSync(temp, JSON.stringify(json), { mode: 0o600 });
  renameSync(temp, file);
}

/** Replaces `state`'s contents with the file's, if the file exists. */
export function loadState(state: GuacSimState, file: string): boolean {
  if (!existsSync(file)) return false;
  const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Json[]> & {
    nextId: GuacSimState['nextId'];
  };
  state.users.clear();
  for (const u of j.users ?? [])
    state.users.set(
      u.username as string,
      {
        ...u,
        attributes: new Map(u.attributes as [string, string][]),
        permissions: unperms(u.permissions as Json),
      } as unknown as SimUser,
    );
  state.userGroups.clear();
  for (const g of j.userGroups ?? [])
    state.userGroups.set(
      g.identifier as string,
      {
        ...g,
        attributes: new Map(g.attributes as [string, string][]),
        memberUsers: new Set(g.memberUsers as string[]),
        memberUserGroups: new Set(g.memberUserGroups as string[]),
        permissions: unperms(g.permissions as Json),
      } as unknown as SimUserGroup,
    );
  state.connections.clear();
  for (const c of j.connections ?? [])
    state.connections.set(
      c.identifier as string,
      {
        ...c,
        parameters: new Map(c.parameters as [string, string][]),
        attributes: new Map(c.attributes as [string, string][]),
      } as unknown as SimConnection,
    );
  state.connectionGroups.clear();
  for (const g of j.connectionGroups ?? [])
    state.connectionGroups.set(
      g.identifier as string,
      {
        ...g,
        attributes: new Map(g.attributes as [string, string][]),
      } as unknown as SimConnectionGroup,
    );
  state.connectionHistory.splice(0, Infinity, ...((j.connectionHistory ?? []) as never[]));
  state.loginHistory.splice(0, Infinity, ...((j.loginHistory ?? []) as never[]));
  Object.assign(state.nextId, j.nextId);
  return true;
}
