/**
 * The writes that make Guacamole equal to the desired state, computed from one read before any is
 * sent — so check mode lists exactly what a real run sends — in the order the API needs them:
 *
 *   account  the administrator's own user and system permissions (first: on a fresh database the
 *            sync is logged in as the default admin only until its own administrator exists)
 *   groups   user groups, then users and their system permissions and memberships
 *   objects  connection groups, then connections (new identifiers are known only when created,
 *            so later writes name them by VM and kind and look the identifier up when sent)
 *   access   READ permissions: one PATCH per user
 *   removal  users declared absent; with prune, NovaStation's objects the site no longer lists
 *   default  the default admin deleted (or disabled)
 *
 * Only what differs is written; a PUT carries the whole object (the API replaces it), with the
 * attributes NovaStation does not manage as they were.
 */
import type { GuacamoleClient } from '../client.js';
import { ROOT_GROUP, type Attributes } from '../api.js';
import type { Current } from './current.js';
import type { Desired } from './desired.js';
import { MARK, PASSWORD_MARK, userGroupMark } from './markers.js';
import type { SyncOptions } from './options.js';
import { parameterDiffs } from './parameters.js';
import { accessPatch, systemPatch } from './permissions.js';

export interface Ids {
  connection(vm: string): string;
  group(kind: string): string;
  remember(mark: string, identifier: string): void;
}

export interface Write {
  /** What it does, for the report (never a secret). */
  line: string;
  /** Must be sent while still logged in as whoever the sync started as (the account phase). */
  account: boolean;
  send(client: GuacamoleClient, ids: Ids): Promise<void>;
}

export interface Plan {
  writes: Write[];
  /** Objects that block the sync (same name, not NovaStation's): nothing is written. */
  conflicts: string[];
  /** NovaStation's objects the site no longer lists, kept because prune is off. */
  stale: string[];
}

const enc = encodeURIComponent;

export function planSync(
  desired: Desired,
  current: Current,
  options: SyncOptions,
  /** The admin's login was refused although its user exists: its password must be set again. */
  resetAdminPassword = false,
): Plan {
  const plan: Plan = { writes: [], conflicts: [], stale: [] };
  const buckets = {
    account: [] as Write[],
    groups: [] as Write[],
    users: [] as Write[],
    objects: [] as Write[],
    access: [] as Write[],
    removal: [] as Write[],
    default: [] as Write[],
  };
  const add = (bucket: keyof typeof buckets, line: string, send: Write['send']) =>
    buckets[bucket].push({ line, account: bucket === 'account', send });

  // User groups.
  for (const name of desired.userGroups) {
    const cur = current.userGroups.get(name);
    if (cur && !cur.managed)
      plan.conflicts.push(`user group ${name} exists and was not created by NovaStation`);
    if (!cur)
      add('groups', `user group ${name}: create`, (c) =>
        c.write('POST', '/userGroups', {
          identifier: name,
          attributes: { disabled: null, [MARK]: userGroupMark },
        }),
      );
  }

  // Users, their system permissions and memberships.
  for (const user of desired.users) {
    const cur = current.users.get(user.login);
    const bucket = user.login === options.admin ? 'account' : 'users';
    const path = `/users/${enc(user.login)}`;
    if (cur && !cur.managed) {
      plan.conflicts.push(
        `user ${user.login} exists and was not created by NovaStation (no ${MARK} attribute)`,
      );
      continue;
    }
    if (!cur) {
      const what = [user.admin ? 'admin' : '', user.attributes.disabled ? 'disabled' : ''].filter(Boolean);
      add(bucket, `user ${user.login}: create${what.length ? ` (${what.join(', ')})` : ''}`, (c) =>
        c.write('POST', '/users', {
          username: user.login,
          ...(user.password ? { password: user.password.reveal() } : {}),
          attributes: user.attributes,
        }),
      );
    } else {
      const changed: string[] = [];
      for (const [key, want] of Object.entries(user.attributes)) {
        if (key === PASSWORD_MARK) continue;
        const have = cur.attributes[key] ?? null;
        if (have !== want) changed.push(`${key} ${have ?? '(unset)'} → ${want ?? '(unset)'}`);
      }
      const passwordChanged =
        (cur.attributes[PASSWORD_MARK] ?? null) !== user.attributes[PASSWORD_MARK] ||
        (resetAdminPassword && user.login === options.admin);
      if (passwordChanged) changed.push(user.password ? 'password changed' : 'password digest removed');
      if (changed.length)
        add(bucket, `user ${user.login}: ${changed.join(', ')}`, (c) =>
          c.write('PUT', path, {
            username: user.login,
            ...(passwordChanged && user.password ? { password: user.password.reveal() } : {}),
            attributes: { ...cur.attributes, ...user.attributes },
          }),
        );
    }
    const system = systemPatch(user, cur?.permissions);
    if (system.length)
      add(bucket, `user ${user.login}: system permissions ${describe(system)}`, (c) =>
        c.write('PATCH', `${path}/permissions`, system),
      );
    const have = new Set(cur?.groups ?? []);
    const memberships = [
      ...user.groups.filter((g) => !have.has(g)).map((g) => ({ op: 'add' as const, path: '/', value: g })),
      ...[...have]
        .filter((g) => !user.groups.includes(g) && current.userGroups.get(g)?.managed)
        .map((g) => ({ op: 'remove' as const, path: '/', value: g })),
    ];
    if (memberships.length)
      add('users', `user ${user.login}: user groups ${describe(memberships)}`, (c) =>
        c.write('PATCH', `${path}/userGroups`, memberships),
      );
  }

  // Connection groups, then connections.
  for (const group of desired.groups) {
    const cur = current.groups.get(group.mark);
    const blocker = current.foreignGroups.find(
      (g) => g.name === group.name && g.parentIdentifier === ROOT_GROUP,
    );
    if (blocker && (!cur || cur.name !== group.name))
      plan.conflicts.push(`connection group "${group.name}" exists and was not created by NovaStation`);
    const body = (attributes: Attributes) => ({
      name: group.name,
      parentIdentifier: ROOT_GROUP,
      type: 'ORGANIZATIONAL',
      attributes: { ...attributes, [MARK]: group.mark },
    });
    if (!cur) {
      add('objects', `connection group ${group.name}: create`, async (c, ids) => {
        const made = await c.write<{ identifier: string }>('POST', '/connectionGroups', body({}));
        ids.remember(group.mark, made.identifier);
      });
      continue;
    }
    const diffs = [
      cur.name !== group.name ? `name ${cur.name} → ${group.name}` : '',
      cur.parentIdentifier !== ROOT_GROUP ? 'moved back to the top level' : '',
      cur.type !== 'ORGANIZATIONAL' ? `type ${cur.type} → ORGANIZATIONAL` : '',
    ].filter(Boolean);
    if (diffs.length)
      add('objects', `connection group ${group.name}: ${diffs.join(', ')}`, (c) =>
        c.write('PUT', `/connectionGroups/${enc(cur.identifier)}`, body(cur.attributes)),
      );
  }
  for (const conn of desired.connections) {
    const cur = current.connections.get(conn.mark);
    const groupMark = `group:${conn.kind}`;
    const groupName = options.groupNames[conn.kind];
    const body = (ids: Ids, attributes: Attributes) => ({
      name: conn.name,
      parentIdentifier: ids.group(groupMark),
      protocol: conn.protocol,
      parameters: conn.parameters,
      attributes: { ...attributes, [MARK]: conn.mark },
    });
    if (!cur) {
      add(
        'objects',
        `connection ${conn.name}: create in ${groupName} (${conn.protocol} ${conn.parameters.hostname}:${conn.parameters.port}, security ${conn.parameters.security})`,
        async (c, ids) => {
          const made = await c.write<{ identifier: string }>('POST', '/connections', body(ids, {}));
          ids.remember(conn.mark, made.identifier);
        },
      );
      continue;
    }
    const parentGroup = current.groups.get(groupMark);
    const diffs: string[] = [];
    if (cur.name !== conn.name) diffs.push(`name ${cur.name} → ${conn.name}`);
    if (!parentGroup || cur.parentIdentifier !== parentGroup.identifier) diffs.push(`moved to ${groupName}`);
    if (cur.protocol !== conn.protocol) diffs.push(`protocol ${cur.protocol} → ${conn.protocol}`);
    diffs.push(...parameterDiffs(cur.parameters, conn.parameters));
    if (diffs.length)
      add('objects', `connection ${conn.name}: ${diffs.join(', ')}`, (c, ids) =>
        c.write('PUT', `/connections/${enc(cur.identifier)}`, body(ids, cur.attributes)),
      );
  }

  // READ on exactly the user's connections and their groups.
  for (const user of desired.users) {
    const cur = current.users.get(user.login);
    if (cur && !cur.managed) continue;
    const ops = accessPatch(user, cur?.permissions, desired, current, options);
    if (ops.length)
      add(
        'access',
        `user ${user.login}: READ ${ops.map((o) => `${o.op === 'add' ? '+' : '-'}${o.label}`).join(', ')}`,
        (c, ids) =>
          c.write(
            'PATCH',
            `/users/${enc(user.login)}/permissions`,
            ops.map((o) => o.patch(ids)),
          ),
      );
  }

  // Removal: users declared absent always; the rest only with prune.
  for (const login of desired.absent) {
    const cur = current.users.get(login);
    if (cur?.managed && login !== options.admin)
      add('removal', `user ${login}: delete (state: absent)`, (c) =>
        c.write('DELETE', `/users/${enc(login)}`),
      );
  }
  const declared = new Set([...desired.users.map((u) => u.login), ...desired.absent]);
  const stale: [string, Write['send']][] = [];
  for (const [mark, c] of current.connections)
    if (!desired.connections.some((d) => d.mark === mark))
      stale.push([`connection ${c.name}`, (cl) => cl.write('DELETE', `/connections/${enc(c.identifier)}`)]);
  for (const [mark, g] of current.groups)
    if (!desired.groups.some((d) => d.mark === mark))
      stale.push([
        `connection group ${g.name}`,
        (cl) => cl.write('DELETE', `/connectionGroups/${enc(g.identifier)}`),
      ]);
  for (const [login, u] of current.users)
    if (u.managed && !declared.has(login) && login !== options.admin)
      stale.push([`user ${login}`, (cl) => cl.write('DELETE', `/users/${enc(login)}`)]);
  for (const [name, g] of current.userGroups)
    if (g.managed && !desired.userGroups.includes(name))
      stale.push([`user group ${name}`, (cl) => cl.write('DELETE', `/userGroups/${enc(name)}`)]);
  for (const [what, send] of stale) {
    if (options.prune) add('removal', `${what}: delete (prune)`, send);
    else plan.stale.push(what);
  }

  // The default admin never survives a run.
  const def = current.users.get(options.defaultAdmin.username);
  if (def && options.defaultAdmin.username !== options.admin) {
    const path = `/users/${enc(def.username)}`;
    if (options.defaultAdmin.action === 'delete')
      add('default', `user ${def.username}: delete (the default administrator)`, (c) =>
        c.write('DELETE', path),
      );
    else if (def.attributes.disabled !== 'true')
      add('default', `user ${def.username}: disable (the default administrator)`, (c) =>
        c.write('PUT', path, { username: def.username, attributes: { ...def.attributes, disabled: 'true' } }),
      );
  }

  plan.writes = [
    ...buckets.account,
    ...buckets.groups,
    ...buckets.users,
    ...buckets.objects,
    ...buckets.access,
    ...buckets.removal,
    ...buckets.default,
  ];
  return plan;
}

function describe(ops: { op: string; value: string }[]): string {
  return ops.map((o) => `${o.op === 'add' ? '+' : '-'}${o.value}`).join(', ');
}
