/**
 * Users and user groups under `/api/session/data/{ds}/` (rest/user/*, rest/usergroup/*,
 * rest/directory/DirectoryResource, DirectoryObjectResource; JDBC user/UserService,
 * usergroup/UserGroupService):
 *
 * - `GET users` is a map username → user of the users the caller can READ; every user can read
 *   itself (a new user gets READ on itself).
 * - `POST users` needs CREATE_USER; a taken name is 400 `User "x" already exists.`; the creator
 *   gets every object permission on the new user. It answers with the user.
 * - `PUT users/{u}` replaces the user: a missing or null `password` keeps the password
 *   (UserObjectTranslator), the schema attributes are replaced, arbitrary ones merged (objects.ts).
 *   204 No Content, as every void JAX-RS method.
 * - `DELETE users/{u}`: DELETE permission; nobody deletes itself; the user's sessions end.
 * - `GET|PATCH users/{u}/userGroups` (RelatedObjectSetResource): a patch path must be `/`.
 * - `PUT users/{u}/password` `{oldPassword, newPassword}`: only the user itself, old password checked.
 */
import { forgetObject, permissionsJson } from '../access.js';
import { ApiFailure, badRequest, denied, notFound } from '../errors.js';
import {
  applyUserAttributes,
  applyUserGroupAttributes,
  asObject,
  attributesOf,
  requiredString,
  userGroupJson,
  userJson,
} from '../objects.js';
import { route, type Route, type RouteContext } from '../server.js';
import { emptyPermissions, newUser, type SimUser, type SimUserGroup } from '../state.js';
import { patchPermissions } from './permissions.js';

const DS = '/api/session/data/:ds';

function userOf(ctx: RouteContext, permission: 'READ' | 'UPDATE' | 'DELETE' | 'ADMINISTER'): SimUser {
  const name = ctx.params.user!;
  const user = ctx.state.users.get(name);
  ctx.access.require('userPermissions', name, permission, user !== undefined);
  return user!;
}

function groupOf(ctx: RouteContext, permission: 'READ' | 'UPDATE' | 'DELETE' | 'ADMINISTER'): SimUserGroup {
  const name = ctx.params.group!;
  const group = ctx.state.userGroups.get(name);
  ctx.access.require('userGroupPermissions', name, permission, group !== undefined);
  return group!;
}

/** RelatedObjectSetResource: `[{op: add|remove, path: "/", value: identifier}]`. */
function relatedPatch(body: unknown): { op: 'add' | 'remove'; value: string }[] {
  if (!Array.isArray(body)) throw badRequest('A patch must be a JSON array of operations');
  return (body as { op?: unknown; path?: unknown; value?: unknown }[]).map((p) => {
    if (p?.op !== 'add' && p?.op !== 'remove')
      throw badRequest(`Unsupported patch operation: "${String(p?.op)}"`);
    if (p.path !== '/') throw badRequest(`Unsupported patch path: "${String(p.path)}"`);
    if (typeof p.value !== 'string') throw badRequest('A patch value must be an identifier');
    return { op: p.op, value: p.value };
  });
}

export function userRoutes(): Route[] {
  return [
    route('GET', `${DS}/users`, ({ state, access }) => ({
      status: 200,
      json: Object.fromEntries(
        [...state.users.values()]
          .filter((u) => access.canRead('userPermissions', u.username))
          .map((u) => [u.username, userJson(u)]),
      ),
    })),
    route('GET', `${DS}/users/:user`, (ctx) => ({ status: 200, json: userJson(userOf(ctx, 'READ')) })),
    route('POST', `${DS}/users`, ({ state, access, body }) => {
      access.requireSystem('CREATE_USER');
      const o = asObject(body, 'user');
      const username = requiredString(o, 'username', 'The username must not be blank.');
      if (state.users.has(username)) throw badRequest(`User "${username}" already exists.`);
      const user = newUser(username, typeof o.password === 'string' ? o.password : null);
      applyUserAttributes(user, attributesOf(o));
      state.users.set(username, user);
      access.grantCreator('userPermissions', username);
      return { status: 200, json: userJson(user) };
    }),
    route('PUT', `${DS}/users/:user`, (ctx) => {
      const user = userOf(ctx, 'UPDATE');
      const o = asObject(ctx.body, 'user');
      if (o.username !== undefined && o.username !== user.username)
        throw badRequest('Username in path does not match username provided JSON data.');
      if (typeof o.password === 'string') user.password = o.password;
      applyUserAttributes(user, attributesOf(o));
      if (user.disabled) ctx.sessions.endAllOf(user.username);
      return { status: 204 };
    }),
    route('DELETE', `${DS}/users/:user`, (ctx) => {
      const user = userOf(ctx, 'DELETE');
      if (user.username === ctx.access.user.username)
        throw new ApiFailure('BAD_REQUEST', 'Deleting your own user is not allowed.');
      ctx.state.users.delete(user.username);
      forgetObject(ctx.state, 'userPermissions', user.username);
      for (const g of ctx.state.userGroups.values()) g.memberUsers.delete(user.username);
      ctx.sessions.endAllOf(user.username);
      return { status: 204 };
    }),
    route('PUT', `${DS}/users/:user/password`, (ctx) => {
      const user = userOf(ctx, 'READ');
      if (user.username !== ctx.access.user.username) throw denied();
      const o = asObject(ctx.body, 'password update');
      if (o.oldPassword !== user.password)
        throw new ApiFailure('PERMISSION_DENIED', 'Permission denied.', 'USER_MENU.ERROR_PASSWORD_MISMATCH');
      if (typeof o.newPassword !== 'string' || !o.newPassword)
        throw badRequest('The new password must not be blank.');
      user.password = o.newPassword;
      return { status: 204 };
    }),
    route('GET', `${DS}/users/:user/permissions`, (ctx) => ({
      status: 200,
      json: permissionsJson([userOf(ctx, 'READ').permissions]),
    })),
    route('GET', `${DS}/users/:user/effectivePermissions`, (ctx) => {
      const user = userOf(ctx, 'READ');
      const groups = [...ctx.state.userGroups.values()].filter(
        (g) => !g.disabled && g.memberUsers.has(user.username),
      );
      return { status: 200, json: permissionsJson([user.permissions, ...groups.map((g) => g.permissions)]) };
    }),
    route('PATCH', `${DS}/users/:user/permissions`, (ctx) => {
      const user = userOf(ctx, 'ADMINISTER');
      patchPermissions(ctx.state, ctx.access, user.permissions, ctx.body);
      return { status: 204 };
    }),
    route('GET', `${DS}/users/:user/userGroups`, (ctx) => {
      const user = userOf(ctx, 'READ');
      return {
        status: 200,
        json: [...ctx.state.userGroups.values()]
          .filter(
            (g) =>
              g.memberUsers.has(user.username) && ctx.access.canRead('userGroupPermissions', g.identifier),
          )
          .map((g) => g.identifier),
      };
    }),
    route('PATCH', `${DS}/users/:user/userGroups`, (ctx) => {
      const user = userOf(ctx, 'UPDATE');
      const ops = relatedPatch(ctx.body);
      for (const { value } of ops) {
        if (!ctx.state.userGroups.has(value)) throw notFound(value);
        if (!ctx.access.has('userGroupPermissions', value, 'UPDATE')) throw denied();
      }
      for (const { op, value } of ops) {
        const members = ctx.state.userGroups.get(value)!.memberUsers;
        if (op === 'add') members.add(user.username);
        else members.delete(user.username);
      }
      return { status: 204 };
    }),

    route('GET', `${DS}/userGroups`, ({ state, access }) => ({
      status: 200,
      json: Object.fromEntries(
        [...state.userGroups.values()]
          .filter((g) => access.canRead('userGroupPermissions', g.identifier))
          .map((g) => [g.identifier, userGroupJson(g)]),
      ),
    })),
    route('GET', `${DS}/userGroups/:group`, (ctx) => ({
      status: 200,
      json: userGroupJson(groupOf(ctx, 'READ')),
    })),
    route('POST', `${DS}/userGroups`, ({ state, access, body }) => {
      access.requireSystem('CREATE_USER_GROUP');
      const o = asObject(body, 'user group');
      const identifier = requiredString(o, 'identifier', 'The group name must not be blank.');
      if (state.userGroups.has(identifier)) throw badRequest(`Group "${identifier}" already exists.`);
      const group: SimUserGroup = {
        identifier,
        disabled: false,
        attributes: new Map(),
        memberUsers: new Set(),
        memberUserGroups: new Set(),
        permissions: emptyPermissions(),
      };
      applyUserGroupAttributes(group, attributesOf(o));
      state.userGroups.set(identifier, group);
      access.grantCreator('userGroupPermissions', identifier);
      return { status: 200, json: userGroupJson(group) };
    }),
    route('PUT', `${DS}/userGroups/:group`, (ctx) => {
      const group = groupOf(ctx, 'UPDATE');
      const o = asObject(ctx.body, 'user group');
      if (o.identifier !== undefined && o.identifier !== group.identifier)
        throw badRequest('Group name in path does not match the identifier provided JSON data.');
      applyUserGroupAttributes(group, attributesOf(o));
      return { status: 204 };
    }),
    route('DELETE', `${DS}/userGroups/:group`, (ctx) => {
      const group = groupOf(ctx, 'DELETE');
      ctx.state.userGroups.delete(group.identifier);
      forgetObject(ctx.state, 'userGroupPermissions', group.identifier);
      return { status: 204 };
    }),
    route('GET', `${DS}/userGroups/:group/memberUsers`, (ctx) => ({
      status: 200,
      json: [...groupOf(ctx, 'READ').memberUsers],
    })),
    route('PATCH', `${DS}/userGroups/:group/memberUsers`, (ctx) => {
      const group = groupOf(ctx, 'UPDATE');
      const ops = relatedPatch(ctx.body);
      for (const { value } of ops) if (!ctx.state.users.has(value)) throw notFound(value);
      for (const { op, value } of ops) {
        if (op === 'add') group.memberUsers.add(value);
        else group.memberUsers.delete(value);
      }
      return { status: 204 };
    }),
    route('GET', `${DS}/userGroups/:group/permissions`, (ctx) => ({
      status: 200,
      json: permissionsJson([groupOf(ctx, 'READ').permissions]),
    })),
    route('PATCH', `${DS}/userGroups/:group/permissions`, (ctx) => {
      const group = groupOf(ctx, 'ADMINISTER');
      patchPermissions(ctx.state, ctx.access, group.permissions, ctx.body);
      return { status: 204 };
    }),
    route('GET', `${DS}/self`, (ctx) => ({ status: 200, json: userJson(ctx.access.user) })),
  ];
}
