/**
 * Who may do what, as the JDBC backend decides it (guacamole-auth-jdbc-base permission/*,
 * base/ModeledDirectoryObjectService):
 *
 * - system ADMINISTER may do everything;
 * - an object the caller cannot READ does not exist for it: GET, PUT, DELETE answer 404, and
 *   listings leave it out (the directory holds only readable objects);
 * - a readable object without UPDATE (DELETE) is a 403 on PUT (DELETE);
 * - a create needs the matching CREATE_* system permission; its creator gets READ, UPDATE,
 *   DELETE and ADMINISTER on the new object;
 * - permissions a user has through its (enabled) user groups count (effective permissions).
 */
import { denied, notFound } from './errors.js';
import type {
  GuacSimState,
  ObjectPermission,
  ObjectPermissionKind,
  PermissionSet,
  SimUser,
  SystemPermission,
} from './state.js';
import { OBJECT_PERMISSIONS } from './state.js';

export class Access {
  constructor(
    private readonly state: GuacSimState,
    readonly user: SimUser,
  ) {}

  /** The user's own permission sets and those of the enabled groups it belongs to. */
  #sets(): PermissionSet[] {
    const sets = [this.user.permissions];
    for (const group of this.state.userGroups.values())
      if (!group.disabled && group.memberUsers.has(this.user.username)) sets.push(group.permissions);
    return sets;
  }

  get admin(): boolean {
    return this.system('ADMINISTER');
  }

  system(permission: SystemPermission): boolean {
    return this.#sets().some((s) => s.systemPermissions.has(permission));
  }

  has(kind: ObjectPermissionKind, id: string, permission: ObjectPermission): boolean {
    if (this.admin) return true;
    return this.#sets().some((s) => s[kind].get(id)?.has(permission) ?? false);
  }

  canRead(kind: ObjectPermissionKind, id: string): boolean {
    return this.has(kind, id, 'READ');
  }

  /** 404 for an object the caller cannot see, 403 when it can see it but lacks `permission`. */
  require(kind: ObjectPermissionKind, id: string, permission: ObjectPermission, exists: boolean): void {
    if (!exists || !this.canRead(kind, id)) throw notFound(id);
    if (!this.has(kind, id, permission)) throw denied();
  }

  requireSystem(permission: SystemPermission): void {
    if (!this.admin && !this.system(permission)) throw denied();
  }

  /** The creator's implicit permissions on what it just created. */
  grantCreator(kind: ObjectPermissionKind, id: string): void {
    this.user.permissions[kind].set(id, new Set(OBJECT_PERMISSIONS));
  }
}

/** Drops every permission on an object that no longer exists (the tables' ON DELETE CASCADE). */
export function forgetObject(state: GuacSimState, kind: ObjectPermissionKind, id: string): void {
  for (const user of state.users.values()) user.permissions[kind].delete(id);
  for (const group of state.userGroups.values()) group.permissions[kind].delete(id);
}

/** The REST shape of a permission set (rest/permission/APIPermissionSet). */
export function permissionsJson(sets: PermissionSet[]): Record<string, unknown> {
  const kinds = [
    'connectionPermissions',
    'connectionGroupPermissions',
    'sharingProfilePermissions',
    'activeConnectionPermissions',
    'userPermissions',
    'userGroupPermissions',
  ] as const;
  const out: Record<string, unknown> = {};
  for (const kind of kinds) {
    const merged: Record<string, Set<string>> = {};
    for (const set of sets)
      for (const [id, perms] of set[kind]) for (const p of perms) (merged[id] ??= new Set()).add(p);
    out[kind] = Object.fromEntries(Object.entries(merged).map(([id, perms]) => [id, [...perms]]));
  }
  out.systemPermissions = [...new Set(sets.flatMap((s) => [...s.systemPermissions]))];
  return out;
}
