/**
 * `authorized_key`: SSH public keys in a user's `~/.ssh/authorized_keys`, with `~/.ssh` a 0700
 * folder and the file 0600, both owned by the user (sshd's StrictModes refuses looser ones).
 *
 * One read round trip: the passwd entry gives the home (read by bash itself: lib/shell/nss-lookup.ts),
 * and in the same script the probe reads `~/.ssh` (stat) and `~/.ssh/authorized_keys` (stat +
 * content) by their absolute paths with the file primitives' probe (tasks/files/file-parts.ts). The new content is computed on the controller
 * (tasks/accounts/authorized-key-lines.ts); writes go through the directory and file primitives' apply:
 * one round trip for the folder when it needs fixing, one atomic write for the file.
 *
 * A symlinked `.ssh` or `authorized_keys` is refused: root would otherwise write or chown
 * wherever the user's link points.
 */
import { posix } from 'node:path';
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Resource } from '../../lib/resource.js';
import { NSS_LOOKUP_FUNCTIONS } from '../../lib/shell/nss-lookup.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { AccountName, PRESENCE } from './account-options.js';
import { editAuthorizedKeys, parseKeyLine, type KeyLine } from './authorized-key-lines.js';
import { directoryResource } from '../files/directory.js';
import {
  applyParts,
  bindPart,
  diffParts,
  editState,
  filesProbeScript,
  parseFilesProbe,
  planParts,
  type Part,
} from '../files/file-parts.js';
import type { FileProbe } from '../files/file-probe.js';
import { EDIT_MAX_BYTES, managedFileResource } from '../files/file.js';
import { checkOptions, fail, Flag, OneOf, Options, ReadonlyArrayOf } from '../options.js';

export const AuthorizedKeyOptions = Options({
  /** The account whose `~/.ssh/authorized_keys` is managed; it must exist when the task applies. */
  user: AccountName(),
  /** Public keys, `type base64 [comment]` (a line may carry its own options); a string may hold several lines. */
  keys: Type.Union([Type.String(), ReadonlyArrayOf(Type.String())], {
    expected: 'must be a public key string or an array of them',
  }),
  /** sshd options for every given key (`no-port-forwarding,from="10.0.0.0/8"`), replacing the keys' own. */
  keyOptions: Type.Optional(
    Type.String({
      pattern: '^[^\\n\\r\\0]*\\S[^\\n\\r\\0]*$',
      expected: 'must be a non-empty sshd options string on one line',
    }),
  ),
  /** Remove every other key (and comment line): the file is exactly these keys. Default false. */
  exclusive: Type.Optional(Flag()),
  /** `present` (default) or `absent` (these keys' lines removed). */
  state: Type.Optional(OneOf(PRESENCE)),
});
export type AuthorizedKeyOptions = Static<typeof AuthorizedKeyOptions>;

const PRIMITIVE = 'authorized_key';

/** What the keys' folder and file need of the account: its home, and its primary group (gid or name). */
interface Account {
  group: string;
  home: string;
}

/**
 * Where the home most likely is — root's, or useradd's default on Debian (HOME=/home) — named in
 * the probe so a prefetched batch stats `~/.ssh` and `authorized_keys` ahead with its one `stat`.
 * Only a hint: the probe reads the account's real home, and stats it itself when it is elsewhere.
 */
const likelyHome = (user: string): string => (user === 'root' ? '/root' : `/home/${user}`);

const sshPaths = (home: string): [string, string] => {
  const dir = posix.join(home, '.ssh');
  return [dir, posix.join(dir, 'authorized_keys')];
};

interface AuthorizedKeyState {
  /** null: no such user; the plan says the keys wait for it, apply fails if it is still missing. */
  account: Account | null;
  homeMissing: boolean;
  parts: Part[];
}

/** The wanted key lines, parsed; the rules the declaration cannot say (TypeError before any host access). */
function checkAuthorizedKeyOptions(o: AuthorizedKeyOptions): KeyLine[] {
  checkOptions(PRIMITIVE, AuthorizedKeyOptions, o);
  if (o.exclusive && o.state === 'absent')
    fail(PRIMITIVE, 'exclusive', 'has no meaning with state "absent"', o.exclusive);
  const lines = (typeof o.keys === 'string' ? [o.keys] : o.keys)
    .flatMap((k) => k.split('\n'))
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0 && !o.exclusive) fail(PRIMITIVE, 'keys', 'must hold at least one key', o.keys);
  return lines.map((line) => {
    const key = parseKeyLine(line);
    if (!key) fail(PRIMITIVE, 'keys', 'must be public keys like "ssh-ed25519 AAAA… comment"', line);
    if (o.keyOptions === undefined) return key;
    const { options: _own, ...rest } = key;
    return { ...rest, options: o.keyOptions.trim() };
  });
}

const ACCOUNT = /^account [^:]*:[^:]*:(\d+):(\d+):[^:]*:([^:]*):/;

export function authorizedKeyResource(options: AuthorizedKeyOptions): Resource<AuthorizedKeyState> {
  const keys = checkAuthorizedKeyOptions(options);
  const state = options.state ?? 'present';
  const { user } = options;
  const edit = (current: Buffer | null) => {
    const next = editAuthorizedKeys(current?.toString('utf8') ?? null, {
      keys,
      state,
      exclusive: options.exclusive === true,
    });
    return next === null ? null : Buffer.from(next, 'utf8');
  };
  /** ~/.ssh and its authorized_keys as parts, from what was read of them. */
  const partsFor = (account: Account, dirProbe: FileProbe, fileProbe: FileProbe): Part[] => {
    const [dir, path] = sshPaths(account.home);
    if (dirProbe.stat && dirProbe.stat.type !== 'directory') {
      throw new Error(
        `authorized_key ${user}: ${dir} is a ${dirProbe.stat.type}${dirProbe.stat.linkTarget ? ` (to ${dirProbe.stat.linkTarget})` : ''}, not a folder; refusing to write through it`,
      );
    }
    const owner = { owner: user, group: account.group };
    const id = `authorized_key ${path}`;
    const file = managedFileResource({
      id,
      path,
      attributes: state === 'present' ? { mode: '0600', ...owner } : {},
      sensitive: false,
      edit,
    });
    return [
      ...(state === 'present'
        ? [bindPart(dir, directoryResource({ path: dir, mode: '0700', ...owner }), { probe: dirProbe })]
        : []),
      bindPart(path, file, editState(id, fileProbe, edit)),
    ];
  };
  return {
    id: `authorized_key ${user}`,
    async read(host) {
      // One function with local variables that returns, never exits: the probe runs inShell.
      const preamble = [
        'local pw= h= p= d= b= s= st= size= lt= sum=',
        `if ! __ns_getent_to pw passwd ${quotePosix(user)}; then echo no-account; return 0; fi`,
        `printf 'account %s\\n' "$pw"`,
        `IFS=: read -r _ _ _ _ _ h _ <<<"$pw"`,
        // What `cd` into the home checked before: a folder (through a symlink too). A relative
        // home (a broken passwd line) counts as missing: the paths below are absolute.
        `if [[ $h != /* ]] || [ ! -d "$h" ]; then echo no-home; return 0; fi`,
      ].join('\n');
      const [likelyDir, likelyFile] = sshPaths(likelyHome(user));
      const parts = [
        { path: { word: '"${h%/}"/.ssh', likely: likelyDir } },
        {
          path: { word: '"${h%/}"/.ssh/authorized_keys', likely: likelyFile },
          options: { content: 'always' as const, maxContentBytes: EDIT_MAX_BYTES },
        },
      ];
      const script = [
        NSS_LOOKUP_FUNCTIONS,
        '__ns_ak() {',
        filesProbeScript({ preamble, parts }),
        'return 0',
        '}',
        '__ns_ak',
      ];
      // The account is only known after the probe: parse the parts' paths after reading it.
      const r = await host.probe({ inShell: true })`eval ${script.join('\n')}`;
      const m = ACCOUNT.exec(r.stdout.split('\n').find((l) => l.startsWith('account ')) ?? '');
      if (!m) return { account: null, homeMissing: false, parts: [] };
      const account = { group: m[2]!, home: m[3] ?? '' };
      const { head, probes } = parseFilesProbe(sshPaths(account.home), r.stdoutBytes ?? r.stdout);
      const [dirProbe, fileProbe] = probes;
      if (head.includes('no-home') || !dirProbe || !fileProbe)
        return { account, homeMissing: true, parts: [] };
      return { account, homeMissing: false, parts: partsFor(account, dirProbe, fileProbe) };
    },
    // Check mode: a user, or its home, that an earlier task would create has no keys yet.
    assume(s, earlier) {
      const created = s.account ? undefined : earlier.user(user);
      const account = created?.home ? { group: created.group ?? user, home: created.home } : s.account;
      if (!account || !(created || s.homeMissing)) return undefined;
      if (!earlier.has({ kind: 'directory', path: account.home })) {
        return created
          ? {
              current: { account, homeMissing: true, parts: [] },
              because: `user ${user} is created by an earlier task`,
            }
          : undefined;
      }
      const none: FileProbe = { stat: null, strays: [], extra: [] };
      return {
        current: { account, homeMissing: false, parts: partsFor(account, none, none) },
        because: created
          ? `user ${user} and its home ${account.home} are created by an earlier task`
          : `the home ${account.home} is created by an earlier task`,
      };
    },
    plan(s) {
      if (state === 'absent') return planParts(s.parts);
      if (!s.account) return [{ field: 'authorized keys', to: `written once user ${user} exists` }];
      if (s.homeMissing)
        return [{ field: 'authorized keys', to: `written once the home ${s.account.home} exists` }];
      return planParts(s.parts);
    },
    async apply(host, s) {
      if (!s.account) throw new Error(`authorized_key ${user}: no such user`);
      if (s.homeMissing)
        throw new Error(
          `authorized_key ${user}: the home folder ${s.account.home} does not exist (create it with user's createHome)`,
        );
      await applyParts(host, s.parts);
    },
    diff: (s) => diffParts(s.parts),
  };
}

/**
 * SSH public keys in a user's ~/.ssh/authorized_keys (0700 folder, 0600 file, owned by the user).
 *
 * @example
 * await authorizedKey(host, { user: 'deploy', keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI… ci@build'], keyOptions: 'no-agent-forwarding' });
 */
export function authorizedKey(host: Host, options: AuthorizedKeyOptions): Promise<TaskOutcome> {
  return converge(host, authorizedKeyResource(options));
}
