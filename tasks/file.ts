/**
 * `file`: a file with the given content, mode and owner — written atomically (see
 * Host.writeFile) only when something differs. State is read in one round trip (stat with
 * SHA-256), and the old content is fetched only when a diff is asked for.
 */
import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import type { TaskOutcome } from '../lib/define.js';
import type { Host } from '../lib/host/host.js';
import type { FileStat } from '../lib/host/stat.js';
import { converge, type Change, type Resource } from '../lib/resource.js';
import { isSecret, type Secret } from '../lib/secret.js';

export interface FileOptions {
  path: string;
  content: string | Buffer | Secret;
  /** Octal string, e.g. `0644`. Default 0644 for new files; an existing file's mode is kept. */
  mode?: string;
  owner?: string;
  group?: string;
}

export function fileResource(options: FileOptions): Resource<{ stat: FileStat | null; old?: string }> {
  validate(options);
  const raw = isSecret(options.content) ? options.content.reveal() : options.content;
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const mode = options.mode?.padStart(4, '0');
  let oldContent: string | undefined;
  return {
    id: `file ${options.path}`,
    sensitive: isSecret(options.content),
    async read(host: Host) {
      const stat = await host.stat(options.path);
      if (stat && stat.type !== 'file') throw new Error(`${options.path} exists and is a ${stat.type}, not a file`);
      // For --diff the old text is needed; fetch it only when the content differs.
      if (stat && stat.sha256 !== sha256 && !isSecret(options.content) && stat.size < 1 << 20) {
        oldContent = (await host.readFile(options.path))?.toString('utf8');
      }
      return { stat, ...(oldContent !== undefined ? { old: oldContent } : {}) };
    },
    plan({ stat }) {
      const changes: Change[] = [];
      if (!stat) return [{ field: 'state', to: 'created' }];
      if (stat.sha256 !== sha256) changes.push({ field: 'content', from: `sha256:${stat.sha256?.slice(0, 12)}`, to: `sha256:${sha256.slice(0, 12)}` });
      if (mode && stat.mode !== mode) changes.push({ field: 'mode', from: stat.mode, to: mode });
      if (options.owner && stat.owner !== options.owner) changes.push({ field: 'owner', from: stat.owner, to: options.owner });
      if (options.group && stat.group !== options.group) changes.push({ field: 'group', from: stat.group, to: options.group });
      return changes;
    },
    async apply(host: Host) {
      await host.writeFile(options.path, options.content, {
        mode: mode ?? undefined,
        ...(options.owner ? { owner: options.owner } : {}),
        ...(options.group ? { group: options.group } : {}),
      });
    },
    diff({ stat, old }) {
      if (stat && stat.sha256 === sha256) return undefined;
      return createTwoFilesPatch(options.path, options.path, old ?? '', bytes.toString('utf8'), stat ? 'before' : '(absent)', 'after');
    },
  };
}

export function file(host: Host, options: FileOptions): Promise<TaskOutcome> {
  return converge(host, fileResource(options));
}

function validate(o: FileOptions): void {
  if (typeof o.path !== 'string' || !o.path.startsWith('/')) throw new TypeError(`file: path must be absolute, got ${JSON.stringify(o.path)}`);
  if (o.mode !== undefined && !/^[0-7]{3,4}$/.test(o.mode)) throw new TypeError(`file ${o.path}: mode must be octal like "0644", got ${JSON.stringify(o.mode)}`);
}
