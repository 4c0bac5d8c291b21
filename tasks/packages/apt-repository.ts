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
import { Type } from '../../lib/vendor/typebox.js';
import type { Static, TString } from '@sinclair/typebox';
import { createTwoFilesPatch } from '../../lib/vendor/diff.js';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';
import { checkOptions, fail, Flag, InstanceOf, OneOf, Options, ReadonlyArrayOf } from '../options.js';
import { aptUpdate } from './apt-get.js';
import { isArmored, keyringBytes } from './apt-keyring.js';
import { readRepositoryFacts, type FileFacts, type RepositoryFacts } from './apt-repository-facts.js';
import { renderDeb822, renderOneLine, type SourceSpec } from './apt-sources.js';
import { file } from '../files/file.js';

/** A word of a sources file: no spaces, no `[`, `]` or `#` (they are its syntax). */
const WORD = '[^\\s[\\]#]+';
const Word = (pattern = `^${WORD}$`) =>
  Type.String({ pattern, expected: 'must be a word (no spaces, "[", "]" or "#")' });
/** One or more: `'bookworm'` or `['bookworm', 'bookworm-updates']`; never empty. */
const OneOrMore = (word: TString, what: string) =>
  Type.Union([word, ReadonlyArrayOf(word, { minItems: 1 })], {
    expected: (value) =>
      Array.isArray(value) && value.length === 0 ? 'must not be empty' : `must be ${what}`,
  });

export const AptRepositoryOptions = Options({
  /** File names: /etc/apt/sources.list.d/NAME.sources (or .list), /etc/apt/keyrings/NAME.asc (or .gpg). */
  name: Type.String({
    // apt ignores sources.list.d files with other characters (and hidden ones).
    pattern: '^[A-Za-z0-9_-][A-Za-z0-9_.-]*$',
    expected: 'must be letters, digits, "_", "-" or "." (apt ignores other file names)',
  }),
  /** Required unless `state: 'absent'`. */
  uris: Type.Optional(
    OneOrMore(
      Word(`^[a-z][a-z0-9+]*:${WORD}$`),
      'URIs like "https://deb.example.org/debian" or "file:/srv/repo"',
    ),
  ),
  /** `bookworm`, or `./` (any path ending in `/`) for a flat repository. Required unless absent. */
  suites: Type.Optional(OneOrMore(Word(), 'a word or an array of words (no spaces)')),
  /** Required unless the suite is a flat path. */
  components: Type.Optional(ReadonlyArrayOf(Word(), { expected: 'must be an array of words (no spaces)' })),
  /** Default `['deb']`. */
  types: Type.Optional(
    ReadonlyArrayOf(OneOf(['deb', 'deb-src']), {
      minItems: 1,
      expected: 'must be a non-empty array of "deb" and "deb-src"',
    }),
  ),
  architectures: Type.Optional(
    ReadonlyArrayOf(
      Type.String({ pattern: '^[a-z0-9-]+$', expected: 'must be a Debian architecture name like "amd64"' }),
      { expected: 'must be Debian architecture names like "amd64"' },
    ),
  ),
  /** The repository's OpenPGP public key(s), ASCII-armored or binary. Public data: not masked. */
  key: Type.Optional(
    Type.Union([Type.String(), InstanceOf(Buffer)], { expected: 'must be the key text or a Buffer' }),
  ),
  /**
   * Keyring path. Default /etc/apt/keyrings/NAME.asc for an armored key (stored as given),
   * NAME.gpg for a binary one; an armored key for a `.gpg` path is dearmored. Without `key`, an
   * existing keyring to reference.
   */
  keyring: Type.Optional(
    Type.String({
      pattern: '^/\\S+\\.(asc|gpg)$',
      expected: 'must be an absolute path ending in .asc or .gpg',
    }),
  ),
  /** Default `deb822`. */
  format: Type.Optional(OneOf(['deb822', 'one-line'], { expected: 'must be "deb822" or "one-line"' })),
  /** Default `present`. */
  state: Type.Optional(OneOf(['present', 'absent'], { expected: 'must be "present" or "absent"' })),
  /** Refresh this repository's lists when it changed. Default true. */
  updateCache: Type.Optional(Flag()),
  /** Seconds to wait for apt's lists lock. Default 120. */
  lockTimeout: Type.Optional(
    Type.Integer({ minimum: 0, expected: 'must be a whole number of seconds >= 0' }),
  ),
});
export type AptRepositoryOptions = Static<typeof AptRepositoryOptions>;

export type Role = 'keyring' | 'source' | 'leftover';

export interface Entry {
  role: Role;
  path: string;
  /** Wanted content; undefined: the file must not exist. */
  want?: Buffer;
}

/** What about one of its files differs: it is missing or unwanted (`state`), or its content, mode or owner. */
export type FileAspect = 'state' | 'content' | 'mode' | 'owner';

/** One of the repository's files to write or remove; the change line is made from it. */
export type EntryChange = Change & { kind: 'file'; role: Role; path: string; aspect: FileAspect };
export type RepositoryChange =
  EntryChange | (Change<'lists', 'refreshed for this repository'> & { kind: 'lists' });

const SOURCES_DIR = '/etc/apt/sources.list.d';
const KEYRINGS_DIR = '/etc/apt/keyrings';

export function aptRepositoryResource(
  options: AptRepositoryOptions,
): Resource<RepositoryFacts, RepositoryChange> {
  const { entries, sourcePath, sourceText, updateCache, lockTimeout } = settle(options);
  return {
    id: `apt repository ${options.name}`,
    read: (host) =>
      readRepositoryFacts(
        host,
        entries.map((e) => e.path),
        sourcePath,
      ),
    plan(current): RepositoryChange[] {
      const changes = entries.flatMap((e, i) => planEntry(e, current.files[i] ?? { kind: 'absent' }));
      const refresh = changes.length > 0 && updateCache && sourceText !== undefined;
      return refresh
        ? [...changes, { kind: 'lists', field: 'lists', to: 'refreshed for this repository' }]
        : changes;
    },
    async apply(host, _current, changes) {
      const touched = (e: Entry) => changes.some((c) => c.kind === 'file' && c.path === e.path);
      const writes = entries.filter((e) => e.want && touched(e));
      const removals = entries.filter((e) => !e.want && touched(e)).map((e) => e.path);
      if (writes.some((e) => e.role === 'keyring'))
        await host.$`mkdir -p -m 0755 ${dirOf(writes.find((e) => e.role === 'keyring')!.path)}`;
      // Keyring first, then the source: apt must never see a source whose key is not there yet.
      for (const e of writes)
        await file(host, { path: e.path, content: e.want!, mode: '0644', owner: 'root', group: 'root' });
      if (removals.length) await host.$`rm -f -- ${removals}`;
      if (!changes.some((c) => c.kind === 'lists')) return;
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

/** A file's change, with its line: `source /etc/apt/sources.list.d/x.sources mode 0600 → 0644`. */
function entryChange(e: Entry, aspect: FileAspect, from: string | undefined, to: string): EntryChange {
  const field = `${e.role} ${e.path}${aspect === 'mode' || aspect === 'owner' ? ` ${aspect}` : ''}`;
  return {
    kind: 'file',
    role: e.role,
    path: e.path,
    aspect,
    field,
    ...(from !== undefined ? { from } : {}),
    to,
  };
}

/** What differs for one file: created, content, mode, owner; or removed. */
export function planEntry(e: Entry, f: FileFacts): EntryChange[] {
  if (f.kind === 'other') throw new Error(`apt repository: ${e.path} exists and is not a regular file`);
  if (!e.want) return f.kind === 'file' ? [entryChange(e, 'state', 'present', 'absent')] : [];
  if (f.kind === 'absent') return [entryChange(e, 'state', 'absent', 'created')];
  const changes: EntryChange[] = [];
  const want = sha(e.want);
  if (f.sha256 !== want)
    changes.push(
      entryChange(e, 'content', `sha256:${f.sha256?.slice(0, 12)}`, `sha256:${want.slice(0, 12)}`),
    );
  if (f.mode !== '0644') changes.push(entryChange(e, 'mode', f.mode, '0644'));
  if (f.owner !== 'root' || f.group !== 'root')
    changes.push(entryChange(e, 'owner', `${f.owner}:${f.group}`, 'root:root'));
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

/** Checks the options (before any host access) and lays out the files. */
function settle(o: AptRepositoryOptions): Settled {
  checkOptions('aptRepository', AptRepositoryOptions, o);
  const state = o.state ?? 'present';
  const format = o.format ?? 'deb822';
  const lockTimeout = o.lockTimeout ?? 120;
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

  const refuse = (option: string, expected: string, got: unknown) =>
    fail('aptRepository', option, expected, got);
  const list = (value: string | readonly string[] | undefined): string[] =>
    typeof value === 'string' ? [value] : [...(value ?? [])];
  if (o.uris === undefined) refuse('uris', 'are required unless state is "absent"', o.uris);
  if (o.suites === undefined) refuse('suites', 'are required unless state is "absent"', o.suites);
  const uris = list(o.uris);
  const suites = list(o.suites);
  const components = o.components ?? [];
  const flat = suites.every((s) => s.endsWith('/'));
  if (!flat && suites.some((s) => s.endsWith('/')))
    refuse('suites', 'must be all distribution names or all flat paths ending in "/"', o.suites);
  if (flat && components.length)
    refuse('components', 'must be empty for a flat repository (suite ending in "/")', o.components);
  if (!flat && !components.length)
    refuse(
      'components',
      'are required (e.g. ["main"]) unless the suite is a flat path ending in "/"',
      o.components,
    );
  const types = o.types ?? ['deb'];
  const architectures = o.architectures ?? [];

  const entries: Entry[] = [];
  let signedBy = o.keyring;
  if (o.key !== undefined) {
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
