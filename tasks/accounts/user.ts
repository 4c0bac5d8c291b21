/**
 * `user`: a local account present (uid, primary group, supplementary groups, shell, home,
 * comment, password) or absent. One read round trip (tasks/accounts/account-facts.ts), then, when
 * something differs, one write round trip: a single script of useradd/usermod/userdel, the home
 * folder's creation and chpasswd, with any password on that script's stdin.
 *
 * Passwords (decided for issue 3):
 * - `passwordHash` (a crypt hash such as `$y$…` or `$6$…`, string or Secret) is compared with the
 *   shadow entry on the host and set with `chpasswd -e` when it differs;
 * - `password` (a plain Secret) is set with `chpasswd` (PAM hashes it: yescrypt on Debian 12).
 *   With `updatePassword: 'always'` (the default, as Ansible's update_password) it is compared by
 *   hashing it on the host with the stored hash as salt (Perl's crypt, see account-facts.ts), so a
 *   second run changes nothing; with `'onCreate'` it is only set when the account is created.
 * Either way the password travels on stdin only, and no change line or diff carries it.
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Provision, type Resource } from '../../lib/resource.js';
import { isSecret, Secret } from '../../lib/secret.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { parseUserProbe, userProbeScript, type Account, type UserFacts } from './account-facts.js';
import { checkAccountName, checkField, checkFieldPath, checkGroupRef, checkId } from './account-options.js';
import { checkBoolean, checkObject, checkOneOf, fail } from '../options.js';

export interface UserOptions {
  name: string;
  /** Default `present`. */
  state?: 'present' | 'absent';
  uid?: number;
  /** Primary group, by name or numeric gid. Default for a new user: a group named like the user (made if missing). */
  group?: string;
  /** Supplementary groups (names); exactly these unless `append`. Not managed when not given. */
  groups?: readonly string[];
  /** Add `groups` to those the user has, removing none. Default false: exactly `groups`. */
  append?: boolean;
  /** Login shell (absolute path). */
  shell?: string;
  /** Home folder. Default for a new user: useradd's (`/home/<name>`). */
  home?: string;
  /** Create the home folder (from /etc/skel) when it is missing. Default: true, false for system users. */
  createHome?: boolean;
  /** With a changed `home`: move the old home's content there (`usermod -m`). */
  moveHome?: boolean;
  /** Create as a system account (uid from the system range). Only used on creation. */
  system?: boolean;
  /** GECOS comment (full name). */
  comment?: string;
  /** A crypt hash (`$y$…`, `$6$…`; `!…` for a locked account), compared with /etc/shadow. */
  passwordHash?: string | Secret;
  /** A plain password, set through chpasswd's stdin. A Secret, so it is never logged. */
  password?: Secret;
  /** `always` (default): keep the password as given; `onCreate`: set it only when creating the user. */
  updatePassword?: 'always' | 'onCreate';
  /** With state `absent`: also remove the home folder and mail spool (`userdel -r`). */
  removeHome?: boolean;
}

/** Like `fail`, for a value that may be a password: the message never shows it. */
function refuseHidden(option: string, expected: string): never {
  throw new TypeError(`user: ${option} ${expected} (the value is not shown)`);
}

const PRESENT_ONLY = [
  'uid',
  'group',
  'groups',
  'append',
  'shell',
  'home',
  'createHome',
  'moveHome',
  'system',
  'comment',
  'passwordHash',
  'password',
  'updatePassword',
] as const;

function checkUserOptions(o: UserOptions): void {
  const p = 'user';
  checkObject(p, o);
  checkAccountName(p, 'name', o.name);
  checkOneOf(p, 'state', o.state, ['present', 'absent']);
  if (o.state === 'absent') {
    for (const key of PRESENT_ONLY) {
      if (o[key] === undefined) continue;
      if (key === 'password' || key === 'passwordHash')
        refuseHidden(key, 'has no meaning with state "absent"');
      fail(p, key, 'has no meaning with state "absent"', o[key]);
    }
    checkBoolean(p, 'removeHome', o.removeHome);
    return;
  }
  if (o.removeHome !== undefined) fail(p, 'removeHome', 'only applies with state "absent"', o.removeHome);
  checkId(p, 'uid', o.uid);
  checkGroupRef(p, 'group', o.group);
  if (o.groups !== undefined) {
    if (!Array.isArray(o.groups)) fail(p, 'groups', 'must be an array of group names', o.groups);
    for (const g of o.groups) checkAccountName(p, 'groups', g);
  }
  for (const key of ['append', 'createHome', 'moveHome', 'system'] as const) checkBoolean(p, key, o[key]);
  if (o.append !== undefined && o.groups === undefined) fail(p, 'append', 'needs groups', o.append);
  if (o.moveHome && o.home === undefined) fail(p, 'moveHome', 'needs home', o.moveHome);
  checkFieldPath(p, 'shell', o.shell);
  checkFieldPath(p, 'home', o.home);
  checkField(p, 'comment', o.comment);
  if (o.password !== undefined && o.passwordHash !== undefined)
    refuseHidden('password', 'and passwordHash exclude each other: give one');
  if (o.password !== undefined) {
    if (!isSecret(o.password))
      refuseHidden('password', "must be a Secret (secret('…')), so it is never logged; or give passwordHash");
    const raw = o.password.reveal();
    if (raw === '' || /[\n\r\0]/.test(raw))
      refuseHidden('password', 'must be non-empty, without a newline or NUL');
  }
  if (o.passwordHash !== undefined) {
    const raw = isSecret(o.passwordHash) ? o.passwordHash.reveal() : o.passwordHash;
    if (typeof raw !== 'string' || !/^[!*]*\$[A-Za-z0-9]+\$[^\s:]+$|^[!*]+$/.test(raw)) {
      refuseHidden(
        'passwordHash',
        'must be a crypt hash like "$y$…" or "$6$…" (optionally "!"-prefixed), or "!"/"*" for no password',
      );
    }
  }
  checkOneOf(p, 'updatePassword', o.updatePassword, ['always', 'onCreate']);
  if (o.updatePassword !== undefined && o.password === undefined && o.passwordHash === undefined)
    fail(p, 'updatePassword', 'needs password or passwordHash', o.updatePassword);
}

const list = (names: readonly string[]) => (names.length ? names.join(',') : '(none)');

/** The supplementary groups the user should end with (sorted, unique). */
function wantedGroups(o: UserOptions, a: Account): string[] | undefined {
  if (!o.groups) return undefined;
  return [...new Set(o.append ? [...a.groups, ...o.groups] : o.groups)].sort();
}

const createsHome = (o: UserOptions) => o.createHome ?? !o.system;
const comparesPassword = (o: UserOptions) =>
  (o.password !== undefined || o.passwordHash !== undefined) && (o.updatePassword ?? 'always') === 'always';

/** The changes for a user, as data (pure: unit-tested without a host). Never carries a password. */
export function planUser(o: UserOptions, facts: UserFacts): Change[] {
  const a = facts.account;
  if (o.state === 'absent')
    return a
      ? [{ field: 'state', from: 'present', to: o.removeHome ? 'absent (home removed)' : 'absent' }]
      : [];
  const password = o.password !== undefined || o.passwordHash !== undefined;
  if (!a) return [{ field: 'state', to: 'created' }, ...(password ? [{ field: 'password', to: 'set' }] : [])];
  const changes: Change[] = [];
  if (o.uid !== undefined && a.uid !== o.uid)
    changes.push({ field: 'uid', from: String(a.uid), to: String(o.uid) });
  if (o.group !== undefined) {
    const same = /^\d+$/.test(o.group) ? Number(o.group) === a.gid : o.group === a.primaryGroup;
    if (!same) changes.push({ field: 'group', from: a.primaryGroup ?? String(a.gid), to: o.group });
  }
  const groups = wantedGroups(o, a);
  if (groups && groups.join(',') !== a.groups.join(','))
    changes.push({ field: 'groups', from: list(a.groups), to: list(groups) });
  if (o.shell !== undefined && a.shell !== o.shell)
    changes.push({ field: 'shell', from: a.shell, to: o.shell });
  if (o.home !== undefined && a.home !== o.home)
    changes.push({ field: 'home', from: a.home, to: o.home + (o.moveHome ? ' (moved)' : '') });
  const moved = o.moveHome && o.home !== undefined && a.home !== o.home;
  if (createsHome(o) && !a.homeExists && !moved) changes.push({ field: 'home folder', to: 'created' });
  if (o.comment !== undefined && a.comment !== o.comment)
    changes.push({ field: 'comment', from: a.comment, to: o.comment });
  if (comparesPassword(o)) {
    if (a.password === 'unverifiable') {
      throw new Error(
        `user ${o.name}: cannot compare the password on this host (no perl); give passwordHash, or updatePassword: "onCreate"`,
      );
    }
    if (a.password !== 'match') changes.push({ field: 'password', to: 'updated' });
  }
  return changes;
}

/** chpasswd's stdin, as a Secret so it is masked wherever it might surface. */
function passwordInput(o: UserOptions): { stdin: Secret; hashed: boolean } | undefined {
  if (o.password) return { stdin: new Secret(`${o.name}:${o.password.reveal()}\n`), hashed: false };
  if (o.passwordHash !== undefined) {
    const hash = isSecret(o.passwordHash) ? o.passwordHash.reveal() : o.passwordHash;
    return { stdin: new Secret(`${o.name}:${hash}\n`), hashed: true };
  }
  return undefined;
}

const words = (args: readonly string[]) => args.map(quotePosix).join(' ');

/** The write script for the planned changes (one round trip). Pure; the password is not in it. */
export function userScript(o: UserOptions, facts: UserFacts, changes: readonly Change[]): string {
  const a = facts.account;
  const has = (field: string) => changes.some((c) => c.field === field);
  const lines = ['set -e'];
  if (o.state === 'absent') {
    lines.push(`userdel ${o.removeHome ? '-r ' : ''}-- ${quotePosix(o.name)}`);
    return lines.join('\n');
  }
  if (!a) {
    const args: string[] = [];
    if (o.uid !== undefined) args.push('-u', String(o.uid));
    // A group named like the user that already exists (made by `group` first) becomes its primary group.
    const primary = o.group ?? (facts.sameNameGroupGid !== null ? o.name : undefined);
    args.push(...(primary !== undefined ? ['-g', primary] : ['-U']));
    if (o.groups?.length) args.push('-G', [...new Set(o.groups)].join(','));
    if (o.shell !== undefined) args.push('-s', o.shell);
    if (o.home !== undefined) args.push('-d', o.home);
    args.push(createsHome(o) ? '-m' : '-M');
    if (o.system) args.push('-r');
    if (o.comment !== undefined) args.push('-c', o.comment);
    lines.push(`useradd ${words(args)} -- ${quotePosix(o.name)}`);
  } else {
    const args: string[] = [];
    if (has('uid')) args.push('-u', String(o.uid));
    if (has('group') && o.group !== undefined) args.push('-g', o.group);
    if (has('groups') && o.groups) {
      if (o.append) args.push('-a', '-G', o.groups.filter((g) => !a.groups.includes(g)).join(','));
      else args.push('-G', [...new Set(o.groups)].join(','));
    }
    if (has('shell') && o.shell !== undefined) args.push('-s', o.shell);
    if (has('home') && o.home !== undefined) args.push('-d', o.home, ...(o.moveHome ? ['-m'] : []));
    if (has('comment') && o.comment !== undefined) args.push('-c', o.comment);
    if (args.length) lines.push(`usermod ${words(args)} -- ${quotePosix(o.name)}`);
    // mkhomedir_helper (PAM, on every Debian) makes the passwd entry's home from /etc/skel, owned by the user.
    if (has('home folder'))
      lines.push(
        `mkdir -p -- "$(dirname -- ${quotePosix(o.home ?? a.home)})"`,
        `mkhomedir_helper ${quotePosix(o.name)}`,
      );
  }
  if (has('password')) lines.push(passwordInput(o)?.hashed ? 'chpasswd -e' : 'chpasswd');
  return lines.join('\n');
}

/** Debian's useradd puts a new home under HOME=/home (/etc/default/useradd). */
const newHome = (o: UserOptions) => o.home ?? `/home/${o.name}`;

/** Check mode: the account, its primary group and its home folder a later task (a key) may need. */
function provisions(o: UserOptions, facts: UserFacts, changes: readonly Change[]): Provision[] {
  if (o.state === 'absent') return [];
  const a = facts.account;
  const home = a ? (o.home ?? a.home) : newHome(o);
  const folder =
    changes.some((c) => c.field === 'home folder' || (c.field === 'home' && o.moveHome)) ||
    (!a && createsHome(o));
  return [
    ...(a
      ? []
      : [
          { kind: 'user' as const, name: o.name, home, group: o.group ?? o.name },
          // useradd makes a group named like the user when no primary group is given (Debian's USERGROUPS_ENAB).
          ...(o.group === undefined ? [{ kind: 'group' as const, name: o.name }] : []),
        ]),
    ...(folder ? [{ kind: 'directory' as const, path: home }] : []),
  ];
}

export function userResource(options: UserOptions): Resource<UserFacts> {
  checkUserOptions(options);
  const compare = options.state !== 'absent' && comparesPassword(options);
  const input = options.state !== 'absent' ? passwordInput(options) : undefined;
  return {
    id: `user ${options.name}`,
    async read(host) {
      const script = userProbeScript(options.name, {
        ...(compare ? { password: options.password ? 'plain' : 'hash' } : {}),
        ...(options.home !== undefined ? { home: options.home } : {}),
      });
      // The probe compares what it reads on stdin: the plain password, or the hash (no newline).
      const stdin = !compare ? undefined : (options.password ?? options.passwordHash);
      const r = await (stdin !== undefined ? host.probe({ stdin }) : host.probe)`eval ${script}`;
      return parseUserProbe(options.name, r.stdout);
    },
    plan: (facts) => planUser(options, facts),
    provides: (facts, changes) => provisions(options, facts, changes),
    async apply(host, facts, changes) {
      const script = userScript(options, facts, changes);
      const withPassword = changes.some((c) => c.field === 'password') && input;
      await (withPassword ? host.$({ stdin: input.stdin }) : host.$)`eval ${script}`;
    },
  };
}

/**
 * A local user account, present with these properties or absent.
 *
 * @example
 * await user(host, { name: 'deploy', shell: '/bin/bash', groups: ['sudo'], append: true, password: secret(vault.deployPassword) });
 */
export function user(host: Host, options: UserOptions): Promise<TaskOutcome> {
  return converge(host, userResource(options));
}
