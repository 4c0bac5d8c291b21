/**
 * One round trip for everything `aptRepository` compares: type, mode, owner and SHA-256 of each
 * of its files (source, keyring, and the other-format or other-extension leftovers it removes),
 * plus the source file's text for --diff (a few hundred bytes).
 */
import type { Host } from '../../lib/host/host.js';

export interface FileFacts {
  /** `other`: a directory, symlink or device where a regular file belongs. */
  kind: 'absent' | 'file' | 'other';
  mode?: string;
  owner?: string;
  group?: string;
  sha256?: string;
}

export interface RepositoryFacts {
  /** In the order of the paths asked for. */
  files: FileFacts[];
  /** Text of the source file, when it exists. */
  sourceText?: string;
}

const TEXT_MARK = '@@ns-apt-source';

export async function readRepositoryFacts(
  host: Host,
  paths: readonly string[],
  sourcePath: string,
): Promise<RepositoryFacts> {
  const r = await host.probe`for p in ${paths}; do
  if [ -L "$p" ] || { [ -e "$p" ] && [ ! -f "$p" ]; }; then echo other
  elif [ -f "$p" ]; then printf '%s %s\\n' "$(stat -c '%a %U %G' -- "$p")" "$(sha256sum < "$p" | cut -d' ' -f1)"
  else echo -; fi
done
echo ${TEXT_MARK}
if [ -f ${sourcePath} ] && [ ! -L ${sourcePath} ]; then base64 -w0 < ${sourcePath}; fi; true`;
  return parseRepositoryFacts(r.stdout, paths.length);
}

export function parseRepositoryFacts(stdout: string, count: number): RepositoryFacts {
  const mark = stdout.indexOf(`${TEXT_MARK}\n`);
  if (mark < 0) throw new Error(`aptRepository: unexpected probe output:\n${stdout.slice(0, 500)}`);
  const lines = stdout.slice(0, mark).split('\n').filter(Boolean);
  if (lines.length !== count)
    throw new Error(`aptRepository: expected ${count} file lines, got:\n${stdout.slice(0, 500)}`);
  const files = lines.map((line): FileFacts => {
    if (line === '-') return { kind: 'absent' };
    if (line === 'other') return { kind: 'other' };
    const [mode = '', owner = '', group = '', sha256 = ''] = line.split(' ');
    return { kind: 'file', mode: mode.padStart(4, '0'), owner, group, sha256 };
  });
  const b64 = stdout.slice(mark + TEXT_MARK.length + 1).trim();
  return { files, ...(b64 !== '' ? { sourceText: Buffer.from(b64, 'base64').toString('utf8') } : {}) };
}
