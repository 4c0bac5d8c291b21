/**
 * Objects to and from their REST shapes (rest/user/APIUser, rest/connection/APIConnection,
 * rest/connectiongroup/APIConnectionGroup, rest/usergroup/APIUserGroup) and the JDBC rules for
 * storing them:
 *
 * - attributes the schema has columns for (`disabled`, `max-connections`, …) are always returned,
 *   null when unset, and a PUT that leaves one out clears it (ModeledUser/ModeledConnection
 *   setAttributes read each from the map);
 * - other ("arbitrary") attributes go to the `*_attribute` tables: a PUT that leaves one out keeps
 *   it, a null value removes it (ModeledObject.setAttributes);
 * - connection parameters are replaced as a whole by a PUT, and empty values are not stored
 *   (ConnectionService: "There is no need to insert empty parameters");
 * - Jackson leaves null fields out (@JsonInclude NON_NULL): no `password` in any answer.
 */
import { badRequest } from './errors.js';
import {
  CONNECTION_GROUP_SCHEMA_ATTRIBUTES,
  CONNECTION_SCHEMA_ATTRIBUTES,
  USER_PROFILE_ATTRIBUTES,
  type SimConnection,
  type SimConnectionGroup,
  type SimUser,
  type SimUserGroup,
} from './state.js';

type Attrs = Record<string, string | null>;

export function asObject(body: unknown, what: string): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badRequest(`${what}: a JSON object is required`);
  return body as Record<string, unknown>;
}

export function attributesOf(body: Record<string, unknown>): Attrs {
  const value = body.attributes;
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest('attributes must be an object');
  const out: Attrs = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== null && typeof v !== 'string') throw badRequest(`attribute ${k} must be a string or null`);
    out[k] = v;
  }
  return out;
}

/** Stores the arbitrary attributes of `given` (the names not in `schema`) into `into`. */
export function mergeArbitrary(into: Map<string, string>, given: Attrs, schema: readonly string[]): void {
  for (const [name, value] of Object.entries(given)) {
    if (schema.includes(name)) continue;
    if (value === null) into.delete(name);
    else into.set(name, value);
  }
}

const flag = (v: boolean): string | null => (v ? 'true' : null);

export function userJson(user: SimUser): Record<string, unknown> {
  return {
    username: user.username,
    attributes: {
      ...user.profile,
      disabled: flag(user.disabled),
      expired: flag(user.expired),
      ...Object.fromEntries(user.attributes),
    },
    ...(user.lastActive !== null ? { lastActive: user.lastActive } : {}),
  };
}

const USER_SCHEMA = [...USER_PROFILE_ATTRIBUTES, 'disabled', 'expired'] as const;

/** Applies a POST/PUT body's attributes to a user: schema ones replaced, arbitrary ones merged. */
export function applyUserAttributes(user: SimUser, attrs: Attrs): void {
  user.disabled = attrs.disabled === 'true';
  user.expired = attrs.expired === 'true';
  for (const name of USER_PROFILE_ATTRIBUTES) user.profile[name] = attrs[name] || null;
  mergeArbitrary(user.attributes, attrs, USER_SCHEMA);
}

export function userGroupJson(group: SimUserGroup): Record<string, unknown> {
  return {
    identifier: group.identifier,
    attributes: { disabled: flag(group.disabled), ...Object.fromEntries(group.attributes) },
  };
}

export function applyUserGroupAttributes(group: SimUserGroup, attrs: Attrs): void {
  group.disabled = attrs.disabled === 'true';
  mergeArbitrary(group.attributes, attrs, ['disabled']);
}

function schemaAttrs(stored: Map<string, string>, schema: readonly string[]): Attrs {
  return Object.fromEntries(schema.map((n) => [n, stored.get(n) ?? null]));
}

export function connectionJson(c: SimConnection): Record<string, unknown> {
  return {
    name: c.name,
    identifier: c.identifier,
    parentIdentifier: c.parentIdentifier,
    protocol: c.protocol,
    attributes: {
      ...schemaAttrs(c.attributes, CONNECTION_SCHEMA_ATTRIBUTES),
      ...arbitrary(c.attributes, CONNECTION_SCHEMA_ATTRIBUTES),
    },
    activeConnections: 0,
    ...(c.lastActive !== null ? { lastActive: c.lastActive } : {}),
  };
}

export function connectionGroupJson(g: SimConnectionGroup): Record<string, unknown> {
  return {
    name: g.name,
    identifier: g.identifier,
    parentIdentifier: g.parentIdentifier,
    type: g.type,
    activeConnections: 0,
    attributes: {
      ...schemaAttrs(g.attributes, CONNECTION_GROUP_SCHEMA_ATTRIBUTES),
      ...arbitrary(g.attributes, CONNECTION_GROUP_SCHEMA_ATTRIBUTES),
    },
  };
}

function arbitrary(stored: Map<string, string>, schema: readonly string[]): Attrs {
  return Object.fromEntries([...stored].filter(([n]) => !schema.includes(n)));
}

/** Schema attributes replaced (missing → cleared), arbitrary ones merged. */
export function applyObjectAttributes(
  stored: Map<string, string>,
  attrs: Attrs,
  schema: readonly string[],
): void {
  for (const name of schema) {
    const v = attrs[name];
    if (v) stored.set(name, v);
    else stored.delete(name);
  }
  mergeArbitrary(stored, attrs, schema);
}

/** The parameters a PUT or POST stores: all of them replaced, empty ones dropped. */
export function parametersOf(body: Record<string, unknown>): Map<string, string> {
  const value = body.parameters;
  const out = new Map<string, string>();
  if (value === undefined || value === null) return out;
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest('parameters must be an object');
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === null || v === '') continue;
    if (typeof v !== 'string') throw badRequest(`parameter ${k} must be a string`);
    if (k.length > 128) throw badRequest(`parameter name ${k} is longer than 128 characters`);
    if (v.length > 4096) throw badRequest(`parameter ${k} is longer than 4096 characters`);
    out.set(k, v);
  }
  return out;
}

export function requiredString(body: Record<string, unknown>, field: string, message: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v.trim() === '') throw badRequest(message);
  return v;
}
