/**
 * The accounts of the users the site model assigns to this VM (lib/site/), as their state says:
 *
 * - present: the account (uid, full name, exact groups + the marker and RDP groups), its
 *   password (a Secret, on chpasswd's stdin, compared as a hash — never on a command line), its
 *   SSH keys (exactly these), its desktop start file, a sudoers entry if `sudo`;
 * - disabled: the account kept with its home, locked and expired, out of the RDP group, no sudo;
 * - absent: no sudo, the account removed (the home too only with `remove_home`);
 * - an account of the marker group that the map no longer assigns here: treated as disabled.
 */
import type { RoleContext } from '../../lib/define.js';
import { siteOf, usersOf, type SiteUser } from '../../lib/site/index.js';
import { authorizedKey, group, sudoers, template, user } from '../../tasks/index.js';
import { accountAccess } from './account-access.js';
import { type Pending, unlessPending } from './gate.js';
import { MARKER_GROUP, RDP_GROUP } from './groups.js';
import type { UbuntuDevVars } from './vars.js';

export async function accounts(ctx: RoleContext<UbuntuDevVars>, pending: Pending): Promise<void> {
  const { host, vars, task, inventoryHost } = ctx;
  const users = usersOf(siteOf(ctx), inventoryHost);

  await task('site user groups', async () => {
    const a = await group(host, { name: MARKER_GROUP, system: true });
    const b = await group(host, { name: RDP_GROUP, system: true });
    return { changed: a.changed || b.changed, changes: [...(a.changes ?? []), ...(b.changes ?? [])] };
  });

  for (const u of users) {
    if (u.state === 'absent') await removeUser(ctx, u);
    else await keepUser(ctx, u, pending, vars.dev_docker_users.includes(u.login));
  }

  // Users NovaStation made here that the map no longer assigns: disabled, never deleted by omission.
  const listed = new Set(users.map((u) => u.login));
  const members = await host.probe({ nothrow: true })`getent group ${MARKER_GROUP}`;
  const orphans = (members.stdout.trim().split(':')[3] ?? '').split(',').filter((m) => m && !listed.has(m));
  for (const login of orphans) {
    await task(`disable ${login} (no longer assigned to this VM)`, () => accountAccess(host, login, false));
    await task(`sudo not granted: ${login}`, () =>
      sudoers(host, { name: `novastation-${login}`, state: 'absent' }),
    );
  }
}

async function keepUser(ctx: RoleContext<UbuntuDevVars>, u: SiteUser, pending: Pending, docker: boolean) {
  const { host, vars, task } = ctx;
  const present = u.state === 'present';
  const groups = [...u.groups, MARKER_GROUP, ...(present ? [RDP_GROUP] : []), ...(docker ? ['docker'] : [])];
  await task(`account ${u.login}`, () =>
    user(host, {
      name: u.login,
      ...(u.uid !== undefined ? { uid: u.uid } : {}),
      comment: u.fullName,
      shell: '/bin/bash',
      groups,
      append: false,
      // A disabled user's password is left as it is (locked below); an SSO user has none.
      ...(present && u.password ? { password: u.password } : {}),
    }),
  );
  const missing = pending.accounts([u.login]);
  await task(`login ${present ? 'allowed' : 'refused'}: ${u.login}`, () =>
    unlessPending(
      missing,
      `refuse logins of ${u.login}`,
      () => accountAccess(host, u.login, present),
      // A new account has no expiry date: nothing to allow.
      present ? `useradd makes ${u.login} without an expiry date` : undefined,
    ),
  );
  await task(`sudo ${u.sudo && present ? 'granted' : 'not granted'}: ${u.login}`, () =>
    sudoers(
      host,
      u.sudo && present
        ? { name: `novastation-${u.login}`, user: u.login, commands: 'ALL' }
        : { name: `novastation-${u.login}`, state: 'absent' },
    ),
  );
  if (!present) return;
  await task(`ssh keys ${u.login}`, () =>
    unlessPending(missing, `write ~${u.login}/.ssh/authorized_keys`, () =>
      authorizedKey(host, { user: u.login, keys: u.sshKeys, exclusive: true }),
    ),
  );
  await task(`desktop session ${u.login}`, () =>
    unlessPending(missing, `write ~${u.login}/.xsession`, () =>
      template(host, {
        path: `/home/${u.login}/.xsession`,
        src: 'ubuntu-dev/xsession.hbs',
        vars: { session: vars.desktop_session },
        mode: '0644',
        owner: u.login,
        group: u.login,
      }),
    ),
  );
}

async function removeUser(ctx: RoleContext<UbuntuDevVars>, u: SiteUser) {
  const { host, task } = ctx;
  await task(`sudo not granted: ${u.login}`, () =>
    sudoers(host, { name: `novastation-${u.login}`, state: 'absent' }),
  );
  await task(`account ${u.login} removed`, () =>
    user(host, { name: u.login, state: 'absent', removeHome: u.removeHome }),
  );
}
