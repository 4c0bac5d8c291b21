/**
 * `getent passwd|group|shadow` answered by bash itself, without a process, where the local file
 * is what getent would read anyway: a no-op run of a role with users, groups and SSH keys then
 * starts no `getent` on the host (each start costs milliseconds on a busy host).
 *
 * Shell functions, defined by the probe script that uses them (each probe is self-contained: it
 * may run live or in a prefetched batch):
 *   __ns_getent DB [KEY…]      prints what `getent DB KEY…` prints: one line per key found, in
 *                              key order (a number is a uid/gid, as getent takes it), or the
 *                              whole database without keys; status 2 when a key is not found.
 *   __ns_getent_to VAR DB KEY  the same for one key, the entry stored in VAR instead of printed
 *                              (no `$(…)`, which forks); VAR must not be named `__ns_*`.
 *
 * Why the file may answer (NSS semantics, glibc 2.36 as on Debian 12): getent asks the sources
 * nsswitch.conf lists for the database, in order, and the first that finds a key answers unless
 * an action says otherwise. So the file (`files`; `compat` reads the same file and only differs
 * for `+`/`-` lines, which count as unusual below) is authoritative for a key found in it exactly
 * when it is the FIRST source and no action follows it that acts on a success
 * (`[SUCCESS=merge]` merges group members of later sources). A listing of the whole database
 * asks every source, so the file alone answers it only when the sources are `files`/`compat`
 * and `systemd`, with no actions. A missing nsswitch.conf means `files` for these databases
 * (glibc's default; a database missing from the file too). Everything else runs the real
 * `getent` — a process, only then: a key not in the file (a later source may have it: that is
 * also how "not found" gets its true answer), an nsswitch.conf that names the database twice or
 * cannot be read, a key that is not a plain name or a plain decimal id, and any line before the
 * answer that is not plain (leading blanks, CRs, `+`/`-` entries, odd numbers such as `007`, a
 * missing or extra field): nss_files would parse those in ways not copied here, and getent
 * prints entries re-formatted from what it parsed, which for plain lines is the line itself.
 * Empty lines and lines starting with `#` are skipped, as nss_files does.
 *
 * Not covered: entries the `systemd` source adds to a listing after `files` (groups of
 * DynamicUser= services and userdb records; a user's membership in one of those is not seen),
 * and nscd, whose cache can only be older than the files.
 */
import { quotePosix } from './quote.js';

// One regex per database for a plain line; group 1 is the name, group 2 the uid/gid (for keyed
// lookups). Names cannot start with `#` (a comment), `+`/`-` (compat entries) or a blank.
const NAME = '([^-+#:[:space:]][^:[:space:]]*)';
const ID = '(0|[1-9][0-9]{0,9})';
const NUM_OR_EMPTY = '(0|[1-9][0-9]{0,18})?';
const PLAIN_LINE: Record<'passwd' | 'group' | 'shadow', string> = {
  passwd: `^${NAME}:[^:]*:${ID}:(0|[1-9][0-9]{0,9}):[^:]*:[^:]*:[^:]*$`,
  group: `^${NAME}:[^:]*:${ID}:([^:,[:space:]]+(,[^:,[:space:]]+)*)?$`,
  // No numeric key for shadow: getent looks every key up by name (getspnam).
  shadow: `^${NAME}:[^:]*${`:${NUM_OR_EMPTY}`.repeat(6)}:[0-9]*$`,
};

/** The functions, reading `ROOT/etc/…` (root '' on hosts; tests point it at a folder of files). */
export function nssLookupFunctions(root = ''): string {
  const conf = quotePosix(`${root}/etc/nsswitch.conf`);
  const etc = quotePosix(`${root}/etc`);
  return String.raw`__ns_nss_mode() {
local l s= n=0 w first= act= all=1 re='^[[:space:]]*(\[[^]]*\]|[^][[:space:]]+)(.*)$'
__ns_mode=
if [ -e ${conf} ] || [ -L ${conf} ]; then
[ -r ${conf} ] || return 0
while IFS= read -r l || [ -n "$l" ]; do
l=${'$'}{l%%#*}
if [[ ${'$'}{l,,} =~ ^[[:space:]]*$1[[:space:]]*: ]]; then s=${'$'}{l#*:}; n=$((n + 1)); fi
done < ${conf}
((n <= 1)) || return 0
((n)) || s=files
else s=files; fi
while [[ $s =~ $re ]]; do
w=${'$'}{BASH_REMATCH[1]}; s=${'$'}{BASH_REMATCH[2]}
if [[ $w == '['* ]]; then all=; [ -n "$act" ] || act=${'$'}{w,,}
elif [ -z "$first" ]; then first=$w
else [ -n "$act" ] || act=-; case $w in files|compat|systemd) ;; *) all= ;; esac; fi
done
[[ -z ${'$'}{s//[[:space:]]/} ]] || return 0
case $first in files|compat) ;; *) return 0 ;; esac
[[ $act == *success* ]] && return 0
if [ -n "$all" ]; then __ns_mode=all; else __ns_mode=keys; fi
}
__ns_local() {
local db=$1 pat l k i left name id __ns_mode
shift
case $db in
passwd) pat='${PLAIN_LINE.passwd}' ;;
group) pat='${PLAIN_LINE.group}' ;;
shadow) pat='${PLAIN_LINE.shadow}' ;;
*) return 1 ;;
esac
__ns_nss_mode "$db"
if (($#)); then [ -n "$__ns_mode" ] || return 1; else [ "$__ns_mode" = all ] || return 1; fi
for k; do
if [[ $k =~ ^[0-9]+$ ]]; then [[ $db != shadow && $k =~ ^(0|[1-9][0-9]{0,8})$ ]] || return 1
else [[ $k =~ ^[A-Za-z_][A-Za-z0-9_.-]*[$]?$ ]] || return 1; fi
done
[ -r ${etc}/"$db" ] || return 1
left=$#
while IFS= read -r l || [ -n "$l" ]; do
if [ -z "$l" ] || [[ $l == '#'* ]]; then continue; fi
[[ $l =~ $pat ]] || return 1
if ((! $#)); then __ns_e+=("$l"); continue; fi
name=${'$'}{BASH_REMATCH[1]}; id=${'$'}{BASH_REMATCH[2]}; i=0
for k; do
if [ -z "${'$'}{__ns_e[i]+x}" ]; then
if [[ $k =~ ^[0-9]+$ && $db != shadow ]]; then [ "$k" = "$id" ]; else [ "$k" = "$name" ]; fi && { __ns_e[i]=$l; left=$((left - 1)); }
fi
i=$((i + 1))
done
((left)) || break
done < ${etc}/"$db"
((! left))
}
__ns_getent() {
local -a __ns_e=()
if __ns_local "$@"; then
((! ${'$'}{#__ns_e[@]})) || printf '%s\n' "${'$'}{__ns_e[@]}"
return 0
fi
getent "$@"
}
__ns_getent_to() {
local -a __ns_e=()
local __ns_v __ns_r
if __ns_local "$2" "$3"; then printf -v "$1" '%s' "${'$'}{__ns_e[0]}"; return 0; fi
__ns_v=$(getent "$2" "$3"); __ns_r=$?
printf -v "$1" '%s' "$__ns_v"
return $__ns_r
}`;
}

/** The functions as hosts need them. */
export const NSS_LOOKUP_FUNCTIONS = nssLookupFunctions();
