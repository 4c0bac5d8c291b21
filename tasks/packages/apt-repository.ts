/**
 * `aptRepository`: an apt source under /etc/apt/sources.list.d (deb822 `.sources` by default,
 * or a one-line `.list`) whose `Signed-By` names a keyring under /etc/apt/keyrings written from
 * the given key, so the key is trusted for this repository only (no apt-key, no trusted.gpg.d).
 *
 * - Files are written through `file()` (atomic, 0644 root:root), the keyring before the source:
 *   apt never sees a source whose key is missing.
 * - The lists are refreshed only when something changed, and only for this source
 *   (`Dir::Etc::sourcelist`), so another repository's outage cannot fail this task. If that
 *   refresh fails (bad key, unreachable URI) the source file is removed again, so no later
 *   `apt-get update` trips over it and the next run retries, and the task fails.
 * - The other format's source file of the same name, and a default keyring of the same name that
 *   the source does not use, are removed: switching formats or key files leaves no duplicate.
 * - `state: 'absent'` removes the source and keyring files. The removed source's lists stay until
 *   the next full refresh (`apt` with `updateCache: true, cacheValidTime: 0`).
 */
import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';
import { aptUpdate } from './apt-get.js';
import { isArmored, keyringBytes } from './apt-keyring.js';
import { readRepositoryFacts, type FileFacts, type RepositoryFacts } from './apt-repository-facts.js';
import { renderDeb822, renderOneLine, type SourceSpec } from './apt-sources.js';
import { file } from '../files/file.js';

export interface AptRepositoryOptions {
  /** File names: /etc/apt/sources.list.d/NAME.sources (or .list), /etc/apt/keyrings/NAME.asc (or .gpg). */
  name: string;
  /** Required unless `state: 'absent'`. */
  uris?: string | readonly string[];
  /** `bookworm`, or `./` (any path ending in `/`) for a flat repository. Required unless absent. */
  suites?: string | readonly string[];
  /** Required unless the suite is a flat path. */
  components?: readonly string[];
  /** Default `['deb']`. */
  types?: readonly ('deb' | 'deb-src')[];
  architectures?: readonly string[];
  /** The repository's OpenPGP public key(s), ASCII-armored or binary. Public data: not masked. */
  key?: string | Buffer;
  /**
   * Keyring path. Default /etc/apt/keyrings/NAME.asc for an armored key (stored as given),
   * NAME.gpg for a binary one; an armored key for a `.gpg` path is dearmored. Without `key`, an
   * existing keyring to reference.
   */
  keyring?: string;
  /** Default `deb822`. */
  format?: 'deb822' | 'one-line';
  /** Default `present`. */
  state?: 'present' | 'absent';
  /** Refresh this repository's lists when it changed. Default true. */
  updateCache?: boolean;
  /** Seconds to wait for apt's lists lock. Default 120. */
  lockTimeout?: number;
}

type Role = 'keyring' | 'source' | 'leftover';

interface Entry {
  role: Role;
  path: string;
  /** Wanted content; undefined: the file must not exist. */
  want?: Buffer;
}

const SOURCES_DIR = '/etc/apt/sources.list.d';
const KEYRINGS_DIR = '/etc/apt/keyrings';

export function aptRepositoryResource(options: AptRepositoryOptions): Resource<RepositoryFacts> {
  const { entries, sourcePath, sourceText, updateCache, lockTimeout } = settle(options);
  const label = (e: Entry) => `${e.role} ${e.path}`;
  return {
    id: `apt repository ${options.name}`,
    read: (host) =>
      readRepositoryFacts(
        host,
        entries.map((e) => e.path),
        sourcePath,
      ),
    plan(current) {
      const changes = entries.flatMap((e, i) =>
        planEntry(label(e), e, current.files[i] ?? { kind: 'absent' }),
      );
      const refresh = changes.length > 0 && updateCache && sourceText !== undefined;
      return refresh ? [...changes, { field: 'lists', to: 'refreshed for this repository' }] : changes;
    },
    async apply(host, _current, changes) {
      const touched = (e: Entry) =>
        changes.some((c) => c.field === label(e) || c.field.startsWith(`${label(e)} `));
      const writes = entries.filter((e) => e.want && touched(e));
      const removals = entries.filter((e) => !e.want && touched(e)).map((e) => e.path);
      if (writes.some((e) => e.role === 'keyring'))
        await host.$`mkdir -p -m 0755 ${dirOf(writes.find((e) => e.role === 'keyring')!.path)}`;
      // Keyring first, then the source: apt must never see a source whose key is not there yet.
      for (const e of writes)
        await file(host, { path: e.path, content: e.want!, mode: '0644', owner: 'root', group: 'root' });
      if (removals.length) await host.$`rm -f -- ${removals}`;
      if (!changes.some((c) => c.field === 'lists')) return;
      try {
        await aptUpdate(host, { lockTimeout, sourcesFile: sourcePath });
      } catch (error) {
        await host.$`rm -f -- ${sourcePath}`;
        throw new Error(
          `apt repository ${options.name}: refreshing its lists failed, so ${sourcePath} was removed again (the next run retries): ${(error as Error).message}`,
        );
      }
    },
    diff(current) {
      const old = current.sourceText ?? '';
      const next = sourceText ?? '';
      if (old === next) return undefined;
      return createTwoFilesPatch(
        sourcePath,
        sourcePath,
        old,
        next,
        current.sourceText === undefined ? '(absent)' : 'before',
        sourceText === undefined ? '(absent)' : 'after',
      );
    },
  };
}

/**
 * An apt repository with its signing key, trusted for this repository only.
 *
 * @example
 * await aptRepository(host, {
 *   name: 'docker',
 *   uris: 'https://download.docker.com/linux/debian',
 *   suites: 'bookworm',
 *   components: ['stable'],
 *   key: readFileSync('files/docker.asc', 'utf8'),
 * });
 */
export function aptRepository(host: Host, options: AptRepositoryOptions): Promise<TaskOutcome> {
  return converge(host, aptRepositoryResource(options));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const dirOf = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/';

/** What differs for one file: created, content, mode, owner; or removed. */
export function planEntry(field: string, e: Omit<Entry, 'role'>, f: FileFacts): Change[] {
  if (f.kind === 'other') throw new Error(`apt repository: ${e.path} exists and is not a regular file`);
  if (!e.want) return f.kind === 'file' ? [{ field, from: 'present', to: 'absent' }] : [];
  if (f.kind === 'absent') return [{ field, from: 'absent', to: 'created' }];
  const changes: Change[] = [];
  const want = sha(e.want);
  if (f.sha256 !== want)
    changes.push({ field, from: `sha256:${f.sha256?.slice(0, 12)}`, to: `sha256:${want.slice(0, 12)}` });
  if (f.mode !== '0644') changes.push({ field: `${field} mode`, from: f.mode, to: '0644' });
  if (f.owner !== 'root' || f.group !== 'root')
    changes.push({ field: `${field} owner`, from: `${f.owner}:${f.group}`, to: 'root:root' });
  return changes;
}

interface Settled {
  entries: Entry[];
  sourcePath: string;
  /** Undefined when the repository is to be absent. */
  sourceText?: string;
  updateCache: boolean;
  lockTimeout: number;
}

const NAME = /^[A-Za-z0-9_.-]+$/; // apt ignores sources.list.d files with other characters
const WORD = /^[^\s[\]#]+$/;

/** Validates the options (TypeErrors, before any host access) and lays out the files. */
function settle(o: AptRepositoryOptions): Settled {
  const fail = (what: string, got: unknown) =>
    new TypeError(`aptRepository: ${what}, got ${JSON.stringify(got)}`);
  if (o === null || typeof o !== 'object') throw fail('options must be an object', o);
  if (typeof o.name !== 'string' || !NAME.test(o.name) || o.name.startsWith('.'))
    throw fail('name must be letters, digits, "_", "-" or "." (apt ignores other file names)', o.name);
  const state = o.state ?? 'present';
  if (state !== 'present' && state !== 'absent') throw fail('state must be "present" or "absent"', o.state);
  const format = o.format ?? 'deb822';
  if (format !== 'deb822' && format !== 'one-line')
    throw fail('format must be "deb822" or "one-line"', o.format);
  const lockTimeout = o.lockTimeout ?? 120;
  if (!Number.isInteger(lockTimeout) || lockTimeout < 0)
    throw fail('lockTimeout must be a whole number of seconds >= 0', o.lockTimeout);
  if (o.keyring !== undefined && (typeof o.keyring !== 'string' || !/^\/[^\s]+\.(asc|gpg)$/.test(o.keyring)))
    throw fail('keyring must be an absolute path ending in .asc or .gpg', o.keyring);
  const deb822 = `${SOURCES_DIR}/${o.name}.sources`;
  const oneLine = `${SOURCES_DIR}/${o.name}.list`;
  const sourcePath = format === 'deb822' ? deb822 : oneLine;
  const other = format === 'deb822' ? oneLine : deb822;
  const defaultKeyrings = [`${KEYRINGS_DIR}/${o.name}.asc`, `${KEYRINGS_DIR}/${o.name}.gpg`];
  const updateCache = o.updateCache ?? true;

  if (state === 'absent') {
    const keyrings = o.keyring ? [o.keyring] : defaultKeyrings;
    const entries: Entry[] = [sourcePath, other].map((path) => ({ role: 'source' as const, path }));
    return {
      entries: [...entries, ...keyrings.map((path) => ({ role: 'keyring' as const, path }))],
      sourcePath,
      updateCache,
      lockTimeout,
    };
  }

  const list = (name: string, value: unknown, required: boolean): string[] => {
    const items = typeof value === 'string' ? [value] : value === undefined ? [] : value;
    if (!Array.isArray(items) || items.some((v) => typeof v !== 'string' || !WORD.test(v)))
      throw fail(`${name} must be a word or an array of words (no spaces)`, value);
    if (required && items.length === 0) throw fail(`${name} must not be empty`, value);
    return items as string[];
  };
  const uris = list('uris', o.uris, true);
  for (const uri of uris)
    if (!/^[a-z][a-z0-9+]*:/.test(uri))
      throw fail('uris must be URIs like "https://deb.example.org/debian" or "file:/srv/repo"', uri);
  const suites = list('suites', o.suites, true);
  const components = list('components', o.components, false);
  const flat = suites.every((s) => s.endsWith('/'));
  if (!flat && suites.some((s) => s.endsWith('/')))
    throw fail('suites must be all distribution names or all flat paths ending in "/"', o.suites);
  if (flat && components.length)
    throw fail('components must be empty for a flat repository (suite ending in "/")', o.components);
  if (!flat && !components.length)
    throw fail(
      'components are required (e.g. ["main"]) unless the suite is a flat path ending in "/"',
      o.components,
    );
  const types = o.types ?? ['deb'];
  if (!Array.isArray(types) || types.length === 0 || types.some((t) => t !== 'deb' && t !== 'deb-src'))
    throw fail('types must be a non-empty array of "deb" and "deb-src"', o.types);
  const architectures = list('architectures', o.architectures, false);
  for (const a of architectures)
    if (!/^[a-z0-9-]+$/.test(a))
      throw fail('architectures must be Debian architecture names like "amd64"', a);

  const entries: Entry[] = [];
  let signedBy = o.keyring;
  if (o.key !== undefined) {
    if (typeof o.key !== 'string' && !Buffer.isBuffer(o.key))
      throw fail('key must be the key text or a Buffer', typeof o.key);
    signedBy ??= isArmored(o.key) ? defaultKeyrings[0]! : defaultKeyrings[1]!;
    let bytes: Buffer;
    try {
      bytes = keyringBytes(o.key, signedBy);
    } catch (error) {
      throw new TypeError(`aptRepository: ${(error as Error).message}`);
    }
    entries.push({ role: 'keyring', path: signedBy, want: bytes });
  }
  // A default keyring of this name that the source does not use is a leftover of an earlier key
  // format or path.
  for (const k of defaultKeyrings) if (k !== signedBy) entries.push({ role: 'leftover', path: k });
  const spec: SourceSpec = {
    types,
    uris,
    suites,
    components,
    architectures,
    ...(signedBy ? { signedBy } : {}),
  };
  const sourceText = format === 'deb822' ? renderDeb822(spec) : renderOneLine(spec);
  entries.push(
    { role: 'source', path: sourcePath, want: Buffer.from(sourceText) },
    { role: 'leftover', path: other },
  );
  return { entries, sourcePath, sourceText, updateCache, lockTimeout };
}
