/**
 * The command that starts a connection's long-lived shell: bash, or bash under sudo when the
 * target has `become`. The shell prints a one-off ready marker before it reads the first script,
 * which is how the session knows that sudo has let it in (or that no password was needed).
 */
import { randomBytes } from 'node:crypto';
import type { BecomeOptions } from './types.js';

export interface ShellLaunch {
  /** argv: run directly for local, joined with `shellJoin` for an SSH exec request. */
  argv: string[];
  /** Printed once on stdout when the shell is up. */
  readyMarker: string;
  /** sudo's prompt on stderr; when it shows, the password is wanted (a second time: it was wrong). */
  sudoPrompt?: string;
  /** The become user, for messages. */
  becomeUser?: string;
}

const BASH = ['bash', '--noprofile', '--norc'];

/**
 * The shell's life is tied to the controller's: the shell reads its scripts not from the channel
 * but through a relay (`cat`). When the channel's input ends, the relay gives the shell a second
 * to finish on its own (a clean close sends `exit` last) and otherwise kills the shell's whole
 * process group: a controller killed mid-command, or an SSH connection dropped, stops the command
 * in flight instead of letting it finish unrecorded. After a clean close the shell is gone before
 * that, so what commands left running on purpose survives, as before. `$$` in the relay is the
 * shell's PID (the `exec` keeps it). Not covered: a command with a timeout runs in a process group
 * of its own (so that its timeout can kill it) and is ended by its timeout, not by the relay.
 */
const LIFELINE =
  'exec 9< <(exec 2>/dev/null; cat; for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 $$ || exit 0; sleep 0.1; done; kill -KILL 0)';
const SAFE_USER = /^[A-Za-z0-9_][A-Za-z0-9_.@-]*\$?$/;

/** How to start the shell; `become` undefined (or the login user) means plain bash. */
export function shellLaunch(become?: BecomeOptions): ShellLaunch {
  const readyMarker = `<<NS.ready.${randomBytes(12).toString('hex')}>>`;
  // The ready marker is visible in `ps` for a moment; it is single-use and unrelated to the
  // per-session framing token, so seeing it gives nothing away.
  const inner = [
    ...BASH,
    '-c',
    `${LIFELINE}; printf '%s\\n' '${readyMarker}'; exec ${BASH.join(' ')} <&9 9<&-`,
  ];
  if (!become) return { argv: inner, readyMarker };
  if (!SAFE_USER.test(become.user))
    throw new TypeError(`invalid become user name: ${JSON.stringify(become.user)}`);
  if (become.password === undefined) {
    // -n: fail at once with "a password is required" rather than wait for one.
    return {
      argv: ['sudo', '-H', '-S', '-n', '-u', become.user, '--', ...inner],
      readyMarker,
      becomeUser: become.user,
    };
  }
  const sudoPrompt = `[novastation sudo ${randomBytes(6).toString('hex')}] password:`;
  return {
    argv: ['sudo', '-H', '-S', '-p', sudoPrompt, '-u', become.user, '--', ...inner],
    readyMarker,
    sudoPrompt,
    becomeUser: become.user,
  };
}

/** POSIX shell quoting, for the command string of an SSH exec request. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}
