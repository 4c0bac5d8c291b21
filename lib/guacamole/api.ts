/**
 * The REST shapes the sync reads and writes (rest/user/APIUser, rest/connection/APIConnection,
 * rest/connectiongroup/APIConnectionGroup, rest/usergroup/APIUserGroup, rest/permission/
 * APIPermissionSet). All attribute and parameter values are strings; unset attributes come back null.
 */
export type Attributes = Record<string, string | null>;

export interface ApiUser {
  username: string;
  password?: string;
  attributes: Attributes;
  lastActive?: number;
}

export interface ApiUserGroup {
  identifier: string;
  attributes: Attributes;
}

export interface ApiConnection {
  identifier?: string;
  name: string;
  parentIdentifier: string;
  protocol: string;
  parameters?: Record<string, string>;
  attributes: Attributes;
}

export interface ApiConnectionGroup {
  identifier?: string;
  name: string;
  parentIdentifier: string;
  type: 'ORGANIZATIONAL' | 'BALANCING';
  attributes: Attributes;
}

export interface ApiPermissionSet {
  connectionPermissions: Record<string, string[]>;
  connectionGroupPermissions: Record<string, string[]>;
  userPermissions: Record<string, string[]>;
  userGroupPermissions: Record<string, string[]>;
  systemPermissions: string[];
}

export interface PermissionPatch {
  op: 'add' | 'remove';
  path: string;
  value: string;
}

export const ROOT_GROUP = 'ROOT';

/** What 002-create-admin-user.sql grants `guacadmin`: what an administrator made by the sync gets. */
export const ADMIN_SYSTEM_PERMISSIONS = [
  'CREATE_CONNECTION',
  'CREATE_CONNECTION_GROUP',
  'CREATE_SHARING_PROFILE',
  'CREATE_USER',
  'CREATE_USER_GROUP',
  'ADMINISTER',
] as const;
