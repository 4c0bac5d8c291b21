/**
 * `nginx -t` of the whole configuration as it would be with a candidate file in place, without
 * touching the live file: the `validate` command of the file primitives (`%s` is the candidate).
 *
 * nginx tests its whole tree, not one file, so testing the candidate alone proves nothing and
 * writing it first and rolling back on failure would put a failing config live for a moment
 * (and leave it there if the run were killed). Instead, in a private mount namespace (unshare),
 * a copy of the target's folder with the candidate in it is bind-mounted over the real folder —
 * and, for a site, a copy of sites-enabled with its link — and `nginx -t` runs there. Only that
 * namespace sees the candidate; the live files and the running server never do, and nginx's
 * message names the real path (`… in /etc/nginx/sites-enabled/guacamole:12`). The copies live in
 * /run (tmpfs: a copied key never reaches a disk) and are removed on exit.
 */
import { quotePosix } from '../../lib/shell/quote.js';
import { FileValidationError } from '../../tasks/index.js';

const SCRIPT = [
  'set -e',
  'candidate=$1; target=$2; link=$3',
  'work=$(mktemp -d /run/novastation-nginx-test.XXXXXXXX)',
  'trap \'rm -rf -- "$work"\' EXIT',
  'mkdir "$work/target"',
  'cp -a -- "${target%/*}/." "$work/target/"',
  'cp -- "$candidate" "$work/target/${target##*/}"',
  'mount --bind -- "$work/target" "${target%/*}"',
  'if [ -n "$link" ]; then',
  '  mkdir "$work/link"',
  '  cp -a -- "${link%/*}/." "$work/link/"',
  '  ln -sfn -- "$target" "$work/link/${link##*/}"',
  '  mount --bind -- "$work/link" "${link%/*}"',
  'fi',
  'nginx -t -q',
].join('\n');

/**
 * The validate command for a file at `target` (optionally enabled by a symlink at `link`, as a
 * site in sites-enabled is): `nginx -t` with the candidate in place, in a private mount namespace.
 */
export function nginxCandidateTest(target: string, link = ''): string {
  // The SCRIPT is single-quoted as a whole; %s is quoted by the write script itself.
  return `unshare --mount --propagation private -- sh -c ${quotePosix(SCRIPT)} nginx-test %s ${quotePosix(target)} ${quotePosix(link)}`;
}

/** A write refused by the candidate test, reported with nginx's own message and nothing else. */
export async function withNginxMessage<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (!(error instanceof FileValidationError)) throw error;
    throw new Error(
      `nginx -t refused the new ${error.path}; the live configuration and the running server are unchanged:\n${error.output.trim()}`,
    );
  }
}
