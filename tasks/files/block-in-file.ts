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
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { convergeFile, managedFileResource, type ManagedFileResource } from './file.js';
import {
  checkBoolean,
  checkObject,
  checkOneOf,
  checkPath,
  checkWriteAttributes,
  fail,
  type WriteAttributes,
} from './file-options.js';

export interface BlockInFileOptions extends WriteAttributes {
  path: string;
  /** Names the block in its markers; several blocks in one file need different names. */
  name: string;
  /** The lines between the markers (a final newline is ignored). */
  block?: string;
  state?: 'present' | 'absent';
  /** Marker line template: `{mark}` becomes markerBegin/markerEnd, `{name}` the name. Default `# {mark} NOVASTATION {name}`. */
  marker?: string;
  markerBegin?: string;
  markerEnd?: string;
  /** Where a new block goes: after the last line matching this, or `'EOF'` (default) / `'BOF'`. */
  insertAfter?: RegExp | string;
  /** Where a new block goes: before the last line matching this, or `'BOF'`. */
  insertBefore?: RegExp | string;
  /** Create the file when missing (default: fail, as Ansible does). */
  create?: boolean;
}

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

function checkOptions(o: BlockInFileOptions): void {
  checkObject(PRIMITIVE, o);
  checkPath(PRIMITIVE, o.path);
  if (typeof o.name !== 'string' || o.name === '' || /[\n\r]/.test(o.name))
    fail(PRIMITIVE, 'name', 'must be a non-empty one-line string', o.name);
  checkOneOf(PRIMITIVE, 'state', o.state, ['present', 'absent']);
  if (o.block !== undefined && typeof o.block !== 'string')
    fail(PRIMITIVE, 'block', 'must be a string', o.block);
  if ((o.state ?? 'present') === 'present' && o.block === undefined)
    fail(PRIMITIVE, 'block', 'is required with state present', o.block);
  if (
    o.marker !== undefined &&
    (typeof o.marker !== 'string' || !o.marker.includes('{mark}') || /[\n\r]/.test(o.marker))
  ) {
    fail(PRIMITIVE, 'marker', 'must be a one-line string containing {mark}', o.marker);
  }
  for (const key of ['markerBegin', 'markerEnd'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || v === '' || /[\n\r]/.test(v)))
      fail(PRIMITIVE, key, 'must be a non-empty one-line string', v);
  }
  const [begin, end] = markers(o);
  if (begin === end) fail(PRIMITIVE, 'markerEnd', 'must differ from markerBegin', o.markerEnd);
  for (const key of ['insertAfter', 'insertBefore'] as const) {
    const v = o[key];
    if (v === undefined || v instanceof RegExp || v === 'BOF' || (key === 'insertAfter' && v === 'EOF'))
      continue;
    if (typeof v !== 'string') fail(PRIMITIVE, key, 'must be a RegExp, a string, "BOF" or "EOF"', v);
    try {
      new RegExp(v);
    } catch (error) {
      fail(PRIMITIVE, key, `must be a valid regexp (${(error as Error).message})`, v);
    }
  }
  if (o.insertAfter !== undefined && o.insertBefore !== undefined)
    fail(PRIMITIVE, 'insertBefore', 'cannot be used with insertAfter', o.insertBefore);
  checkBoolean(PRIMITIVE, 'create', o.create);
  checkWriteAttributes(PRIMITIVE, o);
}

export function blockInFileResource(options: BlockInFileOptions): ManagedFileResource {
  checkOptions(options);
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
