/**
 * `sudoers`: a drop-in file `/etc/sudoers.d/<name>`, mode 0440, owned by root, written through
 * the file primitive with `validate: 'visudo -cf %s'`: the new content is checked on the temp file
 * before the rename, and a file visudo refuses never replaces the old one (a broken sudoers file
 * would lock every admin out of sudo). Give the content, or one rule to render.
 *
 * The name is checked because sudo's `@includedir` silently skips names containing a `.` or
 * ending in `~`: a file called `ops.conf` would be written and never read.
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge } from '../../lib/resource.js';
import { absentResource } from '../files/absent.js';
import { AccountName, PRESENCE } from './account-options.js';
import { fileResource, type ManagedFileResource } from '../files/file.js';
import { checkOptions, fail, Flag, OneOf, Options, ReadonlyArrayOf } from '../options.js';

export const SudoersOptions = Options({
  /** File name in /etc/sudoers.d: letters, digits, `_` and `-` (no dot, no trailing `~`). */
  name: Type.String({
    pattern: '^[A-Za-z0-9_-]+$',
    expected:
      'must be letters, digits, _ and - only (sudo skips files in sudoers.d whose name has a dot or ends in ~)',
  }),
  /** `present` (default) or `absent`. */
  state: Type.Optional(OneOf(PRESENCE)),
  /** The file's sudoers lines (a final newline is added when missing)… */
  content: Type.Optional(Type.String({ pattern: '\\S', expected: 'must be non-empty sudoers text' })),
  /** …or one rule: for this user… */
  user: Type.Optional(AccountName()),
  /** …or this group (`%group`)… */
  group: Type.Optional(AccountName()),
  /** …these commands (absolute paths with arguments) or `ALL`… */
  commands: Type.Optional(
    Type.Union(
      [Type.Literal('ALL'), ReadonlyArrayOf(Type.String({ pattern: '^/[^\\n\\r\\0]*$' }), { minItems: 1 })],
      { expected: 'must be "ALL" or a non-empty array of commands with absolute paths' },
    ),
  ),
  /** …as this user (`root`, `ALL`, `ALL:ALL`; default: sudo's default, root)… */
  runAs: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_%#.-]+(:[A-Za-z0-9_%#.-]+)?$',
      expected: 'must be a runas spec like "root", "ALL" or "ALL:ALL"',
    }),
  ),
  /** …without a password (`NOPASSWD:`). */
  noPassword: Type.Optional(Flag()),
});
export type SudoersOptions = Static<typeof SudoersOptions>;

export const SUDOERS_DIR = '/etc/sudoers.d';

/** sudoers(5): these characters in a command's arguments must be escaped. */
const escapeCommand = (command: string) => command.replace(/[\\,:=]/g, (c) => `\\${c}`);

/** The rule as a sudoers line: `%ops ALL=(root) NOPASSWD: /usr/bin/systemctl restart nginx`. */
export function sudoersRule(
  o: Pick<SudoersOptions, 'user' | 'group' | 'commands' | 'runAs' | 'noPassword'>,
): string {
  const who = o.user ?? `%${o.group}`;
  const commands = o.commands === 'ALL' ? 'ALL' : (o.commands ?? []).map(escapeCommand).join(', ');
  return `${who} ALL=${o.runAs ? `(${o.runAs}) ` : ''}${o.noPassword ? 'NOPASSWD: ' : ''}${commands}\n`;
}

const PRIMITIVE = 'sudoers';

/** The rules between options that their declaration cannot say: the content, or one rule. */
function checkSudoersOptions(o: SudoersOptions): void {
  checkOptions(PRIMITIVE, SudoersOptions, o);
  const rule = (['user', 'group', 'commands', 'runAs', 'noPassword'] as const).filter(
    (k) => o[k] !== undefined,
  );
  if (o.state === 'absent') {
    for (const key of ['content', ...rule] as const)
      if (o[key] !== undefined) fail(PRIMITIVE, key, 'has no meaning with state "absent"', o[key]);
    return;
  }
  if (o.content !== undefined) {
    const first = rule[0];
    if (first)
      fail(PRIMITIVE, first, 'cannot be combined with content (give the content, or one rule)', o[first]);
    return;
  }
  if ((o.user === undefined) === (o.group === undefined))
    fail(PRIMITIVE, 'user', 'or group: give exactly one (or give content)', o.user);
  if (o.commands === undefined)
    fail(
      PRIMITIVE,
      'commands',
      'must be "ALL" or a non-empty array of commands with absolute paths',
      o.commands,
    );
}

/**
 * The drop-in as a file resource: its plan is the file's typed changes (created, content, mode,
 * owner) and its apply the atomic write that runs visudo on the new content first.
 */
function sudoersFile(options: SudoersOptions, path: string): ManagedFileResource {
  const given = options.content ?? sudoersRule(options);
  const content = given.endsWith('\n') ? given : `${given}\n`;
  return fileResource({
    path,
    content,
    mode: '0440',
    owner: 'root',
    group: 'root',
    validate: 'visudo -cf %s',
  });
}

/**
 * A sudoers drop-in, checked by `visudo -cf` before it replaces the old one.
 *
 * @example
 * await sudoers(host, { name: 'ops', group: 'ops', commands: ['/usr/bin/systemctl restart nginx'], noPassword: true });
 */
export function sudoers(host: Host, options: SudoersOptions): Promise<TaskOutcome> {
  checkSudoersOptions(options);
  const path = `${SUDOERS_DIR}/${options.name}`;
  return options.state === 'absent'
    ? converge(host, absentResource({ path }))
    : converge(host, sudoersFile(options, path));
}
