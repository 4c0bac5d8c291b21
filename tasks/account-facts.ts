/**
 * What `user` and `group` compare, each read in ONE round trip: the passwd entry, the primary
 * group's name, the supplementary groups (from the group database, so a user's own primary group
 * is not mistaken for a membership), whether the home folder exists, whether a group named like
 * the user exists (useradd needs `-g` then), and — when a password is managed — whether the
 * shadow entry matches it. The scripts are built here and the parsers are pure, tested on output
 * captured from a Debian 12 test host (test/tasks/fixtures/accounts/).
 *
 * Passwords never reach the controller or a command line: the wanted hash or plain password
 * travels on the probe's stdin and is compared on the host. A hash is compared as a string with
 * the shadow field; a plain password is hashed with the shadow field as its salt by Perl's
 * `crypt` (libcrypt: yescrypt, SHA-512, …) — perl-base is Essential on Debian, so this is a
 * one-line check, not an uploaded helper. The shadow hash reaches Perl through its environment
 * (readable by root only), not its argv (readable by everyone through `ps`).
 */
import { quotePosix } from '../lib/shell/quote.js';

/** What the password check found: same, different, or no way to tell (no perl on the host). */
export type PasswordMatch = 'match' | 'differs' | 'unverifiable';

export interface Account {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
  /** Name of the primary group; null when the gid has no group entry. */
  primaryGroup: string | null;
  /** Supplementary groups, as listed in the group database, sorted. */
  groups: string[];
  /** Whether the home folder exists: the wanted one when the probe was given one, else the account's. */
  homeExists: boolean;
  /** Set when a password check was asked for. */
  password?: PasswordMatch;
}

export interface UserFacts {
  account: Account | null;
  /** gid of a group named like the user (null: none), for useradd's `-g`. */
  sameNameGroupGid: number | null;
}

/** How the probe compares the password it gets on stdin with the shadow entry. */
export type PasswordProbe = 'hash' | 'plain';

// Prints the groups whose member list names $u, comma-separated.
const MEMBER_OF = `getent group | awk -F: -v u="$u" '{ n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) { print $1; break } }' | sort | paste -sd, -`;

const CHECK_HASH = `h=$(getent shadow "$u" | cut -d: -f2); if [ -n "$h" ] && [ "$h" = "$(cat)" ]; then echo 'password match'; else echo 'password differs'; fi`;

// Perl's crypt with the stored hash as salt gives the stored hash back iff the password is right.
const CHECK_PLAIN = [
  `if command -v perl >/dev/null 2>&1; then`,
  `  H=$(getent shadow "$u" | cut -d: -f2) perl -e 'local $/; my $p = <STDIN>; $p = "" unless defined $p; my $h = $ENV{H}; my $c = length($h) ? crypt($p, $h) : undef; print((defined $c && $c eq $h) ? "password match\\n" : "password differs\\n")'`,
  `else echo 'password unverifiable'; fi`,
].join('\n');

export interface UserProbeOptions {
  /** Compare the password on stdin with the shadow entry. */
  password?: PasswordProbe;
  /** The home folder whose existence matters (the wanted one); default: the account's own. */
  home?: string;
}

export function userProbeScript(name: string, options: UserProbeOptions = {}): string {
  const { password, home } = options;
  return [
    `u=${quotePosix(name)}`,
    `if pw=$(getent passwd "$u"); then`,
    `  printf 'passwd %s\\n' "$pw"`,
    `  gid=$(printf '%s\\n' "$pw" | cut -d: -f4); home=${home !== undefined ? quotePosix(home) : `$(printf '%s\\n' "$pw" | cut -d: -f6)`}`,
    `  printf 'primary %s\\n' "$(getent group "$gid" | cut -d: -f1)"`,
    `  printf 'member-of %s\\n' "$(${MEMBER_OF})"`,
    `  if [ -d "$home" ]; then echo 'home-dir yes'; else echo 'home-dir no'; fi`,
    ...(password === 'hash' ? [CHECK_HASH] : password === 'plain' ? [CHECK_PLAIN] : []),
    'else echo passwd-absent; fi',
    `printf 'same-name-group %s\\n' "$(getent group "$u" | cut -d: -f3)"`,
  ].join('\n');
}

/** Splits `tag rest` lines into a map (last one wins). */
function tagged(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const space = line.indexOf(' ');
    out.set(space === -1 ? line : line.slice(0, space), space === -1 ? '' : line.slice(space + 1));
  }
  return out;
}

const optionalNumber = (text: string | undefined): number | null => (text === undefined || text === '' ? null : Number(text));

export function parseUserProbe(name: string, stdout: string): UserFacts {
  const t = tagged(stdout);
  const sameNameGroupGid = optionalNumber(t.get('same-name-group'));
  const entry = t.get('passwd');
  if (entry === undefined) {
    if (!t.has('passwd-absent')) throw new Error(`user ${name}: unexpected probe output:\n${stdout.slice(0, 500)}`);
    return { account: null, sameNameGroupGid };
  }
  const [, , uid = '', gid = '', comment = '', home = '', shell = ''] = entry.split(':');
  const primary = t.get('primary');
  const members = t.get('member-of') ?? '';
  const password = t.get('password') as PasswordMatch | undefined;
  return {
    account: {
      name,
      uid: Number(uid),
      gid: Number(gid),
      comment,
      home,
      shell,
      primaryGroup: primary ? primary : null,
      groups: members ? members.split(',').sort() : [],
      homeExists: t.get('home-dir') === 'yes',
      ...(password ? { password } : {}),
    },
    sameNameGroupGid,
  };
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface GroupFacts {
  group: GroupEntry | null;
  /** Name of the group holding the wanted gid (null: free, or no gid asked for). */
  gidOwner: string | null;
}

export function groupProbeScript(name: string, gid?: number): string {
  return [
    `if e=$(getent group ${quotePosix(name)}); then printf 'group %s\\n' "$e"; else echo group-absent; fi`,
    ...(gid !== undefined ? [`printf 'gid-owner %s\\n' "$(getent group ${gid} | cut -d: -f1)"`] : []),
  ].join('\n');
}

export function parseGroupProbe(name: string, stdout: string): GroupFacts {
  const t = tagged(stdout);
  const owner = t.get('gid-owner');
  const gidOwner = owner ? owner : null;
  const entry = t.get('group');
  if (entry === undefined) {
    if (!t.has('group-absent')) throw new Error(`group ${name}: unexpected probe output:\n${stdout.slice(0, 500)}`);
    return { group: null, gidOwner };
  }
  const [entryName = '', , gid = '', members = ''] = entry.split(':');
  return { group: { name: entryName, gid: Number(gid), members: members ? members.split(',') : [] }, gidOwner };
}
