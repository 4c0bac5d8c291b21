/**
 * `directory`: a directory with mode and owner, optionally applied to everything below it
 * (`recursive`). One read round trip: the directory's stat plus, when recursive, a single `find`
 * walk counting the entries below whose owner, group or mode differ; one write round trip that
 * creates the directory and fixes only the entries that differ.
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { checkOptions, fail, Flag, OneOf, Options, AbsolutePath } from '../options.js';
import { fileAttributeOptions, Mode, normalMode, sameId } from './file-options.js';
import { probeFile, script, type FileProbe } from './file-probe.js';

export const DirectoryOptions = Options({
  path: AbsolutePath(),
  ...fileAttributeOptions,
  /**
   * Also below the directory: owner and group on every entry, `mode` on every directory,
   * `fileMode` on every regular file (symlinks keep theirs; their owner is set with `chown -h`).
   */
  recursive: Type.Optional(Flag()),
  /** With `recursive`: the mode of regular files below (files keep theirs when not given). */
  fileMode: Type.Optional(Mode()),
  /**
   * Missing parents this task creates: `'mkdir'` (the default) leaves them as `mkdir -p` makes
   * them (0755 under the usual umask 022, owned by the connecting user), so `/srv/app` with
   * `owner: app, mode: '0750'` never hands `/srv` to `app` or closes it to others; `'same'` gives
   * them this directory's mode, owner and group, as Ansible's `file: state=directory` does.
   * Parents that exist are never changed.
   */
  parents: Type.Optional(OneOf(['mkdir', 'same'])),
});
export type DirectoryOptions = Static<typeof DirectoryOptions>;

/** Entries below the directory that differ, by what differs. */
export interface TreeDifferences {
  owner: number;
  group: number;
  dirMode: number;
  fileMode: number;
}

export interface DirectoryState {
  probe: FileProbe;
  tree?: TreeDifferences;
}

/** The `find` tests selecting entries below that differ (the same tests select what apply fixes). */
function treeTests(o: DirectoryOptions): Record<keyof TreeDifferences, string | undefined> {
  const mode = normalMode(o.mode);
  const fileMode = normalMode(o.fileMode);
  return {
    owner: o.owner ? `! -user ${quotePosix(o.owner)}` : undefined,
    group: o.group ? `! -group ${quotePosix(o.group)}` : undefined,
    dirMode: mode ? `-type d ! -perm ${mode}` : undefined,
    fileMode: fileMode ? `-type f ! -perm ${fileMode}` : undefined,
  };
}

/** One walk of the tree; `find`'s exit status is kept (an unknown user must fail, not count 0). */
export function treeProbe(o: DirectoryOptions): string | undefined {
  const tests = Object.entries(treeTests(o)).filter(([, t]) => t !== undefined);
  if (!o.recursive || tests.length === 0) return undefined;
  const clauses = tests.map(([kind, t]) => `\\( ${t} -printf 'tree ${kind}\\n' \\)`).join(' , ');
  return `if [ -d "$p" ] && [ ! -L "$p" ]; then out=$(find "$p" -mindepth 1 ${clauses}) || exit $?; [ -z "$out" ] || printf '%s\\n' "$out" | sort | uniq -c; fi`;
}

export function parseTree(lines: string[]): TreeDifferences {
  const tree: TreeDifferences = { owner: 0, group: 0, dirMode: 0, fileMode: 0 };
  for (const line of lines) {
    const m = /^\s*(\d+) tree (owner|group|dirMode|fileMode)$/.exec(line);
    if (m) tree[m[2] as keyof TreeDifferences] = Number(m[1]);
  }
  return tree;
}

type Below = 'owner' | 'group' | 'mode of directories' | 'mode of files';
/** What a directory's plan may change (typed: apply tests these names, never the text shown). */
export type DirectoryChange = Change<'state' | 'mode' | 'owner' | 'group' | `${Below} below`>;

export function directoryResource(options: DirectoryOptions): Resource<DirectoryState, DirectoryChange> {
  const primitive = 'directory';
  checkOptions(primitive, DirectoryOptions, options);
  if (options.fileMode !== undefined && !options.recursive)
    fail(primitive, 'fileMode', 'needs recursive: true', options.fileMode);
  if (options.recursive && options.path === '/')
    fail(primitive, 'path', 'must not be / with recursive', options.path);
  const { path } = options;
  const mode = normalMode(options.mode);
  const extra = treeProbe(options);
  return {
    id: `directory ${path}`,
    async read(host) {
      const probe = await probeFile(host, path, extra ? { extra } : {});
      const st = probe.stat;
      if (st && st.type !== 'directory') {
        throw new Error(
          `directory ${path}: a ${st.type}${st.type === 'symlink' ? ` (to ${st.linkTarget})` : ''} is in the way; remove it first (absent)`,
        );
      }
      return { probe, ...(extra && st ? { tree: parseTree(probe.extra) } : {}) };
    },
    plan({ probe: { stat }, tree }) {
      if (!stat) return [{ field: 'state', to: 'directory created' }];
      const changes: DirectoryChange[] = [];
      if (mode && stat.mode !== mode) changes.push({ field: 'mode', from: stat.mode, to: mode });
      if (options.owner && !sameId(options.owner, stat.owner, stat.uid))
        changes.push({ field: 'owner', from: stat.owner, to: options.owner });
      if (options.group && !sameId(options.group, stat.group, stat.gid))
        changes.push({ field: 'group', from: stat.group, to: options.group });
      const below = (n: number, what: Below, to: string) => {
        if (n > 0)
          changes.push({
            field: `${what} below`,
            from: `${n} ${n === 1 ? 'entry differs' : 'entries differ'}`,
            to,
          });
      };
      if (tree) {
        below(tree.owner, 'owner', options.owner ?? '');
        below(tree.group, 'group', options.group ?? '');
        below(tree.dirMode, 'mode of directories', mode ?? '');
        below(tree.fileMode, 'mode of files', normalMode(options.fileMode) ?? '');
      }
      return changes;
    },
    provides: ({ probe }) => (probe.stat ? [] : [{ kind: 'directory', path }]),
    async apply(host, { probe }, changes) {
      const created = !probe.stat;
      const has = (field: DirectoryChange['field']) => created || changes.some((c) => c.field === field);
      const q = quotePosix(path);
      const lines = ['set -e'];
      if (created) lines.push(...createLines(path, options));
      // A leading 0 makes GNU chmod clear a directory's setgid bit when the mode does not ask for it.
      if (mode && has('mode')) lines.push(`chmod 0${mode} -- ${q}`);
      const owner = has('owner') ? options.owner : undefined;
      const group = has('group') ? options.group : undefined;
      if (owner || group)
        lines.push(`chown -h ${quotePosix(`${owner ?? ''}${group ? `:${group}` : ''}`)} -- ${q}`);
      if (!created && options.recursive) {
        const t = treeTests(options);
        const fix = (test: string | undefined, action: string) => {
          if (test) lines.push(`find ${q} -mindepth 1 ${test} -exec ${action} {} +`);
        };
        if (has('owner below')) fix(t.owner, `chown -h ${quotePosix(options.owner ?? '')}`);
        if (has('group below')) fix(t.group, `chgrp -h ${quotePosix(options.group ?? '')}`);
        if (has('mode of directories below')) fix(t.dirMode, `chmod 0${mode}`);
        if (has('mode of files below')) fix(t.fileMode, `chmod 0${normalMode(options.fileMode)}`);
      }
      await host.$(script(lines.join('\n')));
    },
  };
}

/** `mkdir -p`, and with `parents: 'same'` this directory's attributes on the parents it created. */
function createLines(path: string, o: DirectoryOptions): string[] {
  const q = quotePosix(path);
  if (o.parents !== 'same' || !(o.mode || o.owner || o.group)) return [`mkdir -p -- ${q}`];
  const ancestors = path
    .split('/')
    .slice(1, -1)
    .map((_, i, parts) => `/${parts.slice(0, i + 1).join('/')}`);
  const lines = [
    'set --',
    `for d in ${ancestors.map(quotePosix).join(' ')}; do [ -e "$d" ] || set -- "$@" "$d"; done`,
    `mkdir -p -- ${q}`,
  ];
  const mode = normalMode(o.mode);
  if (mode) lines.push(`[ $# -eq 0 ] || chmod 0${mode} -- "$@"`);
  if (o.owner || o.group)
    lines.push(
      `[ $# -eq 0 ] || chown ${quotePosix(`${o.owner ?? ''}${o.group ? `:${o.group}` : ''}`)} -- "$@"`,
    );
  return lines;
}

/**
 * A directory (parents created as needed: see `parents`) with mode and owner; `recursive` applies them below.
 *
 * @example
 * await directory(host, { path: '/srv/app', mode: '0750', owner: 'app', group: 'app', recursive: true, fileMode: '0640' });
 */
export function directory(host: Host, options: DirectoryOptions): Promise<TaskOutcome> {
  return converge(host, directoryResource(options));
}
