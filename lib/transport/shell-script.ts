/**
 * The text written to the long-lived bash for one command: the command itself, travelling as a
 * bash `$'…'` string and run by `eval` in a subshell, then two end markers (one on stdout with the
 * exit code, one on stderr) that let the reader cut this command's output out of the streams.
 *
 * Why each part:
 * - `eval` of a quoted string rather than the command pasted into the script: a command with a
 *   syntax error (an unbalanced quote) then fails on its own with exit 2, instead of swallowing
 *   the framing that follows and wedging the session.
 * - `( … )`: `exit`, `cd`, `set -e`, traps and variables stay inside the command.
 * - `</dev/null` unless stdin is given, so a command never reads the script that follows it.
 * - stdin goes inside the script, never as an argument, so secrets do not show in `ps`: small
 *   data base64-encoded in a heredoc; large data as raw bytes right after the command's line,
 *   streamed to the command by `head -c <exact count>` (bash reads its script one byte at a time
 *   from a pipe, so `head` gets exactly those bytes and bash goes on after them). Nothing is held
 *   in a shell variable, so a 100 MB file costs no more memory on the host than a pipe buffer.
 *   Only a large stdin with a timeout still goes through a variable (the job runs in the
 *   background there, and would race bash for its input).
 * - bash prints "Killed"-style job notices on its own stderr; the command's stderr goes to fd 3
 *   (a copy of the real stderr) and bash's to /dev/null, so stderr is the command's own bytes.
 * - Timeouts are enforced by bash itself (a `sleep` racing the job with `wait -n`, the job in its
 *   own process group via `set -m` so the whole tree is killed), so no second channel is needed
 *   and the kill runs as the become user.
 */

/**
 * Above this many bytes of stdin, the heredoc (which bash reads one byte per syscall) is too slow.
 * Kept small enough that the base64 text fits a pipe buffer, so bash >= 5.1 never puts a heredoc
 * (a secret) into a temporary file.
 */
export const HEREDOC_STDIN_MAX = 32 * 1024;
/** Seconds between SIGTERM and SIGKILL when a command times out. */
export const KILL_GRACE_SECONDS = 2;
/** Exit code reported for a timed-out command, as GNU `timeout` does. */
export const TIMEOUT_EXIT_CODE = 124;

export interface FrameMarkers {
  /** Printed on stdout after the command, followed by `<exit code> <timed out 0|1>\n`. */
  stdout: string;
  /** Printed on stderr after the command. */
  stderr: string;
}

/** Markers for command number `seq` of a session whose secret is `token` (hex, unguessable). */
export function frameMarkers(token: string, seq: number): FrameMarkers {
  return { stdout: `<<NS.${token}.${seq}.out:`, stderr: `<<NS.${token}.${seq}.err>>` };
}

/** Quote any string as a bash `$'…'` word: printable ASCII stays, everything else is `\xHH`. */
export function ansiCQuote(text: string | Buffer): string {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  // One native regex pass over the bytes (as latin1: one char per byte) rather than a loop in
  // JavaScript: the batch of a role's reads is tens of KB, quoted once per host at start-up,
  // before the JIT has warmed up (issue 21: ~10 ms per host that way, under 1 ms this way).
  return `$'${bytes.toString('latin1').replace(UNSAFE_IN_ANSI_C, escapeByte)}'`;
}

const UNSAFE_IN_ANSI_C = /[^\x20-\x26\x28-\x5b\x5d-\x7e]/g;
function escapeByte(c: string): string {
  if (c === "'") return "\\'";
  if (c === '\\') return '\\\\';
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

export interface ScriptOptions {
  stdin?: Buffer;
  timeoutMs?: number;
  /** Random heredoc delimiter (must not occur as a line of base64 text: anything with `_` works). */
  delimiter: string;
}

/**
 * The bytes written to the shell for one command: the script text, with a large stdin's raw bytes
 * in the middle when it is streamed (see the header). A string when there are no raw bytes.
 */
export function buildCommandPayload(
  command: string,
  markers: FrameMarkers,
  options: ScriptOptions,
): string | Buffer {
  const { before, raw, after } = frame(command, markers, options);
  return raw ? Buffer.concat([Buffer.from(before, 'utf8'), raw, Buffer.from(after, 'utf8')]) : before + after;
}

/** The script text for one command whose stdin (if any) is not streamed raw; ends in a newline. */
export function buildCommandScript(command: string, markers: FrameMarkers, options: ScriptOptions): string {
  const payload = buildCommandPayload(command, markers, options);
  if (typeof payload !== 'string') throw new TypeError('this stdin is streamed raw: use buildCommandPayload');
  return payload;
}

function frame(
  command: string,
  markers: FrameMarkers,
  options: ScriptOptions,
): { before: string; raw?: Buffer; after: string } {
  if (command.includes('\0')) throw new TypeError('a command cannot contain a NUL byte');
  const lines: string[] = [`__ns_c=${ansiCQuote(command)}`];
  const run = '( eval "$__ns_c" ) 2>&3 3>&-';
  let job: string; // the command with its stdin, as one pipeline
  let trailer: string[] = []; // heredoc body, read by bash right after the line that opens it
  let raw: Buffer | undefined; // streamed bytes, read by `head -c` right after the job's line
  const stdin = options.stdin;
  if (!stdin) {
    job = `${run} </dev/null`;
  } else if (stdin.length <= HEREDOC_STDIN_MAX) {
    job = `base64 -d <<'${options.delimiter}' | ${run}`;
    trailer = [...base64Lines(stdin), options.delimiter];
  } else if (options.timeoutMs === undefined) {
    job = `head -c ${stdin.length} | ${run}`;
    raw = stdin;
  } else {
    // `head -c N` reads exactly N bytes of bash's own stdin (the base64 text written right after
    // this line) into a variable at pipe speed; `printf` is a builtin, so no argument holds it.
    const encoded = base64Lines(stdin).join('\n') + '\n';
    lines.push(`__ns_d=$(head -c ${Buffer.byteLength(encoded)})`, encoded.slice(0, -1));
    job = `printf '%s' "$__ns_d" | base64 -d | ${run}`;
  }
  const tail: string[] = [];
  if (options.timeoutMs === undefined) {
    lines.push(`{ ${job}; } 3>&2 2>/dev/null; __ns_rc=$? __ns_t=0`, ...trailer);
  } else {
    const seconds = (Math.max(1, Math.ceil(options.timeoutMs)) / 1000).toFixed(3);
    lines.push(
      '{',
      // set -m: the job and the sleep each get their own process group, so kill -- -PID reaches
      // everything the command started.
      `set -m; ( ${job} ) & __ns_p=$!`,
      ...trailer,
      `sleep ${seconds} & __ns_s=$!; set +m`,
      'wait -n; __ns_rc=$? __ns_t=0',
      'if kill -0 $__ns_p; then',
      `  __ns_t=1; kill -TERM -- -$__ns_p; sleep ${KILL_GRACE_SECONDS} & __ns_g=$!; wait -n; __ns_rc=$?`,
      '  if kill -0 $__ns_p; then kill -KILL -- -$__ns_p; wait $__ns_p; __ns_rc=$?; else kill $__ns_g; wait $__ns_g; fi',
      'else kill $__ns_s; wait $__ns_s; fi',
      '} 3>&2 2>/dev/null',
    );
  }
  tail.push(
    'unset __ns_c __ns_d',
    `printf '%s%d %d\\n' '${markers.stdout}' "$__ns_rc" "$__ns_t"; printf '%s' '${markers.stderr}' >&2`,
  );
  if (raw) return { before: lines.join('\n') + '\n', raw, after: tail.join('\n') + '\n' };
  return { before: [...lines, ...tail].join('\n') + '\n', after: '' };
}

function base64Lines(data: Buffer): string[] {
  const text = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 76) lines.push(text.slice(i, i + 76));
  return lines;
}
