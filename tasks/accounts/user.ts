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
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Provision, type Resource } from '../../lib/resource.js';
import { isSecret, Secret } from '../../lib/secret.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { parseUserProbe, userProbeScript, type Account, type UserFacts } from './account-facts.js';
import {
  AccountId,
  AccountName,
  GroupRef,
  PasswdField,
  PasswdPath,
  PRESENCE,
  SecretText,
  TextOrSecret,
} from './account-options.js';
import { checkOptions, fail, failHidden, Flag, OneOf, Options, ReadonlyArrayOf } from '../options.js';

export const UserOptions = Options({
  name: AccountName(),
  /** Default `present`. */
  state: Type.Optional(OneOf(PRESENCE)),
  uid: Type.Optional(AccountId()),
  /** Primary group, by name or numeric gid. Default for a new user: a group named like the user (made if missing). */
  group: Type.Optional(GroupRef()),
  /** Supplementary groups (names); exactly these unless `append`. Not managed when not given. */
  groups: Type.Optional(ReadonlyArrayOf(AccountName(), { expected: 'must be an array of group names' })),
  /** Add `groups` to those the user has, removing none. Default false: exactly `groups`. */
  append: Type.Optional(Flag()),
  /** Login shell (absolute path). */
  shell: Type.Optional(PasswdPath()),
  /** Home folder. Default for a new user: useradd's (`/home/<name>`). */
  home: Type.Optional(PasswdPath()),
  /** Create the home folder (from /etc/skel) when it is missing. Default: true, false for system users. */
  createHome: Type.Optional(Flag()),
  /** With a changed `home`: move the old home's content there (`usermod -m`). */
  moveHome: Type.Optional(Flag()),
  /** Create as a system account (uid from the system range). Only used on creation. */
  system: Type.Optional(Flag()),
  /** GECOS comment (full name). */
  comment: Type.Optional(PasswdField()),
  /** A crypt hash (`$y$…`, `$6$…`; `!…` for a locked account), compared with /etc/shadow. */
  passwordHash: Type.Optional(
    TextOrSecret('^[!*]*\\$[A-Za-z0-9]+\\$[^\\s:]+$|^[!*]+$', {
      expected:
        'must be a crypt hash like "$y$…" or "$6$…" (optionally "!"-prefixed), or "!"/"*" for no password',
    }),
  ),
  /** A plain password, set through chpasswd's stdin. A Secret, so it is never logged. */
  password: Type.Optional(
    SecretText('^[^\\n\\r\\0]+$', {
      expected: (value) =>
        isSecret(value)
          ? 'must be non-empty, without a newline or NUL'
          : "must be a Secret (secret('…')), so it is never logged; or give passwordHash",
    }),
  ),
  /** `always` (default): keep the password as given; `onCreate`: set it only when creating the user. */
  updatePassword: Type.Optional(OneOf(['always', 'onCreate'])),
  /** With state `absent`: also remove the home folder and mail spool (`userdel -r`). */
  removeHome: Type.Optional(Flag()),
});
export type UserOptions = Static<typeof UserOptions>;

const PRIMITIVE = 'user';

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

/** The rules between options that their declaration cannot say. */
function checkUserOptions(o: UserOptions): void {
  checkOptions(PRIMITIVE, UserOptions, o);
  const refuse = (option: string, expected: string, value: unknown) =>
    // A password's value is never shown, not even when it is refused.
    option === 'password' || option === 'passwordHash'
      ? failHidden(PRIMITIVE, option, expected)
      : fail(PRIMITIVE, option, expected, value);
  if (o.state === 'absent') {
    for (const key of PRESENT_ONLY)
      if (o[key] !== undefined) refuse(key, 'has no meaning with state "absent"', o[key]);
    return;
  }
  if (o.removeHome !== undefined) refuse('removeHome', 'only applies with state "absent"', o.removeHome);
  if (o.append !== undefined && o.groups === undefined) refuse('append', 'needs groups', o.append);
  if (o.moveHome && o.home === undefined) refuse('moveHome', 'needs home', o.moveHome);
  if (o.password !== undefined && o.passwordHash !== undefined)
    refuse('password', 'and passwordHash exclude each other: give one', undefined);
  if (o.updatePassword !== undefined && o.password === undefined && o.passwordHash === undefined)
    refuse('updatePassword', 'needs password or passwordHash', o.updatePassword);
}

const list = (names: readonly string[]) => (names.length ? names.join(',') : '(none)');

/**
 * A user's plan, as data: apply builds its commands from these (never from the text shown), and
 * the change lines (`groups ops,web → ops,sudo,web`) are their `from`/`to`. Creation carries no
 * fields: useradd is given the options themselves.
 */
export type UserChange =
  | Change<'state', 'created'>
  | (Change<'state', 'absent' | 'absent (home removed)'> & { removeHome: boolean })
  | (Change<'uid'> & { uid: number })
  | (Change<'group' | 'shell' | 'comment'> & { value: string })
  | (Change<'groups'> & { groups: string[]; add: string[]; remove: string[] })
  | (Change<'home'> & { home: string; move: boolean })
  | (Change<'home folder', 'created'> & { path: string })
  | Change<'password', 'set' | 'updated'>;

/** The supplementary groups the user should end with (sorted, unique). */
function wantedGroups(o: UserOptions, a: Account): string[] | undefined {
  if (!o.groups) return undefined;
  return [...new Set(o.append ? [...a.groups, ...o.groups] : o.groups)].sort();
}

function groupsChange(have: string[], want: string[]): UserChange | undefined {
  const add = want.filter((g) => !have.includes(g));
  const remove = have.filter((g) => !want.includes(g));
  if (!add.length && !remove.length) return undefined;
  return { field: 'groups', from: list(have), to: list(want), groups: want, add, remove };
}

const createsHome = (o: UserOptions) => o.createHome ?? !o.system;
const comparesPassword = (o: UserOptions) =>
  (o.password !== undefined || o.passwordHash !== undefined) && (o.updatePassword ?? 'always') === 'always';

/** The changes for a user, as data (pure: unit-tested without a host). Never carries a password. */
export function planUser(o: UserOptions, facts: UserFacts): UserChange[] {
  const a = facts.account;
  if (o.state === 'absent') {
    if (!a) return [];
    const removeHome = o.removeHome === true;
    return [
      { field: 'state', from: 'present', to: removeHome ? 'absent (home removed)' : 'absent', removeHome },
    ];
  }
  const password = o.password !== undefined || o.passwordHash !== undefined;
  if (!a)
    return [
      { field: 'state', to: 'created' },
      ...(password ? [{ field: 'password', to: 'set' } as const] : []),
    ];
  const changes: UserChange[] = [];
  const set = (field: 'group' | 'shell' | 'comment', from: string, value: string) =>
    changes.push({ field, from, to: value, value });
  if (o.uid !== undefined && a.uid !== o.uid)
    changes.push({ field: 'uid', from: String(a.uid), to: String(o.uid), uid: o.uid });
  if (o.group !== undefined) {
    const same = /^\d+$/.test(o.group) ? Number(o.group) === a.gid : o.group === a.primaryGroup;
    if (!same) set('group', a.primaryGroup ?? String(a.gid), o.group);
  }
  const groups = wantedGroups(o, a);
  const membership = groups && groupsChange(a.groups, groups);
  if (membership) changes.push(membership);
  if (o.shell !== undefined && a.shell !== o.shell) set('shell', a.shell, o.shell);
  const move = o.moveHome === true && o.home !== undefined && a.home !== o.home;
  if (o.home !== undefined && a.home !== o.home)
    changes.push({ field: 'home', from: a.home, to: o.home + (move ? ' (moved)' : ''), home: o.home, move });
  if (createsHome(o) && !a.homeExists && !move)
    changes.push({ field: 'home folder', to: 'created', path: o.home ?? a.home });
  if (o.comment !== undefined && a.comment !== o.comment) set('comment', a.comment, o.comment);
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

/** useradd's arguments for a new account: the options themselves. */
function useraddArgs(o: UserOptions, facts: UserFacts): string[] {
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
  return args;
}

/** usermod's arguments for the planned changes of an existing account. */
function usermodArgs(changes: readonly UserChange[]): string[] {
  return changes.flatMap((c): string[] => {
    switch (c.field) {
      case 'uid':
        return ['-u', String(c.uid)];
      case 'group':
        return ['-g', c.value];
      case 'shell':
        return ['-s', c.value];
      case 'comment':
        return ['-c', c.value];
      // Only adding: -a keeps the groups the user has (appended ones, or ones another tool added).
      case 'groups':
        return c.remove.length ? ['-G', c.groups.join(',')] : ['-a', '-G', c.add.join(',')];
      case 'home':
        return ['-d', c.home, ...(c.move ? ['-m'] : [])];
      default:
        return [];
    }
  });
}

/** The write script for the planned changes (one round trip). Pure; the password is not in it. */
export function userScript(o: UserOptions, facts: UserFacts, changes: readonly UserChange[]): string {
  const lines = ['set -e'];
  const name = quotePosix(o.name);
  for (const c of changes) {
    if (c.field === 'state' && c.to === 'created')
      lines.push(`useradd ${words(useraddArgs(o, facts))} -- ${name}`);
    else if (c.field === 'state') lines.push(`userdel ${c.removeHome ? '-r ' : ''}-- ${name}`);
  }
  const args = usermodArgs(changes);
  if (args.length) lines.push(`usermod ${words(args)} -- ${name}`);
  for (const c of changes) {
    // mkhomedir_helper (PAM, on every Debian) makes the passwd entry's home from /etc/skel, owned by the user.
    if (c.field === 'home folder')
      lines.push(`mkdir -p -- "$(dirname -- ${quotePosix(c.path)})"`, `mkhomedir_helper ${name}`);
  }
  if (changes.some((c) => c.field === 'password'))
    lines.push(passwordInput(o)?.hashed ? 'chpasswd -e' : 'chpasswd');
  return lines.join('\n');
}

/** Debian's useradd puts a new home under HOME=/home (/etc/default/useradd). */
const newHome = (o: UserOptions) => o.home ?? `/home/${o.name}`;

/** Check mode: the account, its primary group and its home folder a later task (a key) may need. */
function provisions(o: UserOptions, facts: UserFacts, changes: readonly UserChange[]): Provision[] {
  if (o.state === 'absent') return [];
  const a = facts.account;
  const home = a ? (o.home ?? a.home) : newHome(o);
  const folder =
    changes.some((c) => c.field === 'home folder' || (c.field === 'home' && c.move)) ||
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

export function userResource(options: UserOptions): Resource<UserFacts, UserChange> {
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
      const r = await host.probe({
        inShell: true,
        ...(stdin !== undefined ? { stdin } : {}),
      })`eval ${script}`;
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
