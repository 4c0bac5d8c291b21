/**
 * A wait for something on the host (a port, a path, a command) polls ON the host, in one
 * shell loop sent as one command: one round trip however long it waits, instead of one per poll.
 * The loop keeps its own deadline; the transport's timeout (a little later) is the backstop for a
 * check that hangs.
 */
import { quotePosix } from '../../lib/shell/quote.js';
import { commandText, type CommandSpec } from './command-line.js';

/** Exit code of the loop when the deadline passed (the check's own codes never escape it). */
export const WAIT_TIMED_OUT = 3;
/** Longest a single TCP connect attempt may take before it counts as "not open". */
const CONNECT_TIMEOUT_S = 2;

/** A shell condition: succeeds when the awaited state holds. */
export function portCheck(address: string, port: number, state: 'open' | 'closed'): string {
  // bash's /dev/tcp connects from the host itself; `timeout` bounds a filtered (silent) port.
  const open = `timeout ${CONNECT_TIMEOUT_S} bash -c ${quotePosix(`: </dev/tcp/${address}/${port}`)} 2>/dev/null`;
  return state === 'open' ? open : `! ${open}`;
}

export function pathCheck(path: string, state: 'present' | 'absent'): string {
  const q = quotePosix(path);
  return state === 'present' ? `{ [ -e ${q} ] || [ -L ${q} ]; }` : `{ [ ! -e ${q} ] && [ ! -L ${q} ]; }`;
}

/** The command's output is kept, so a timeout can say what it last answered. */
export function commandCheck(spec: CommandSpec): string {
  return `__ns_o=$( ( ${commandText(spec)} ) 2>&1 </dev/null )`;
}

/**
 * The loop: check, and on success exit 0; past the deadline print the last command output (if
 * any) and exit WAIT_TIMED_OUT; else sleep the interval. Milliseconds from GNU date's %N.
 */
export function pollScript(check: string, timeoutMs: number, intervalMs: number): string {
  const interval = (Math.max(1, Math.round(intervalMs)) / 1000).toFixed(3);
  return [
    '__ns_ms() { echo $(( $(date +%s%N) / 1000000 )); }',
    `__ns_end=$(( $(__ns_ms) + ${Math.round(timeoutMs)} ))`,
    '__ns_o=',
    'while :; do',
    `  if ${check}; then exit 0; fi`,
    `  if [ "$(__ns_ms)" -ge "$__ns_end" ]; then printf '%s' "$__ns_o" | tail -c 2000; exit ${WAIT_TIMED_OUT}; fi`,
    `  sleep ${interval}`,
    'done',
  ].join('\n');
}
