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
import { NSS_LOOKUP_FUNCTIONS } from '../../lib/shell/nss-lookup.js';
import { quotePosix } from '../../lib/shell/quote.js';

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
  /**
   * gid of a group named like the user (null: none), for useradd's `-g`. Looked up for an absent
   * account only (useradd is its one reader); for an existing one it is set only when the primary
   * group has the user's name.
   */
  sameNameGroupGid: number | null;
}

/** How the probe compares the password it gets on stdin with the shadow entry. */
export type PasswordProbe = 'hash' | 'plain';

// No processes where the local files answer: on a busy host each start costs milliseconds, and a
// no-op run of a role reads every account. The entries come from lib/shell/nss-lookup.ts (bash
// reads /etc/passwd, /etc/group, /etc/shadow itself when NSS makes them the answer; getent runs
// otherwise), fields are cut with bash builtins (`read`, parameter expansion), and group names
// are looked up on the controller from the group entries the probe prints.
//
// The probes run in the caller's shell (inShell: a prefetched batch runs them without a subshell,
// a fork): each is one function with local variables that returns, never exits.

// The shadow entry goes into a variable (no `$(…)`), and the hash is cut out with parameter
// expansion, never a here-string (bash < 5.1 writes those to a temp file).
const SHADOW_HASH = `__ns_getent_to s shadow "$u" || s=; h=\${s#*:}; h=\${h%%:*}; [ -n "$s" ] || h=`;

const CHECK_HASH = [
  `IFS= read -r -d '' want; while [[ $want == *$'\\n' ]]; do want=\${want%$'\\n'}; done`,
  SHADOW_HASH,
  `if [ -n "$h" ] && [ "$h" = "$want" ]; then echo 'password match'; else echo 'password differs'; fi`,
].join('\n');

// Perl's crypt with the stored hash as salt gives the stored hash back iff the password is right.
const CHECK_PLAIN = [
  `if command -v perl >/dev/null 2>&1; then`,
  `  ${SHADOW_HASH}`,
  `  H=$h perl -e 'local $/; my $p = <STDIN>; $p = "" unless defined $p; my $h = $ENV{H}; my $c = length($h) ? crypt($p, $h) : undef; print((defined $c && $c eq $h) ? "password match\\n" : "password differs\\n")'`,
  `else echo 'password unverifiable'; fi`,
].join('\n');

const KEYED = '@@ns-keyed-groups';
const DATABASE = '@@ns-group-database';

export interface UserProbeOptions {
  /** Compare the password on stdin with the shadow entry. */
  password?: PasswordProbe;
  /** The home folder whose existence matters (the wanted one); default: the account's own. */
  home?: string;
}

/**
 * Output: `passwd <entry>` or `passwd-absent`, `home-dir yes|no`, `password …`, then the group
 * entries of the primary gid (an existing account) or of the user's name (an absent one: useradd
 * needs to know whether that group exists, nothing else does), then — for an existing account —
 * the whole group database, for the memberships. Run it with `inShell`.
 */
export function userProbeScript(name: string, options: UserProbeOptions = {}): string {
  const { password, home } = options;
  return [
    NSS_LOOKUP_FUNCTIONS,
    '__ns_user() {',
    `local u=${quotePosix(name)} gid= pw= home= s= h= want=`,
    `if __ns_getent_to pw passwd "$u"; then`,
    `  printf 'passwd %s\\n' "$pw"`,
    `  IFS=: read -r _ _ _ gid _ home _ <<<"$pw"`,
    ...(home !== undefined ? [`  home=${quotePosix(home)}`] : []),
    `  if [ -d "$home" ]; then echo 'home-dir yes'; else echo 'home-dir no'; fi`,
    ...(password === 'hash' ? [CHECK_HASH] : password === 'plain' ? [CHECK_PLAIN] : []),
    'else echo passwd-absent; fi',
    `echo ${KEYED}; __ns_getent group "\${gid:-$u}"`,
    `if [ -n "$gid" ]; then echo ${DATABASE}; __ns_getent group; fi`,
    'return 0',
    '}',
    '__ns_user',
  ].join('\n');
}

/** Splits the probe's output into its tagged lines and its group-entry sections. */
function sections(stdout: string): {
  tags: Map<string, string>;
  keyed: GroupEntry[];
  database: GroupEntry[];
} {
  const tags = new Map<string, string>();
  const keyed: GroupEntry[] = [];
  const database: GroupEntry[] = [];
  let into: GroupEntry[] | null = null;
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    if (line === KEYED) into = keyed;
    else if (line === DATABASE) into = database;
    else if (into) into.push(groupEntry(line));
    else {
      const space = line.indexOf(' ');
      tags.set(space === -1 ? line : line.slice(0, space), space === -1 ? '' : line.slice(space + 1));
    }
  }
  return { tags, keyed, database };
}

function groupEntry(line: string): GroupEntry {
  const [name = '', , gid = '', members = ''] = line.split(':');
  return { name, gid: Number(gid), members: members ? members.split(',') : [] };
}

export function parseUserProbe(name: string, stdout: string): UserFacts {
  const { tags: t, keyed, database } = sections(stdout);
  const sameNameGroupGid = keyed.find((g) => g.name === name)?.gid ?? null;
  const entry = t.get('passwd');
  if (entry === undefined) {
    if (!t.has('passwd-absent'))
      throw new Error(`user ${name}: unexpected probe output:\n${stdout.slice(0, 500)}`);
    return { account: null, sameNameGroupGid };
  }
  const [, , uid = '', gid = '', comment = '', home = '', shell = ''] = entry.split(':');
  const password = t.get('password') as PasswordMatch | undefined;
  return {
    account: {
      name,
      uid: Number(uid),
      gid: Number(gid),
      comment,
      home,
      shell,
      primaryGroup: keyed.find((g) => g.gid === Number(gid))?.name ?? null,
      groups: database
        .filter((g) => g.members.includes(name))
        .map((g) => g.name)
        .sort(),
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

/**
 * Output: the marker, then the entries of the group and of the wanted gid (`getent group NAME
 * GID`). Run it with `inShell`: it only defines the lookup functions.
 */
export function groupProbeScript(name: string, gid?: number): string {
  return [
    NSS_LOOKUP_FUNCTIONS,
    `echo ${KEYED}; __ns_getent group ${quotePosix(name)}${gid !== undefined ? ` ${gid}` : ''}; true`,
  ].join('\n');
}

export function parseGroupProbe(name: string, stdout: string): GroupFacts {
  if (!stdout.split('\n').includes(KEYED))
    throw new Error(`group ${name}: unexpected probe output:\n${stdout.slice(0, 500)}`);
  const { keyed } = sections(stdout);
  // Only NAME and the wanted gid were looked up: another entry is the group holding that gid.
  return {
    group: keyed.find((g) => g.name === name) ?? null,
    gidOwner: keyed.find((g) => g.name !== name)?.name ?? null,
  };
}
