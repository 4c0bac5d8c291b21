/**
 * The API identity NovaStation's Proxmox roles use, made with `pveum` on the server: a user, a
 * role with exactly the least privileges (lib/proxmox/privileges.ts), the role on `/` for the
 * user and for the token (with privilege separation a token has at most what its user has), and
 * the token. Proxmox shows a token's secret once, in `pveum user token add`'s output: it goes
 * from that output straight into the vault, as a Secret, and is never printed or logged.
 *
 * If saving it fails, the token is removed again, so the next run can make a new one; a token
 * that exists while the vault lacks its secret is reported (its secret cannot be read back).
 */
import type { Host } from '../../lib/host/host.js';
import type { Change, Resource } from '../../lib/resource.js';
import { Secret } from '../../lib/secret.js';
import { quotePosix as q } from '../../lib/shell/quote.js';

export interface IdentitySpec {
  /** `novastation@pve` */
  user: string;
  /** `site` (the token id is user!site) */
  token: string;
  /** `NovaStation` */
  role: string;
  privileges: readonly string[];
  /** The vault entry for the token's secret. */
  vaultEntry: string;
  /** Whether the vault holds the entry now. */
  inVault(): Promise<boolean>;
  save(secret: Secret): Promise<void>;
}

interface AclEntry {
  path: string;
  type: string;
  ugid: string;
  roleid: string;
}

export interface IdentityState {
  userExists: boolean;
  /** The role's privileges, or null when it does not exist. */
  rolePrivileges: string[] | null;
  acl: AclEntry[];
  tokenExists: boolean;
  inVault: boolean;
}

function section(stdout: string, name: string): unknown {
  const m = new RegExp(`^@@ns ${name}\\n(.*)$`, 'm').exec(stdout);
  if (!m) throw new Error(`pveum gave no ${name} listing`);
  return JSON.parse(m[1]!.trim() || '[]');
}

const privList = (p: unknown): string[] =>
  (Array.isArray(p) ? p.map(String) : typeof p === 'string' ? p.split(/[,\s]+/) : []).filter(Boolean).sort();

export function identityResource(spec: IdentitySpec): Resource<IdentityState> {
  const tokenId = `${spec.user}!${spec.token}`;
  const wanted = [...spec.privileges].sort();
  const hasAcl = (s: IdentityState, type: 'user' | 'token', ugid: string) =>
    s.acl.some((a) => a.path === '/' && a.type === type && a.ugid === ugid && a.roleid === spec.role);
  return {
    id: `Proxmox API identity ${tokenId}`,
    async read(host) {
      const r = await host.probe`eval ${[
        `echo '@@ns users'; pveum user list --output-format json`,
        `echo '@@ns roles'; pveum role list --output-format json`,
        `echo '@@ns acl'; pveum acl list --output-format json`,
        // No such user yet: no tokens.
        `echo '@@ns tokens'; pveum user token list ${spec.user} --output-format json 2>/dev/null || echo '[]'`,
      ].join('\n')}`;
      const users = section(r.stdout, 'users') as { userid: string }[];
      const roles = section(r.stdout, 'roles') as { roleid: string; privs: unknown }[];
      const tokens = section(r.stdout, 'tokens') as { tokenid: string }[];
      const role = roles.find((x) => x.roleid === spec.role);
      return {
        userExists: users.some((u) => u.userid === spec.user),
        rolePrivileges: role ? privList(role.privs) : null,
        acl: section(r.stdout, 'acl') as AclEntry[],
        tokenExists: tokens.some((t) => t.tokenid === spec.token),
        inVault: await spec.inVault(),
      };
    },
    plan(s) {
      const changes: Change[] = [];
      if (!s.userExists) changes.push({ field: `user ${spec.user}`, to: 'created' });
      if (!s.rolePrivileges)
        changes.push({ field: `role ${spec.role}`, to: `created (${wanted.join(' ')})` });
      else if (s.rolePrivileges.join(' ') !== wanted.join(' '))
        changes.push({
          field: `role ${spec.role} privileges`,
          from: s.rolePrivileges.join(' '),
          to: wanted.join(' '),
        });
      if (!hasAcl(s, 'user', spec.user))
        changes.push({ field: `ACL / user ${spec.user}`, to: `role ${spec.role}` });
      if (s.tokenExists && !s.inVault)
        throw new Error(
          `the API token ${tokenId} exists but the vault has no entry ${spec.vaultEntry}, and Proxmox shows a token's secret only when it is made: remove the token (pveum user token remove ${spec.user} ${spec.token}) and run again, or put its secret into the vault as ${spec.vaultEntry}`,
        );
      if (!s.tokenExists)
        changes.push({
          field: `token ${tokenId}`,
          to: `created (secret saved in the vault as ${spec.vaultEntry})`,
        });
      if (!hasAcl(s, 'token', tokenId))
        changes.push({ field: `ACL / token ${tokenId}`, to: `role ${spec.role}` });
      return changes;
    },
    async apply(host, s) {
      const privs = wanted.join(',');
      const setup = [
        ...(s.userExists ? [] : [`pveum user add ${q(spec.user)} --comment 'NovaStation automation'`]),
        ...(!s.rolePrivileges
          ? [`pveum role add ${q(spec.role)} --privs ${q(privs)}`]
          : s.rolePrivileges.join(' ') !== wanted.join(' ')
            ? [`pveum role modify ${q(spec.role)} --privs ${q(privs)}`]
            : []),
        ...(hasAcl(s, 'user', spec.user)
          ? []
          : [`pveum acl modify / --users ${q(spec.user)} --roles ${q(spec.role)}`]),
      ];
      if (setup.length) await host.$`eval ${['set -e', ...setup].join('\n')}`;
      if (!s.tokenExists) await createToken(host, spec);
      if (!hasAcl(s, 'token', tokenId))
        await host.$`pveum acl modify / --tokens ${tokenId} --roles ${spec.role}`;
    },
  };
}

/** `pveum user token add`: its JSON output holds the secret; it becomes a Secret at once. */
async function createToken(host: Host, spec: IdentitySpec): Promise<void> {
  const r = await host.$({
    nothrow: true,
  })`pveum user token add ${spec.user} ${spec.token} --privsep 1 --comment ${'NovaStation'} --output-format json`;
  let value: unknown;
  try {
    value = (
      JSON.parse(
        r.stdout
          .trim()
          .split('\n')
          .find((l) => l.startsWith('{')) ?? '',
      ) as { value?: unknown }
    ).value;
  } catch {
    value = undefined;
  }
  // Never quote stdout in an error: on success it holds the secret.
  if (r.exitCode !== 0 || typeof value !== 'string' || !value)
    throw new Error(
      `pveum user token add ${spec.user} ${spec.token} failed (exit ${r.exitCode})${r.exitCode ? `: ${r.stderr.trim().split('\n').slice(-3).join(' ')}` : ': its output held no secret'}`,
    );
  const secret = new Secret(value);
  try {
    await spec.save(secret);
  } catch (error) {
    await host.$({ nothrow: true })`pveum user token remove ${spec.user} ${spec.token}`;
    throw new Error(
      `the token ${spec.user}!${spec.token} was made but its secret could not be saved in the vault, so the token was removed again: ${(error as Error).message}`,
    );
  }
}
