/**
 * `copy`: a local (controller) file's bytes on the host, managed like `file`. The local file is
 * read when the task is made, so a missing source fails before the host is touched.
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { convergeFile, managedFileResource, type ManagedFileResource } from './file.js';
import { AbsolutePath, checkOptions, fail, Flag, InstanceOf, Options } from '../options.js';
import { writeAttributeOptions } from './file-options.js';

export const CopyOptions = Options({
  /** Destination on the host. */
  path: AbsolutePath(),
  /** The local file: a path (absolute, or relative to the working directory) or a file: URL. */
  src: Type.Union([Type.String({ minLength: 1 }), InstanceOf(URL)], {
    expected: 'must be a local file path or file: URL',
  }),
  /** Content is secret (a key, a certificate's private half): no diff, no content in changes. */
  sensitive: Type.Optional(Flag()),
  ...writeAttributeOptions,
});
export type CopyOptions = Static<typeof CopyOptions>;

export function copyResource(options: CopyOptions): ManagedFileResource {
  const primitive = 'copy';
  checkOptions(primitive, CopyOptions, options);
  const src = options.src instanceof URL ? fileURLToPath(options.src) : options.src;
  let content: Buffer;
  try {
    if (!statSync(src).isFile()) fail(primitive, 'src', 'must be a regular file', src);
    content = readFileSync(src);
  } catch (error) {
    if (error instanceof TypeError) throw error;
    throw new TypeError(`${primitive}: src cannot be read: ${(error as Error).message}`);
  }
  return managedFileResource({
    id: `copy ${options.path}`,
    path: options.path,
    attributes: options,
    sensitive: options.sensitive === true,
    content,
  });
}

/**
 * A local file copied to the host (only when its SHA-256 differs), atomically.
 *
 * @example
 * await copy(host, { src: new URL('./files/ca.pem', import.meta.url), path: '/usr/local/share/ca-certificates/site.crt', mode: '0644' });
 */
export function copy(host: Host, options: CopyOptions): Promise<TaskOutcome> {
  return convergeFile(host, copyResource(options));
}
