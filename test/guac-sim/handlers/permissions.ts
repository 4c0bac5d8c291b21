/**
 * `GET|PATCH …/{users|userGroups}/{id}/permissions` (rest/permission/PermissionSetResource):
 * a patch is a JSON array of `{op: add|remove, path, value}`; paths are
 * `/connectionPermissions/{id}`, `/connectionGroupPermissions/{id}`, `/sharingProfilePermissions/{id}`,
 * `/activeConnectionPermissions/{id}`, `/userPermissions/{name}`, `/userGroupPermissions/{name}`
 * with an object permission (READ, UPDATE, DELETE, ADMINISTER) as value, or `/systemPermissions`
 * with a system permission. The patch is applied whole or not at all. Changing permissions needs
 * ADMINISTER on the user (group) and, for an object permission, ADMINISTER on that object
 * (ObjectPermissionService.canAlterPermissions); system permissions need system ADMINISTER.
 */
import type { Access } from '../access.js';
import { badRequest, denied } from '../errors.js';
import {
  OBJECT_PERMISSIONS,
  SYSTEM_PERMISSIONS,
  type GuacSimState,
  type ObjectPermission,
  type ObjectPermissionKind,
  type PermissionSet,
  type SystemPermission,
} from '../state.js';

const KIND_EXISTS: Record<ObjectPermissionKind, (s: GuacSimState, id: string) => boolean> = {
  connectionPermissions: (s, id) => s.connections.has(id),
  connectionGroupPermissions: (s, id) => id === 'ROOT' || s.connectionGroups.has(id),
  sharingProfilePermissions: () => false,
  activeConnectionPermissions: () => false,
  userPermissions: (s, id) => s.users.has(id),
  userGroupPermissions: (s, id) => s.userGroups.has(id),
};

export function patchPermissions(
  state: GuacSimState,
  access: Access,
  target: PermissionSet,
  body: unknown,
): void {
  if (!Array.isArray(body)) throw badRequest('A permission patch must be a JSON array of operations');
  const steps: (() => void)[] = [];
  for (const patch of body as { op?: unknown; path?: unknown; value?: unknown }[]) {
    const op = patch?.op;
    if (op !== 'add' && op !== 'remove') throw badRequest(`Unsupported patch operation: "${String(op)}"`);
    const path = typeof patch.path === 'string' ? patch.path : '';
    if (path === '/systemPermissions') {
      const value = patch.value as SystemPermission;
      if (!SYSTEM_PERMISSIONS.includes(value))
        throw badRequest(`Unknown system permission: "${String(value)}"`);
      if (!access.admin) throw denied();
      steps.push(() =>
        op === 'add' ? target.systemPermissions.add(value) : target.systemPermissions.delete(value),
      );
      continue;
    }
    const m = /^\/([a-zA-Z]+)\/(.+)$/.exec(path);
    const kind = m?.[1] as ObjectPermissionKind | undefined;
    if (!m || !kind || !(kind in KIND_EXISTS)) throw badRequest(`Unsupported patch path: "${path}"`);
    const id = m[2]!;
    const value = patch.value as ObjectPermission;
    if (!OBJECT_PERMISSIONS.includes(value))
      throw badRequest(`Unknown object permission: "${String(value)}"`);
    // A permission on an object that does not exist violates the tables' foreign keys.
    if (!KIND_EXISTS[kind](state, id)) throw badRequest(`No such object for permission: "${path}"`);
    if (!access.has(kind, id, 'ADMINISTER')) throw denied();
    steps.push(() => {
      const set = target[kind].get(id) ?? new Set<ObjectPermission>();
      if (op === 'add') set.add(value);
      else set.delete(value);
      if (set.size) target[kind].set(id, set);
      else target[kind].delete(id);
    });
  }
  for (const step of steps) step();
}
