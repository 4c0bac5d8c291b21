/**
 * `blockInFile`: a managed block of lines between two marker lines, Ansible blockinfile style:
 *
 *   # BEGIN NOVASTATION <name>
 *   …block…
 *   # END NOVASTATION <name>
 *
 * When both markers are found the lines between them (and the markers) are replaced in place;
 * otherwise the block is inserted after the last line matching `insertAfter` / before the last
 * line matching `insertBefore` (the end of the file when nothing matches), or at `'BOF'`/`'EOF'`.
 * `state: 'absent'` (or an empty block) removes the block and its markers. The `name` keeps
 * several blocks in one file apart. Computed on the controller (editBlockInFile, pure), written
 * with the atomic write of `file`.
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { convergeFile, managedFileResource, type ManagedFileResource } from './file.js';
import { AbsolutePath, checkOptions, fail, Flag, OneOf, Options, RegExpOption } from '../options.js';
import { writeAttributeOptions } from './file-options.js';

const OneLine = () =>
  Type.String({ minLength: 1, pattern: '^[^\\n\\r]*$', expected: 'must be a non-empty one-line string' });

export const BlockInFileOptions = Options({
  path: AbsolutePath(),
  /** Names the block in its markers; several blocks in one file need different names. */
  name: OneLine(),
  /** The lines between the markers (a final newline is ignored). */
  block: Type.Optional(Type.String({ expected: 'must be a string' })),
  state: Type.Optional(OneOf(['present', 'absent'])),
  /** Marker line template: `{mark}` becomes markerBegin/markerEnd, `{name}` the name. Default `# {mark} NOVASTATION {name}`. */
  marker: Type.Optional(
    Type.String({
      pattern: '^[^\\n\\r]*\\{mark\\}[^\\n\\r]*$',
      expected: 'must be a one-line string containing {mark}',
    }),
  ),
  markerBegin: Type.Optional(OneLine()),
  markerEnd: Type.Optional(OneLine()),
  /** Where a new block goes: after the last line matching this, or `'EOF'` (default) / `'BOF'`. */
  insertAfter: Type.Optional(RegExpOption()),
  /** Where a new block goes: before the last line matching this, or `'BOF'`. */
  insertBefore: Type.Optional(RegExpOption()),
  /** Create the file when missing (default: fail, as Ansible does). */
  create: Type.Optional(Flag()),
  ...writeAttributeOptions,
});
export type BlockInFileOptions = Static<typeof BlockInFileOptions>;

const PRIMITIVE = 'block-in-file';
export const DEFAULT_MARKER = '# {mark} NOVASTATION {name}';

export function markers(
  o: Pick<BlockInFileOptions, 'name' | 'marker' | 'markerBegin' | 'markerEnd'>,
): [string, string] {
  const template = (o.marker ?? DEFAULT_MARKER).split('{name}').join(o.name);
  return [
    template.split('{mark}').join(o.markerBegin ?? 'BEGIN'),
    template.split('{mark}').join(o.markerEnd ?? 'END'),
  ];
}

function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

const bare = (line: string): string => line.replace(/[\r\n]+$/, '');

function toRegExp(value: RegExp | string): RegExp {
  return typeof value === 'string'
    ? new RegExp(value)
    : new RegExp(value.source, value.flags.replace(/[gy]/g, ''));
}

/** The new content, or null when the file is absent and stays absent. */
export function editBlockInFile(text: string | null, o: BlockInFileOptions): string | null {
  const remove = o.state === 'absent' || !o.block;
  if (text === null) {
    if (remove) return null;
    if (!o.create)
      throw new Error(`${PRIMITIVE} ${o.path}: the file does not exist (set create: true to create it)`);
  }
  const lines = splitLines(text ?? '');
  const [begin, end] = markers(o);
  let b = -1;
  let e = -1;
  lines.forEach((line, i) => {
    if (bare(line) === begin) b = i;
    if (bare(line) === end) e = i;
  });
  const body = remove
    ? []
    : [begin, ...(o.block ?? '').replace(/\r?\n$/, '').split(/\r?\n/), end].map((l) => `${l}\n`);
  let at: number;
  if (b !== -1 && e !== -1) {
    at = Math.min(b, e);
    lines.splice(at, Math.abs(e - b) + 1);
  } else if (remove) {
    return lines.join('');
  } else {
    const anchor = o.insertAfter ?? o.insertBefore;
    if (anchor === 'BOF') at = 0;
    else if (anchor === undefined || anchor === 'EOF') at = lines.length;
    else {
      const re = toRegExp(anchor);
      let last = -1;
      lines.forEach((line, i) => {
        if (re.test(bare(line))) last = i;
      });
      at = last === -1 ? lines.length : o.insertAfter !== undefined ? last + 1 : last;
    }
  }
  if (body.length && at > 0 && !lines[at - 1]!.endsWith('\n')) lines[at - 1] += '\n';
  lines.splice(at, 0, ...body);
  return lines.join('');
}

/** The rules between options that their declaration cannot say. */
function checkCombinations(o: BlockInFileOptions): void {
  checkOptions(PRIMITIVE, BlockInFileOptions, o);
  if ((o.state ?? 'present') === 'present' && o.block === undefined)
    fail(PRIMITIVE, 'block', 'is required with state present', o.block);
  const [begin, end] = markers(o);
  if (begin === end) fail(PRIMITIVE, 'markerEnd', 'must differ from markerBegin', o.markerEnd);
  if (o.insertAfter !== undefined && o.insertBefore !== undefined)
    fail(PRIMITIVE, 'insertBefore', 'cannot be used with insertAfter', o.insertBefore);
}

export function blockInFileResource(options: BlockInFileOptions): ManagedFileResource {
  checkCombinations(options);
  return managedFileResource({
    id: `block ${options.name} in ${options.path}`,
    path: options.path,
    attributes: options,
    sensitive: false,
    edit: (current) => {
      const next = editBlockInFile(current === null ? null : current.toString('utf8'), options);
      return next === null ? null : Buffer.from(next, 'utf8');
    },
  });
}

/**
 * A block of lines between `# BEGIN NOVASTATION <name>` / `# END NOVASTATION <name>` markers.
 *
 * @example
 * await blockInFile(host, { path: '/etc/hosts', name: 'cluster', block: '10.0.0.11 pve1\n10.0.0.12 pve2\n' });
 */
export function blockInFile(host: Host, options: BlockInFileOptions): Promise<TaskOutcome> {
  return convergeFile(host, blockInFileResource(options));
}
