/**
 * Permission patches of one user: its system permissions exactly as desired, and READ on exactly
 * the connections of its VMs and the groups holding them (plan.ts sends each as one PATCH).
 */
import type { ApiPermissionSet, PermissionPatch } from '../api.js';
import type { Current } from './current.js';
import type { Desired, DesiredUser } from './desired.js';
import type { SyncOptions } from './options.js';
import type { Ids } from './plan.js';

export function systemPatch(user: DesiredUser, permissions: ApiPermissionSet | undefined): PermissionPatch[] {
  const have = new Set(permissions?.systemPermissions ?? []);
  return [
    ...user.systemPermissions
      .filter((p) => !have.has(p))
      .map((value) => ({ op: 'add' as const, path: '/systemPermissions', value })),
    ...[...have]
      .filter((p) => !user.systemPermissions.includes(p))
      .map((value) => ({ op: 'remove' as const, path: '/systemPermissions', value })),
  ];
}

export interface AccessOp {
  op: 'add' | 'remove';
  label: string;
  patch(ids: Ids): PermissionPatch;
}

/**
 * READ on the user's connections and their groups, and on no other connection or group of
 * NovaStation's. An administrator (system ADMINISTER sees everything anyway) only gets what is
 * missing; and the sync's own administrator gets nothing on what it is about to create: the
 * creator of an object holds every permission on it already.
 */
export function accessPatch(
  user: DesiredUser,
  permissions: ApiPermissionSet | undefined,
  desired: Desired,
  current: Current,
  options: SyncOptions,
): AccessOp[] {
  const ops: AccessOp[] = [];
  const creator = user.login === options.admin;
  const has = (kind: 'connectionPermissions' | 'connectionGroupPermissions', id: string | undefined) =>
    id !== undefined && (permissions?.[kind][id] ?? []).includes('READ');
  for (const kind of user.kinds) {
    const mark = `group:${kind}`;
    const cur = current.groups.get(mark);
    if (has('connectionGroupPermissions', cur?.identifier) || (!cur && creator)) continue;
    ops.push({
      op: 'add',
      label: `group ${options.groupNames[kind]}`,
      patch: (ids) => ({ op: 'add', path: `/connectionGroupPermissions/${ids.group(mark)}`, value: 'READ' }),
    });
  }
  for (const vm of user.vms) {
    const mark = `vm:${vm}`;
    const cur = current.connections.get(mark);
    if (has('connectionPermissions', cur?.identifier) || (!cur && creator)) continue;
    ops.push({
      op: 'add',
      label: `connection ${vm}`,
      patch: (ids) => ({ op: 'add', path: `/connectionPermissions/${ids.connection(vm)}`, value: 'READ' }),
    });
  }
  if (user.admin) return ops;
  for (const [mark, g] of current.groups) {
    const kind = mark.slice('group:'.length) as 'dev' | 'gpu';
    if (user.kinds.includes(kind) && desired.groups.some((d) => d.mark === mark)) continue;
    if (has('connectionGroupPermissions', g.identifier))
      ops.push({
        op: 'remove',
        label: `group ${g.name}`,
        patch: () => ({ op: 'remove', path: `/connectionGroupPermissions/${g.identifier}`, value: 'READ' }),
      });
  }
  for (const [mark, c] of current.connections) {
    if (user.vms.includes(mark.slice('vm:'.length)) && desired.connections.some((d) => d.mark === mark))
      continue;
    if (has('connectionPermissions', c.identifier))
      ops.push({
        op: 'remove',
        label: `connection ${c.name}`,
        patch: () => ({ op: 'remove', path: `/connectionPermissions/${c.identifier}`, value: 'READ' }),
      });
  }
  return ops;
}
