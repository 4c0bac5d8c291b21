/**
 * The Guacamole objects the site model calls for (lib/site/types.ts): one user per site user that
 * is not `absent`, the user groups they name, one RDP connection per VM assigned to someone
 * (present or disabled), in a connection group per VM kind, and per user READ on exactly the
 * connections of their VMs and on the groups holding them (a user needs READ on a group to see
 * what is inside it in the tree).
 */
import { InvalidInputError } from '../../errors.js';
import type { SiteModel, SiteUser, SiteVm } from '../../site/types.js';
import type { Secret } from '../../secret.js';
import { ADMIN_SYSTEM_PERMISSIONS, type Attributes } from '../api.js';
import { MARK, PASSWORD_MARK, connectionMark, groupMark, passwordDigest, userMark } from './markers.js';
import type { RdpOptions, SyncOptions } from './options.js';

export interface DesiredUser {
  login: string;
  password?: Secret;
  /** The attributes the sync owns (others on the object are kept). */
  attributes: Attributes;
  systemPermissions: string[];
  admin: boolean;
  groups: string[];
  /** VM names whose connections the user may READ. */
  vms: string[];
  /** Connection kinds the user's VMs are in. */
  kinds: ('dev' | 'gpu')[];
}

export interface DesiredConnection {
  vm: string;
  kind: 'dev' | 'gpu';
  name: string;
  protocol: 'rdp';
  parameters: Record<string, string>;
  mark: string;
}

export interface DesiredGroup {
  kind: 'dev' | 'gpu';
  name: string;
  mark: string;
}

export interface Desired {
  users: DesiredUser[];
  /** Logins declared `absent`: removed if NovaStation made them. */
  absent: string[];
  userGroups: string[];
  groups: DesiredGroup[];
  connections: DesiredConnection[];
}

/** Problems with the model for this sync, each naming where it was declared; empty when fine. */
export function checkSite(model: SiteModel, options: Pick<SyncOptions, 'admin'>): InvalidInputError[] {
  const problems: InvalidInputError[] = [];
  const where = (u: SiteUser, field: string) => {
    const [file, line] = u.declaredAt.split(/:(?=\d+$)/);
    return { file: file!, ...(line ? { line: Number(line) } : {}), path: `site_users.${u.login}.${field}` };
  };
  const vms = new Map(model.vms.map((v) => [v.name, v]));
  for (const user of model.users) {
    if (user.state === 'absent') continue;
    if (!user.sso && !user.password)
      problems.push(
        new InvalidInputError(
          'required for a user who does not sign in through SSO',
          where(user, 'password'),
        ),
      );
    for (const name of user.vms) {
      const vm = vms.get(name);
      if (!vm)
        problems.push(new InvalidInputError(`${name} is not a VM of the inventory`, where(user, 'vms')));
      else if (!vm.address)
        problems.push(
          new InvalidInputError(
            `${name} has no address for its Guacamole connection (set ansible_host or vm_ip on host ${name})`,
            where(user, 'vms'),
          ),
        );
    }
  }
  const admin = model.users.find((u) => u.login === options.admin);
  if (!admin)
    problems.push(
      new InvalidInputError(`guacamole_admin: ${options.admin} is not one of site_users`, {
        path: 'guacamole_admin',
      }),
    );
  else if (!admin.admin || !admin.password || admin.state !== 'present')
    problems.push(
      new InvalidInputError(
        `guacamole_admin names ${admin.login}, who must be present, with admin: true and a password`,
        where(admin, 'admin'),
      ),
    );
  return problems;
}

export function desiredState(model: SiteModel, options: SyncOptions): Desired {
  const problems = checkSite(model, options);
  if (problems.length) throw problems[0]!;
  const vms = new Map(model.vms.map((v) => [v.name, v]));
  const live = model.users.filter((u) => u.state !== 'absent');
  const assigned = new Set(live.flatMap((u) => u.vms));
  const connections = model.vms
    .filter((vm) => assigned.has(vm.name))
    .map((vm) => ({
      vm: vm.name,
      kind: vm.kind,
      name: vm.name,
      protocol: 'rdp' as const,
      parameters: rdpParameters(vm, options.rdp),
      mark: connectionMark(vm.name),
    }));
  const kinds = [...new Set(connections.map((c) => c.kind))].sort();
  return {
    users: live.map((u) => {
      const userKinds = [...new Set(u.vms.map((n) => vms.get(n)!.kind))].sort();
      return {
        login: u.login,
        ...(u.password ? { password: u.password } : {}),
        attributes: {
          disabled: u.state === 'disabled' ? 'true' : null,
          'guac-full-name': u.fullName || null,
          [MARK]: userMark,
          [PASSWORD_MARK]: u.password ? passwordDigest(options.passwordKey, u.login, u.password) : null,
        },
        systemPermissions: u.admin ? [...ADMIN_SYSTEM_PERMISSIONS] : [],
        admin: u.admin,
        groups: [...new Set(u.guacamoleGroups)].sort(),
        vms: [...new Set(u.vms)].sort(),
        kinds: userKinds,
      };
    }),
    absent: model.users.filter((u) => u.state === 'absent').map((u) => u.login),
    userGroups: [...new Set(live.flatMap((u) => u.guacamoleGroups))].sort(),
    groups: kinds.map((kind) => ({ kind, name: options.groupNames[kind], mark: groupMark(kind) })),
    connections,
  };
}

/**
 * The connection's parameters. What is left out is guacd's default: wallpaper, theming, font
 * smoothing, full-window drag, desktop composition and menu animations all off — what keeps
 * low-spec clients fast. Every value is a string, as the API stores them.
 */
export function rdpParameters(vm: SiteVm, rdp: RdpOptions): Record<string, string> {
  const p: Record<string, string> = {
    hostname: vm.address!,
    port: String(vm.rdpPort),
    security: vm.os === 'windows' ? rdp.security.windows : rdp.security.ubuntu,
    'resize-method': 'display-update',
  };
  if (rdp.certPolicy === 'ignore') p['ignore-cert'] = 'true';
  if (rdp.certPolicy === 'tofu') p['cert-tofu'] = 'true';
  if (rdp.clipboard === 'none' || rdp.clipboard === 'paste') p['disable-copy'] = 'true';
  if (rdp.clipboard === 'none' || rdp.clipboard === 'copy') p['disable-paste'] = 'true';
  if (rdp.drive) {
    p['enable-drive'] = 'true';
    p['drive-name'] = rdp.driveName;
    p['drive-path'] = rdp.drivePath;
    p['create-drive-path'] = 'true';
  }
  if (rdp.passThrough) {
    // Guacamole's parameter tokens: the signed-in user's own name and password.
    p.username = '${GUAC_USERNAME}';
    p.password = '${GUAC_PASSWORD}';
  }
  if (rdp.serverLayout) p['server-layout'] = rdp.serverLayout;
  if (rdp.timezone) p.timezone = rdp.timezone;
  if (rdp.disableGfx) {
    p['disable-gfx'] = 'true';
    if (rdp.colorDepth) p['color-depth'] = String(rdp.colorDepth);
  }
  if (rdp.disableAudio) p['disable-audio'] = 'true';
  return p;
}
