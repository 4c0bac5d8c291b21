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
 * cannot be read, a key that is not a plain name or a plain decimal id, and a file with any line
 * that is not plain (leading blanks, `+`/`-` entries, odd numbers such as `007`, a missing or
 * extra field, a NUL byte): nss_files would parse those in ways not copied here, and getent
 * prints entries re-formatted from what it parsed, which for plain lines is the line itself.
 * The first plain line with the key answers, as in nss_files.
 * Empty lines and lines starting with `#` are skipped, as nss_files does.
 *
 * Not covered: entries the `systemd` source adds to a listing after `files` (groups of
 * DynamicUser= services and userdb records; a user's membership in one of those is not seen),
 * and nscd, whose cache can only be older than the files.
 */
import { quotePosix } from './quote.js';

// One regex per database for a whole file of plain lines, comment lines (`#…`) and empty lines
// (one regex for the file: bash compiles a regex at every `=~`, so a regex per line costs
// milliseconds a lookup). `$nl` is a newline: the bash strings are double-quoted. Names cannot
// start with `#` (a comment), `+`/`-` (compat entries) or a blank.
const F = '[^:$nl]*';
const NAME = '[^-+#:[:space:]][^:[:space:]]*';
// Ids of at most 9 digits: a larger one could pass 2^32, which nss_files would not print as is.
const ID = '(0|[1-9][0-9]{0,8})';
const NUM_OR_EMPTY = '(0|[1-9][0-9]{0,18})?';
const file = (line: string) => `^((${line}|#[^$nl]*)?$nl)*(${line}|#[^$nl]*)?\\$`;
const PLAIN_FILE: Record<'passwd' | 'group' | 'shadow', string> = {
  passwd: file(`${NAME}:${F}:${ID}:${ID}:${F}:${F}:${F}`),
  group: file(`${NAME}:${F}:${ID}:([^:,[:space:]]+(,[^:,[:space:]]+)*)?`),
  // No numeric key for shadow: getent looks every key up by name (getspnam).
  shadow: file(`${NAME}:${F}${`:${NUM_OR_EMPTY}`.repeat(6)}:${NUM_OR_EMPTY}`),
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
case ${'$'}{l,,} in *"$1"*) [[ ${'$'}{l,,} =~ ^[[:space:]]*$1[[:space:]]*: ]] && { s=${'$'}{l#*:}; n=$((n + 1)); } ;; esac
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
local db=$1 nl=$'\n' pat c k t l i=0 __ns_mode
shift
case $db in
passwd) pat="${PLAIN_FILE.passwd}" ;;
group) pat="${PLAIN_FILE.group}" ;;
shadow) pat="${PLAIN_FILE.shadow}" ;;
*) return 1 ;;
esac
__ns_nss_mode "$db"
if (($#)); then [ -n "$__ns_mode" ] || return 1; else [ "$__ns_mode" = all ] || return 1; fi
for k; do
if [[ $k =~ ^[0-9]+$ ]]; then [[ $db != shadow && $k =~ ^(0|[1-9][0-9]{0,8})$ ]] || return 1
else [[ $k =~ ^[A-Za-z_][A-Za-z0-9_.-]*\$?$ ]] || return 1; fi
done
[ -r ${etc}/"$db" ] || return 1
# The whole file in one read; a NUL byte would end it early (read succeeds): then getent.
IFS= read -r -d '' c < ${etc}/"$db" && return 1
[[ $c =~ $pat ]] || return 1
if ((! $#)); then
c=${'$'}{c%"$nl"}
if [[ $nl$c == *"$nl#"* || $nl$c$nl == *"$nl$nl"* ]]; then
while IFS= read -r l; do [[ -z $l || $l == '#'* ]] || __ns_e+=("$l"); done <<<"$c"
elif [ -n "$c" ]; then __ns_e=("$c"); fi
return 0
fi
c=$nl$c
for k; do
if [[ $k =~ ^[0-9]+$ && $db != shadow ]]; then
# The first entry with that id (every line is plain or a comment: this is field 3).
t="$nl([^#$nl][^:$nl]*:[^:$nl]*:$k:[^$nl]*)"
[[ $c =~ $t ]] || return 1
__ns_e[i]=${'$'}{BASH_REMATCH[1]}
else
t=${'$'}{c#*"$nl$k:"}
[ "$t" != "$c" ] || return 1
__ns_e[i]=$k:${'$'}{t%%"$nl"*}
fi
i=$((i + 1))
done
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
