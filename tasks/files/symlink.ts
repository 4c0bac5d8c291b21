/**
 * `symlink`: a symbolic link at `path` pointing at `target`. A link pointing elsewhere is replaced
 * atomically (a new link under a temp name renamed over the old one, so the path never
 * disappears); a real file or directory in the way is refused unless `force`. One read round trip
 * (lstat + readlink), one write round trip.
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { atomicSymlinkCommand, strayTempsCommand } from '../../lib/host/atomic-write.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';
import { AbsolutePath, checkOptions, fail, Flag, Options } from '../options.js';
import { probeFile, script, type FileProbe } from './file-probe.js';

export const SymlinkOptions = Options({
  /** Where the link is. */
  path: AbsolutePath(),
  /** What it points at, written as given (absolute, or relative to the link's directory). */
  target: Type.String({
    minLength: 1,
    pattern: '^[^\\n\\x00]*$',
    expected: 'must be a non-empty path without NUL or newline',
  }),
  /** Replace a regular file or a directory (with its content) that is in the way. */
  force: Type.Optional(Flag()),
});
export type SymlinkOptions = Static<typeof SymlinkOptions>;

export function symlinkResource(options: SymlinkOptions): Resource<FileProbe> {
  const primitive = 'symlink';
  checkOptions(primitive, SymlinkOptions, options);
  if (options.path === '/') fail(primitive, 'path', 'must not be /', options.path);
  const { path, target } = options;
  return {
    id: `symlink ${path}`,
    read: (host) => probeFile(host, path),
    plan({ stat, strays }) {
      const changes: Change[] = [];
      if (!stat) changes.push({ field: 'state', to: `symlink → ${target}` });
      else if (stat.type === 'symlink') {
        if (stat.linkTarget !== target)
          changes.push({ field: 'target', from: stat.linkTarget ?? '?', to: target });
      } else if (!options.force) {
        throw new Error(`symlink ${path}: a ${stat.type} is in the way; set force: true to replace it`);
      } else {
        changes.push({ field: 'state', from: stat.type, to: `symlink → ${target}` });
      }
      if (strays.length)
        changes.push({
          field: 'temp files of an interrupted write',
          from: String(strays.length),
          to: 'removed',
        });
      return changes;
    },
    async apply(host, { stat }, changes) {
      // One process: stray temps of dead writers removed, the link made under a temp name and
      // renamed over the path (rename(2) cannot replace a directory: a forced one goes first).
      if (!changes.some((c) => c.field === 'state' || c.field === 'target')) {
        await host.$(script(strayTempsCommand(path)));
        return;
      }
      await host.$(script(atomicSymlinkCommand(path, target, stat?.type === 'directory')));
    },
  };
}

/**
 * A symbolic link; a wrong link is replaced, a real file or directory only with `force`.
 *
 * @example
 * await symlink(host, { path: '/etc/nginx/sites-enabled/site', target: '/etc/nginx/sites-available/site' });
 */
export function symlink(host: Host, options: SymlinkOptions): Promise<TaskOutcome> {
  return converge(host, symlinkResource(options));
}
