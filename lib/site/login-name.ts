/**
 * Login names that work as a Linux account and a Windows local account alike, so one person has
 * one name on every VM and in Guacamole.
 *
 * - Linux: Debian's adduser NAME_REGEX `^[a-z][-a-z0-9_]*$`, at most 32 characters (useradd).
 * - Windows: at most 20 characters, none of `" / \ [ ] : ; | = , + * ? < > @`, not only dots
 *   or spaces; names compare case-insensitively, so lower case only keeps the two worlds equal.
 * The intersection: a lower-case letter, then up to 19 of `a-z 0-9 _ -`.
 */
export const LOGIN_NAME_PATTERN = '^[a-z][a-z0-9_-]{0,19}$';
const LOGIN_NAME = new RegExp(LOGIN_NAME_PATTERN);

/**
 * Names an existing system or built-in account already has on one side or the other: managing
 * them as a site user would take over (or lock) that account.
 */
const RESERVED = new Set([
  // Windows built-in accounts and well-known names.
  'administrator',
  'guest',
  'defaultaccount',
  'wdagutilityaccount',
  'system',
  // Debian/Ubuntu system accounts (base-passwd and the packages the site installs).
  'root',
  'daemon',
  'bin',
  'sys',
  'sync',
  'games',
  'man',
  'lp',
  'mail',
  'news',
  'uucp',
  'proxy',
  'www-data',
  'backup',
  'list',
  'irc',
  'gnats',
  'nobody',
  'sshd',
  'messagebus',
  'xrdp',
  'polkitd',
  'colord',
  'syslog',
  'postgres',
  'guacd',
  'docker',
]);

/** Why `name` cannot be a site login, or undefined when it can. */
export function loginNameProblem(name: string): string | undefined {
  if (!LOGIN_NAME.test(name))
    return 'is not a valid login name on both Linux and Windows: a lower-case letter, then up to 19 lower-case letters, digits, _ or -';
  if (RESERVED.has(name) || name.startsWith('systemd-') || name.startsWith('_'))
    return 'is the name of a system or built-in account on Linux or Windows';
  return undefined;
}
