/**
 * `sudoers`: a drop-in file `/etc/sudoers.d/<name>`, mode 0440, owned by root, written through
 * the file primitive with `validate: 'visudo -cf %s'`: the new content is checked on the temp file
 * before the rename, and a file visudo refuses never replaces the old one (a broken sudoers file
 * would lock every admin out of sudo). Give the content, or one rule to render.
 *
 * The name is checked because sudo's `@includedir` silently skips names containing a `.` or
 * ending in `~`: a file called `ops.conf` would be written and never read.
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Resource } from '../../lib/resource.js';
import { absentResource } from '../files/absent.js';
import { checkAccountName } from './account-options.js';
import { fileResource } from '../files/file.js';
import { checkBoolean, checkObject, checkOneOf, fail } from '../options.js';

export interface SudoersOptions {
  /** File name in /etc/sudoers.d: letters, digits, `_` and `-` (no dot, no trailing `~`). */
  name: string;
  /** `present` (default) or `absent`. */
  state?: 'present' | 'absent';
  /** The file's sudoers lines (a final newline is added when missing)… */
  content?: string;
  /** …or one rule: for this user… */
  user?: string;
  /** …or this group (`%group`)… */
  group?: string;
  /** …these commands (absolute paths with arguments) or `ALL`… */
  commands?: 'ALL' | readonly string[];
  /** …as this user (`root`, `ALL`, `ALL:ALL`; default: sudo's default, root)… */
  runAs?: string;
  /** …without a password (`NOPASSWD:`). */
  noPassword?: boolean;
}

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

function checkSudoersOptions(o: SudoersOptions): void {
  const p = 'sudoers';
  checkObject(p, o);
  if (typeof o.name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(o.name)) {
    fail(
      p,
      'name',
      'must be letters, digits, _ and - only (sudo skips files in sudoers.d whose name has a dot or ends in ~)',
      o.name,
    );
  }
  checkOneOf(p, 'state', o.state, ['present', 'absent']);
  const rule = (['user', 'group', 'commands', 'runAs', 'noPassword'] as const).filter(
    (k) => o[k] !== undefined,
  );
  if (o.state === 'absent') {
    for (const key of ['content', ...rule] as const)
      if (o[key] !== undefined) fail(p, key, 'has no meaning with state "absent"', o[key]);
    return;
  }
  if (o.content !== undefined) {
    if (typeof o.content !== 'string' || o.content.trim() === '')
      fail(p, 'content', 'must be non-empty sudoers text', o.content);
    if (rule.length)
      fail(
        p,
        rule[0] ?? '',
        'cannot be combined with content (give the content, or one rule)',
        o[rule[0] ?? 'user'],
      );
    return;
  }
  if ((o.user === undefined) === (o.group === undefined))
    fail(p, 'user', 'or group: give exactly one (or give content)', o.user);
  if (o.user !== undefined) checkAccountName(p, 'user', o.user);
  if (o.group !== undefined) checkAccountName(p, 'group', o.group);
  if (
    o.runAs !== undefined &&
    (typeof o.runAs !== 'string' || !/^[A-Za-z0-9_%#.-]+(:[A-Za-z0-9_%#.-]+)?$/.test(o.runAs))
  ) {
    fail(p, 'runAs', 'must be a runas spec like "root", "ALL" or "ALL:ALL"', o.runAs);
  }
  checkBoolean(p, 'noPassword', o.noPassword);
  const c = o.commands;
  if (
    c !== 'ALL' &&
    (!Array.isArray(c) ||
      c.length === 0 ||
      c.some((x) => typeof x !== 'string' || !x.startsWith('/') || /[\n\r\0]/.test(x)))
  ) {
    fail(p, 'commands', 'must be "ALL" or a non-empty array of commands with absolute paths', c);
  }
}

export function sudoersResource(options: SudoersOptions): Resource<unknown> {
  checkSudoersOptions(options);
  const path = `${SUDOERS_DIR}/${options.name}`;
  if (options.state === 'absent') return absentResource({ path }) as Resource<unknown>;
  const given = options.content ?? sudoersRule(options);
  const content = given.endsWith('\n') ? given : `${given}\n`;
  return fileResource({
    path,
    content,
    mode: '0440',
    owner: 'root',
    group: 'root',
    validate: 'visudo -cf %s',
  }) as Resource<unknown>;
}

/**
 * A sudoers drop-in, checked by `visudo -cf` before it replaces the old one.
 *
 * @example
 * await sudoers(host, { name: 'ops', group: 'ops', commands: ['/usr/bin/systemctl restart nginx'], noPassword: true });
 */
export function sudoers(host: Host, options: SudoersOptions): Promise<TaskOutcome> {
  return converge(host, sudoersResource(options));
}
