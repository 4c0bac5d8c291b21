/**
 * Connections and connection groups under `/api/session/data/{ds}/` (rest/connection/*,
 * rest/connectiongroup/*; JDBC connection/ConnectionService, connectiongroup/ConnectionGroupService):
 *
 * - listings and GETs show only what the caller can READ (404 otherwise); the root group `ROOT`
 *   always exists, is readable by everyone and is not in the `connectionGroups` listing;
 * - `GET connections/{id}/parameters` needs UPDATE or ADMINISTER on the connection (it holds
 *   passwords): "Permission to read connection parameters denied." (403);
 * - POST needs CREATE_CONNECTION (CREATE_CONNECTION_GROUP) and, below a group other than ROOT,
 *   UPDATE on that group; names are unique per parent (`UNIQUE(connection_name, parent_id)`):
 *   400 `The connection "x" already exists.`; blank names are 400;
 * - PUT replaces the whole object: name, parent, protocol, every parameter (empty values are not
 *   stored) and the schema attributes; 204;
 * - DELETE removes the object; a group's connections and subgroups go with it (ON DELETE CASCADE).
 *   History records keep the connection's name (denormalised).
 * - `GET connectionGroups/{id}/tree`: the group with `childConnections` and `childConnectionGroups`,
 *   recursively, only what the caller can READ.
 */
import { forgetObject } from '../access.js';
import { ApiFailure, badRequest, denied, notFound } from '../errors.js';
import {
  applyObjectAttributes,
  asObject,
  attributesOf,
  connectionGroupJson,
  connectionJson,
  parametersOf,
  requiredString,
} from '../objects.js';
import { route, type Route, type RouteContext } from '../server.js';
import {
  CONNECTION_GROUP_SCHEMA_ATTRIBUTES,
  CONNECTION_SCHEMA_ATTRIBUTES,
  type GuacSimState,
  type SimConnection,
  type SimConnectionGroup,
} from '../state.js';

const DS = '/api/session/data/:ds';

function connectionOf(ctx: RouteContext, permission: 'READ' | 'UPDATE' | 'DELETE'): SimConnection {
  const id = ctx.params.id!;
  const c = ctx.state.connections.get(id);
  ctx.access.require('connectionPermissions', id, permission, c !== undefined);
  return c!;
}

function groupOf(ctx: RouteContext, permission: 'READ' | 'UPDATE' | 'DELETE'): SimConnectionGroup {
  const id = ctx.params.id!;
  const g = ctx.state.connectionGroups.get(id);
  ctx.access.require('connectionGroupPermissions', id, permission, g !== undefined);
  return g!;
}

/** The parent of a new or moved object: must exist, and a non-root parent needs UPDATE. */
function checkParent(ctx: RouteContext, parent: string): void {
  if (parent === 'ROOT') return;
  if (!ctx.state.connectionGroups.has(parent) || !ctx.access.canRead('connectionGroupPermissions', parent))
    throw notFound(parent);
  if (!ctx.access.has('connectionGroupPermissions', parent, 'UPDATE')) throw denied();
}

function parentOf(o: Record<string, unknown>): string {
  const p = o.parentIdentifier;
  return typeof p === 'string' && p ? p : 'ROOT';
}

function nameTaken(state: GuacSimState, name: string, parent: string, except?: string): boolean {
  return [...state.connections.values()].some(
    (c) => c.name === name && c.parentIdentifier === parent && c.identifier !== except,
  );
}

function groupNameTaken(state: GuacSimState, name: string, parent: string, except?: string): boolean {
  return [...state.connectionGroups.values()].some(
    (g) => g.name === name && g.parentIdentifier === parent && g.identifier !== except,
  );
}

function deleteConnection(state: GuacSimState, id: string): void {
  state.connections.delete(id);
  forgetObject(state, 'connectionPermissions', id);
  for (const r of state.connectionHistory) if (r.connectionIdentifier === id) r.connectionIdentifier = null;
}

function deleteGroup(state: GuacSimState, id: string): void {
  for (const c of [...state.connections.values()])
    if (c.parentIdentifier === id) deleteConnection(state, c.identifier);
  for (const g of [...state.connectionGroups.values()])
    if (g.parentIdentifier === id) deleteGroup(state, g.identifier);
  state.connectionGroups.delete(id);
  forgetObject(state, 'connectionGroupPermissions', id);
}

function groupType(o: Record<string, unknown>): 'ORGANIZATIONAL' | 'BALANCING' {
  const t = o.type ?? 'ORGANIZATIONAL';
  if (t !== 'ORGANIZATIONAL' && t !== 'BALANCING')
    throw badRequest(`Invalid connection group type: "${String(t)}"`);
  return t;
}

const ROOT_JSON = {
  name: 'ROOT',
  identifier: 'ROOT',
  type: 'ORGANIZATIONAL',
  activeConnections: 0,
  attributes: {},
};

function tree(ctx: RouteContext, id: string): Record<string, unknown> {
  const base = id === 'ROOT' ? { ...ROOT_JSON } : connectionGroupJson(ctx.state.connectionGroups.get(id)!);
  const connections = [...ctx.state.connections.values()]
    .filter((c) => c.parentIdentifier === id && ctx.access.canRead('connectionPermissions', c.identifier))
    .map(connectionJson);
  const groups = [...ctx.state.connectionGroups.values()]
    .filter(
      (g) => g.parentIdentifier === id && ctx.access.canRead('connectionGroupPermissions', g.identifier),
    )
    .map((g) => tree(ctx, g.identifier));
  return {
    ...base,
    ...(connections.length ? { childConnections: connections } : {}),
    ...(groups.length ? { childConnectionGroups: groups } : {}),
  };
}

export function connectionRoutes(): Route[] {
  return [
    route('GET', `${DS}/connections`, ({ state, access }) => ({
      status: 200,
      json: Object.fromEntries(
        [...state.connections.values()]
          .filter((c) => access.canRead('connectionPermissions', c.identifier))
          .map((c) => [c.identifier, connectionJson(c)]),
      ),
    })),
    route('GET', `${DS}/connections/:id`, (ctx) => ({
      status: 200,
      json: connectionJson(connectionOf(ctx, 'READ')),
    })),
    route('GET', `${DS}/connections/:id/parameters`, (ctx) => {
      const c = connectionOf(ctx, 'READ');
      if (
        !ctx.access.has('connectionPermissions', c.identifier, 'UPDATE') &&
        !ctx.access.has('connectionPermissions', c.identifier, 'ADMINISTER')
      )
        throw new ApiFailure('PERMISSION_DENIED', 'Permission to read connection parameters denied.');
      return { status: 200, json: Object.fromEntries(c.parameters) };
    }),
    route('POST', `${DS}/connections`, (ctx) => {
      ctx.access.requireSystem('CREATE_CONNECTION');
      const o = asObject(ctx.body, 'connection');
      const name = requiredString(o, 'name', 'Connection names must not be blank.');
      const protocol = requiredString(o, 'protocol', 'Connection protocol must not be blank.');
      const parent = parentOf(o);
      checkParent(ctx, parent);
      if (nameTaken(ctx.state, name, parent)) throw badRequest(`The connection "${name}" already exists.`);
      const identifier = String(ctx.state.nextId.connection++);
      const c: SimConnection = {
        identifier,
        name,
        parentIdentifier: parent,
        protocol,
        parameters: parametersOf(o),
        attributes: new Map(),
        lastActive: null,
      };
      applyObjectAttributes(c.attributes, attributesOf(o), CONNECTION_SCHEMA_ATTRIBUTES);
      ctx.state.connections.set(identifier, c);
      ctx.access.grantCreator('connectionPermissions', identifier);
      // APIConnectionWrapper.setIdentifier writes the new identifier back into the answer.
      return { status: 200, json: { ...o, identifier } };
    }),
    route('PUT', `${DS}/connections/:id`, (ctx) => {
      const c = connectionOf(ctx, 'UPDATE');
      const o = asObject(ctx.body, 'connection');
      const name = requiredString(o, 'name', 'Connection names must not be blank.');
      const protocol = requiredString(o, 'protocol', 'Connection protocol must not be blank.');
      const parent = parentOf(o);
      if (parent !== c.parentIdentifier) checkParent(ctx, parent);
      if (nameTaken(ctx.state, name, parent, c.identifier))
        throw badRequest(`The connection "${name}" already exists.`);
      c.name = name;
      c.protocol = protocol;
      c.parentIdentifier = parent;
      c.parameters = parametersOf(o);
      applyObjectAttributes(c.attributes, attributesOf(o), CONNECTION_SCHEMA_ATTRIBUTES);
      return { status: 204 };
    }),
    route('DELETE', `${DS}/connections/:id`, (ctx) => {
      deleteConnection(ctx.state, connectionOf(ctx, 'DELETE').identifier);
      return { status: 204 };
    }),

    route('GET', `${DS}/connectionGroups`, ({ state, access }) => ({
      status: 200,
      json: Object.fromEntries(
        [...state.connectionGroups.values()]
          .filter((g) => access.canRead('connectionGroupPermissions', g.identifier))
          .map((g) => [g.identifier, connectionGroupJson(g)]),
      ),
    })),
    route('GET', `${DS}/connectionGroups/:id`, (ctx) =>
      ctx.params.id === 'ROOT'
        ? { status: 200, json: ROOT_JSON }
        : { status: 200, json: connectionGroupJson(groupOf(ctx, 'READ')) },
    ),
    route('GET', `${DS}/connectionGroups/:id/tree`, (ctx) => {
      if (ctx.params.id !== 'ROOT') groupOf(ctx, 'READ');
      return { status: 200, json: tree(ctx, ctx.params.id!) };
    }),
    route('POST', `${DS}/connectionGroups`, (ctx) => {
      ctx.access.requireSystem('CREATE_CONNECTION_GROUP');
      const o = asObject(ctx.body, 'connection group');
      const name = requiredString(o, 'name', 'Connection group names must not be blank.');
      const parent = parentOf(o);
      checkParent(ctx, parent);
      if (groupNameTaken(ctx.state, name, parent))
        throw badRequest(`The connection group "${name}" already exists.`);
      const identifier = String(ctx.state.nextId.connectionGroup++);
      const g: SimConnectionGroup = {
        identifier,
        name,
        parentIdentifier: parent,
        type: groupType(o),
        attributes: new Map(),
      };
      applyObjectAttributes(g.attributes, attributesOf(o), CONNECTION_GROUP_SCHEMA_ATTRIBUTES);
      ctx.state.connectionGroups.set(identifier, g);
      ctx.access.grantCreator('connectionGroupPermissions', identifier);
      return { status: 200, json: { ...o, identifier } };
    }),
    route('PUT', `${DS}/connectionGroups/:id`, (ctx) => {
      const g = groupOf(ctx, 'UPDATE');
      const o = asObject(ctx.body, 'connection group');
      const name = requiredString(o, 'name', 'Connection group names must not be blank.');
      const parent = parentOf(o);
      if (parent === g.identifier) throw badRequest('A connection group may not contain itself.');
      if (parent !== g.parentIdentifier) checkParent(ctx, parent);
      if (groupNameTaken(ctx.state, name, parent, g.identifier))
        throw badRequest(`The connection group "${name}" already exists.`);
      g.name = name;
      g.parentIdentifier = parent;
      g.type = groupType(o);
      applyObjectAttributes(g.attributes, attributesOf(o), CONNECTION_GROUP_SCHEMA_ATTRIBUTES);
      return { status: 204 };
    }),
    route('DELETE', `${DS}/connectionGroups/:id`, (ctx) => {
      deleteGroup(ctx.state, groupOf(ctx, 'DELETE').identifier);
      return { status: 204 };
    }),
  ];
}
