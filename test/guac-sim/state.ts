/**
 * The simulator's model: what the JDBC PostgreSQL backend stores (schema notes §3), kept as plain
 * maps. Identifiers are what the REST API shows: users and user groups by name, connections and
 * connection groups by a serial number as a string ("1", "2", …), the root group as `ROOT`.
 */

export type ObjectPermission = 'READ' | 'UPDATE' | 'DELETE' | 'ADMINISTER';
export const OBJECT_PERMISSIONS: readonly ObjectPermission[] = ['READ', 'UPDATE', 'DELETE', 'ADMINISTER'];
export type SystemPermission =
  | 'CREATE_CONNECTION'
  | 'CREATE_CONNECTION_GROUP'
  | 'CREATE_SHARING_PROFILE'
  | 'CREATE_USER'
  | 'CREATE_USER_GROUP'
  | 'AUDIT'
  | 'ADMINISTER';
export const SYSTEM_PERMISSIONS: readonly SystemPermission[] = [
  'CREATE_CONNECTION',
  'CREATE_CONNECTION_GROUP',
  'CREATE_SHARING_PROFILE',
  'CREATE_USER',
  'CREATE_USER_GROUP',
  'AUDIT',
  'ADMINISTER',
];

/** Object permissions of one entity, by kind then identifier. */
export interface PermissionSet {
  connectionPermissions: Map<string, Set<ObjectPermission>>;
  connectionGroupPermissions: Map<string, Set<ObjectPermission>>;
  sharingProfilePermissions: Map<string, Set<ObjectPermission>>;
  activeConnectionPermissions: Map<string, Set<ObjectPermission>>;
  userPermissions: Map<string, Set<ObjectPermission>>;
  userGroupPermissions: Map<string, Set<ObjectPermission>>;
  systemPermissions: Set<SystemPermission>;
}
export type ObjectPermissionKind = Exclude<keyof PermissionSet, 'systemPermissions'>;
export const OBJECT_PERMISSION_KINDS: readonly ObjectPermissionKind[] = [
  'connectionPermissions',
  'connectionGroupPermissions',
  'sharingProfilePermissions',
  'activeConnectionPermissions',
  'userPermissions',
  'userGroupPermissions',
];

export function emptyPermissions(): PermissionSet {
  return {
    connectionPermissions: new Map(),
    connectionGroupPermissions: new Map(),
    sharingProfilePermissions: new Map(),
    activeConnectionPermissions: new Map(),
    userPermissions: new Map(),
    userGroupPermissions: new Map(),
    systemPermissions: new Set(),
  };
}

export interface SimUser {
  username: string;
  /** Kept in clear in the simulator only (the webapp stores a salted SHA-256). */
  password: string | null;
  disabled: boolean;
  expired: boolean;
  /** The user attributes the JDBC schema has columns for (null when unset). */
  profile: Record<string, string | null>;
  /** Arbitrary attributes (guacamole_user_attribute); empty values are not stored. */
  attributes: Map<string, string>;
  permissions: PermissionSet;
  lastActive: number | null;
}

export interface SimUserGroup {
  identifier: string;
  disabled: boolean;
  attributes: Map<string, string>;
  /** Member usernames. */
  memberUsers: Set<string>;
  memberUserGroups: Set<string>;
  permissions: PermissionSet;
}

export interface SimConnection {
  identifier: string;
  name: string;
  parentIdentifier: string;
  protocol: string;
  parameters: Map<string, string>;
  /** Schema attributes (columns of guacamole_connection) and arbitrary ones. */
  attributes: Map<string, string>;
  lastActive: number | null;
}

export interface SimConnectionGroup {
  identifier: string;
  name: string;
  parentIdentifier: string;
  type: 'ORGANIZATIONAL' | 'BALANCING';
  attributes: Map<string, string>;
}

export interface ConnectionRecord {
  id: number;
  username: string;
  connectionIdentifier: string | null;
  connectionName: string;
  remoteHost: string;
  startDate: number;
  endDate: number | null;
}

export interface LoginRecord {
  id: number;
  username: string;
  remoteHost: string;
  startDate: number;
  endDate: number | null;
}

export interface GuacSimState {
  users: Map<string, SimUser>;
  userGroups: Map<string, SimUserGroup>;
  connections: Map<string, SimConnection>;
  /** Without ROOT: the root group is implicit, as in the database (parent_id NULL). */
  connectionGroups: Map<string, SimConnectionGroup>;
  connectionHistory: ConnectionRecord[];
  loginHistory: LoginRecord[];
  nextId: { connection: number; connectionGroup: number; history: number };
}

export const DEFAULT_ADMIN = { username: 'guacadmin', password: 'guacadmin' } as const;

/** The user attributes of the JDBC backend's user form (ModeledUser), returned null when unset. */
export const USER_PROFILE_ATTRIBUTES = [
  'guac-full-name',
  'guac-email-address',
  'guac-organization',
  'guac-organizational-role',
  'timezone',
  'access-window-start',
  'access-window-end',
  'valid-from',
  'valid-until',
] as const;

/** Connection attributes that are columns of guacamole_connection (ModeledConnection). */
export const CONNECTION_SCHEMA_ATTRIBUTES = [
  'max-connections',
  'max-connections-per-user',
  'weight',
  'failover-only',
  'guacd-hostname',
  'guacd-port',
  'guacd-encryption',
] as const;

export const CONNECTION_GROUP_SCHEMA_ATTRIBUTES = [
  'max-connections',
  'max-connections-per-user',
  'enable-session-affinity',
] as const;

export function newUser(username: string, password: string | null): SimUser {
  const permissions = emptyPermissions();
  // UserService.getImplicitPermissions: every new user may READ itself.
  permissions.userPermissions.set(username, new Set(['READ']));
  return {
    username,
    password,
    disabled: false,
    expired: false,
    profile: Object.fromEntries(USER_PROFILE_ATTRIBUTES.map((a) => [a, null])),
    attributes: new Map(),
    permissions,
    lastActive: null,
  };
}

/** What 002-create-admin-user.sql grants guacadmin (AUDIT, new in 1.6, is not granted). */
export const DEFAULT_ADMIN_SYSTEM_PERMISSIONS: readonly SystemPermission[] = [
  'CREATE_CONNECTION',
  'CREATE_CONNECTION_GROUP',
  'CREATE_SHARING_PROFILE',
  'CREATE_USER',
  'CREATE_USER_GROUP',
  'ADMINISTER',
];

/**
 * A fresh database: 001-create-schema.sql + 002-create-admin-user.sql, i.e. only `guacadmin`
 * (password `guacadmin`) with the system permissions above and READ/UPDATE/ADMINISTER on itself.
 */
export function seedState(): GuacSimState {
  const admin = newUser(DEFAULT_ADMIN.username, DEFAULT_ADMIN.password);
  for (const p of DEFAULT_ADMIN_SYSTEM_PERMISSIONS) admin.permissions.systemPermissions.add(p);
  admin.permissions.userPermissions.set(admin.username, new Set(['READ', 'UPDATE', 'ADMINISTER']));
  return {
    users: new Map([[admin.username, admin]]),
    userGroups: new Map(),
    connections: new Map(),
    connectionGroups: new Map(),
    connectionHistory: [],
    loginHistory: [],
    nextId: { connection: 1, connectionGroup: 1, history: 1 },
  };
}
