/**
 * `file`: a regular file with the given content, mode and owner — and the managed-file resource
 * every content-writing primitive (copy, template, line/block in file, INI settings) is built on.
 *
 * One read round trip (tasks/files/file-probe.ts: stat + SHA-256 + the old content only when it is
 * needed, + stray temps), then, only when something differs, one write round trip: the atomic
 * write of lib/host/atomic-write.ts for content, or one chmod/chown for attributes alone.
 * Content is compared by SHA-256; edits (line/block/INI) compute the new content on the
 * controller from the content read, so they too are one read + one write.
 */
import { createHash } from 'node:crypto';
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import { createTwoFilesPatch } from '../../lib/vendor/diff.js';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Provision, type Resource } from '../../lib/resource.js';
import type { FileStat } from '../../lib/host/stat.js';
import { isSecret, Secret } from '../../lib/secret.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { AbsolutePath, checkOptions, InstanceOf, Options } from '../options.js';
import { normalMode, sameId, writeAttributeOptions, type WriteAttributes } from './file-options.js';
import { probeFile, script, type FileProbe } from './file-probe.js';

export const FileOptions = Options({
  path: AbsolutePath(),
  /** The bytes to write. A Secret makes the task sensitive: no diff, no content in changes. */
  content: Type.Union([Type.String(), InstanceOf(Buffer), InstanceOf(Secret)], {
    expected: 'must be a string, Buffer or Secret',
  }),
  ...writeAttributeOptions,
});
export type FileOptions = Static<typeof FileOptions>;

/** What a managed file should be; the primitives differ only in how they say what its content is. */
export interface ManagedFileSpec {
  /** `file /etc/motd`, `line in /etc/ssh/sshd_config`: used in change lines and errors. */
  id: string;
  path: string;
  attributes: WriteAttributes;
  /** Content is secret: no diff, no old content fetched. */
  sensitive: boolean;
  /** Fixed content (file, copy, template)… */
  content?: Buffer;
  /** …or new content computed from the current one (null: no file). Returning null leaves an absent file absent. */
  edit?: (current: Buffer | null) => Buffer | null;
}

export interface ManagedFileState {
  probe: FileProbe;
  /** What the file should contain; null: no file is wanted (an edit of an absent file that needs none). */
  next: Buffer | null;
  nextSha256?: string;
  /**
   * The edit refused the content read (a missing file without `create`). Kept rather than thrown
   * by read, so check mode can first plan against the file an earlier task would write.
   */
  refused?: Error;
}

/** What a managed file's plan may change (typed: apply tests these names, never the text shown). */
export type FileChange = Change<
  'state' | 'content' | 'mode' | 'owner' | 'group' | 'temp files of an interrupted write'
>;

export interface ManagedFileResource extends Resource<ManagedFileState, FileChange> {
  /** Backups made by apply (paths on the host). */
  readonly backups: string[];
}

/** Edits refuse larger files: they are read whole into the controller. */
export const EDIT_MAX_BYTES = 16 << 20;

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export function managedFileResource(spec: ManagedFileSpec): ManagedFileResource {
  const { path, attributes: a } = spec;
  const mode = normalMode(a.mode);
  const fixedSha = spec.content ? sha256(spec.content) : undefined;
  const backups: string[] = [];
  /** The state for a probe: the wanted content, or the edit's refusal (raised by plan, after check mode's assume). */
  const stateOf = (probe: FileProbe): ManagedFileState => {
    let next: Buffer | null;
    try {
      next = spec.edit ? spec.edit(probe.stat ? (probe.content ?? null) : null) : (spec.content ?? null);
    } catch (error) {
      return { probe, next: null, refused: error as Error };
    }
    return {
      probe,
      next,
      ...(next ? { nextSha256: next === spec.content ? fixedSha : sha256(next) } : {}),
    };
  };
  return {
    id: spec.id,
    sensitive: spec.sensitive,
    backups,
    async read(host) {
      const probe = await probeFile(
        host,
        path,
        spec.edit
          ? { content: 'always', maxContentBytes: EDIT_MAX_BYTES }
          : spec.sensitive
            ? {}
            : { content: { unlessSha256: fixedSha ?? '' } },
      );
      const st = probe.stat;
      if (st && st.type !== 'file') {
        throw new Error(
          `${spec.id}: ${path} is a ${st.type === 'symlink' ? `symlink (to ${st.linkTarget}); manage its target instead` : st.type}, not a regular file`,
        );
      }
      if (spec.edit && st && !probe.content)
        throw new Error(
          `${spec.id}: ${path} is ${st.size} bytes, more than the ${EDIT_MAX_BYTES >> 20} MiB an edit reads`,
        );
      return stateOf(probe);
    },
    assume(current, earlier) {
      const written = earlier.file(path);
      if (!written?.content) return undefined;
      const probe = { ...current.probe, stat: wouldBeStat(path, written, current.probe.stat) };
      return {
        current: stateOf({ ...probe, content: written.content }),
        because: `${path} is written by an earlier task`,
      };
    },
    plan({ probe: { stat, strays }, next, nextSha256, refused }) {
      if (refused) throw refused;
      const changes: FileChange[] = [];
      if (next !== null && !stat) changes.push({ field: 'state', to: 'created' });
      if (next !== null && stat) {
        if (stat.sha256 !== nextSha256)
          changes.push({
            field: 'content',
            from: `sha256:${stat.sha256?.slice(0, 12)}`,
            to: `sha256:${nextSha256?.slice(0, 12)}`,
          });
        if (mode && stat.mode !== mode) changes.push({ field: 'mode', from: stat.mode, to: mode });
        if (a.owner && !sameId(a.owner, stat.owner, stat.uid))
          changes.push({ field: 'owner', from: stat.owner, to: a.owner });
        if (a.group && !sameId(a.group, stat.group, stat.gid))
          changes.push({ field: 'group', from: stat.group, to: a.group });
      }
      if (strays.length)
        changes.push({
          field: 'temp files of an interrupted write',
          from: String(strays.length),
          to: 'removed',
        });
      return changes;
    },
    async apply(host, { probe, next }, changes) {
      if (next && changes.some((c) => c.field === 'state' || c.field === 'content')) {
        // The write also removes stray temps and sets mode/owner before its rename.
        const result = await host.writeFile(path, next, {
          ...(mode ? { mode } : {}),
          ...(a.owner ? { owner: a.owner } : {}),
          ...(a.group ? { group: a.group } : {}),
          ...(a.validate !== undefined ? { validate: a.validate } : {}),
          ...(a.backup ? { backup: true } : {}),
        });
        if (result.backup) backups.push(result.backup);
        return;
      }
      await host.$(script(attributeScript(path, changes, probe.strays, { ...a, mode })));
    },
    // A later task of the run (an edit, a unit that loads it) plans against what this writes,
    // with the attributes the write sets or keeps.
    provides: ({ probe: { stat }, next }, changes) =>
      next !== null && changes.some((c) => c.field === 'state' || c.field === 'content')
        ? [
            {
              kind: 'file',
              path,
              content: next,
              ...defined({
                mode: mode ?? stat?.mode,
                owner: a.owner ?? stat?.owner,
                group: a.group ?? stat?.group,
              }),
            },
          ]
        : [],
    diff({ probe, next, nextSha256 }) {
      const st = probe.stat;
      if (next === null || (st && st.sha256 === nextSha256)) return undefined;
      return contentDiff(path, st ? (probe.content ?? null) : Buffer.alloc(0), next, !st);
    },
  };
}

/**
 * The stat a file written by an earlier task would have: its content, the attributes that task
 * sets or keeps, else those of a new file the atomic write makes (0644, owned by root — tasks
 * run as root). The uid/gid are only known when given as numbers.
 */
function wouldBeStat(
  path: string,
  written: Extract<Provision, { kind: 'file' }>,
  had: FileStat | null,
): FileStat {
  const content = written.content ?? Buffer.alloc(0);
  const owner = written.owner ?? had?.owner ?? 'root';
  const group = written.group ?? had?.group ?? 'root';
  const id = (name: string, known: number | undefined) =>
    /^\d+$/.test(name) ? Number(name) : name === 'root' ? 0 : (known ?? -1);
  return {
    path,
    type: 'file',
    mode: written.mode ?? had?.mode ?? '0644',
    uid: id(owner, had && had.owner === owner ? had.uid : undefined),
    gid: id(group, had && had.group === group ? had.gid : undefined),
    owner,
    group,
    size: content.length,
    sha256: sha256(content),
  };
}

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** chmod/chown/rm for changes that need no new content, as one command: the wanted attributes of those planned. */
function attributeScript(
  path: string,
  changes: FileChange[],
  strays: string[],
  wanted: WriteAttributes,
): string {
  const q = quotePosix(path);
  const lines = ['set -e'];
  const planned = (field: FileChange['field']) => changes.some((c) => c.field === field);
  const mode = planned('mode') ? wanted.mode : undefined;
  const owner = planned('owner') ? wanted.owner : undefined;
  const group = planned('group') ? wanted.group : undefined;
  if (mode) lines.push(`chmod ${quotePosix(`0${mode}`)} -- ${q}`);
  if (owner || group) lines.push(`chown ${quotePosix(`${owner ?? ''}${group ? `:${group}` : ''}`)} -- ${q}`);
  if (strays.length) lines.push(`rm -f -- ${strays.map(quotePosix).join(' ')}`);
  return lines.join('\n');
}

/** A unified diff for --diff, or a one-line note when the content is binary or was not fetched. */
export function contentDiff(path: string, before: Buffer | null, after: Buffer, created = false): string {
  if (before === null) return `--- ${path}\n+++ ${path}\n(old content over the diff size limit; not shown)\n`;
  if (!isText(before) || !isText(after))
    return `Binary content of ${path} differs (${before.length} → ${after.length} bytes)\n`;
  return createTwoFilesPatch(
    path,
    path,
    before.toString('utf8'),
    after.toString('utf8'),
    created ? '(absent)' : 'before',
    'after',
  );
}

function isText(b: Buffer): boolean {
  if (b.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/** converge, then name any backup made in the outcome (its change lines and message). */
export async function convergeFile(host: Host, resource: ManagedFileResource): Promise<TaskOutcome> {
  const outcome = await converge(host, resource);
  if (!resource.backups.length) return outcome;
  const lines = resource.backups.map((b) => `${resource.id}: backup ${b}`);
  return { ...outcome, changes: [...(outcome.changes ?? []), ...lines], message: lines.join('; ') };
}

export function fileResource(options: FileOptions): ManagedFileResource {
  checkOptions('file', FileOptions, options);
  const raw = isSecret(options.content) ? options.content.reveal() : options.content;
  return managedFileResource({
    id: `file ${options.path}`,
    path: options.path,
    attributes: options,
    sensitive: isSecret(options.content),
    content: Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'),
  });
}

/**
 * A file with exactly this content (and mode/owner), written atomically when it differs.
 *
 * @example
 * await file(host, { path: '/etc/sudoers.d/ops', content: '%ops ALL=(ALL) NOPASSWD: ALL\n', mode: '0440', validate: 'visudo -cf %s' });
 */
export function file(host: Host, options: FileOptions): Promise<TaskOutcome> {
  return convergeFile(host, fileResource(options));
}
