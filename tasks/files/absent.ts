/**
 * `absent`: nothing at a path — a file, symlink or directory (with everything in it) is removed.
 * One read round trip (stat, entry count of a directory, stray temps), one `rm` when needed.
 *
 * Guard rails: `/` is refused as an option, and a top-level directory (`/etc`, `/srv`) is refused
 * when found, since removing one is never what a role means. `rm --one-file-system` does not
 * descend into other filesystems mounted below. Removed content is not shown in --diff (it may
 * be a key); the change line says what was there.
 */
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { AbsolutePath, checkOptions, fail, Options } from '../options.js';
import { probeFile, script, type FileProbe } from './file-probe.js';

export const AbsentOptions = Options({ path: AbsolutePath() });
export type AbsentOptions = Static<typeof AbsentOptions>;

const COUNT_ENTRIES = `if [ -d "$p" ] && [ ! -L "$p" ]; then printf 'entries %s\\n' "$(find "$p" -mindepth 1 -printf . | wc -c)"; fi`;

export function absentResource(options: AbsentOptions): Resource<FileProbe> {
  const primitive = 'absent';
  checkOptions(primitive, AbsentOptions, options);
  if (options.path === '/') fail(primitive, 'path', 'must not be /', options.path);
  const { path } = options;
  return {
    id: `absent ${path}`,
    read: (host) => probeFile(host, path, { extra: COUNT_ENTRIES }),
    plan({ stat, strays, extra }) {
      const changes: Change[] = [];
      if (stat) {
        if (stat.type === 'directory' && path.split('/').length === 2) {
          throw new Error(`absent ${path}: refusing to remove a top-level directory`);
        }
        const entries = /^entries (\d+)$/.exec(extra.find((l) => l.startsWith('entries ')) ?? '')?.[1];
        const was =
          stat.type === 'directory'
            ? `directory (${entries ?? '?'} entries)`
            : stat.type === 'symlink'
              ? `symlink → ${stat.linkTarget}`
              : stat.type === 'file'
                ? `file (${stat.size} bytes)`
                : stat.type;
        changes.push({ field: 'state', from: was, to: 'absent' });
      }
      if (strays.length)
        changes.push({
          field: 'temp files of an interrupted write',
          from: String(strays.length),
          to: 'removed',
        });
      return changes;
    },
    async apply(host, { stat, strays }) {
      const targets = [...(stat ? [path] : []), ...strays].map(quotePosix).join(' ');
      await host.$(script(`rm -rf --one-file-system -- ${targets}`));
    },
  };
}

/**
 * Nothing at this path: a file, symlink or directory tree is removed.
 *
 * @example
 * await absent(host, { path: '/etc/nginx/sites-enabled/default' });
 */
export function absent(host: Host, options: AbsentOptions): Promise<TaskOutcome> {
  return converge(host, absentResource(options));
}
