/**
 * Everything a file primitive needs to know about a path, in ONE round trip: type, mode, owner,
 * size, SHA-256 or link target, the content when it is needed (for an edit, or for a diff when it
 * differs), and the temps a killed write left beside it. `fileProbeScript` is the command,
 * `parseFileProbe` a pure parser of its output (unit-tested on captured output).
 *
 * Output, one record per line (paths with a newline are refused by the option checks):
 *   stray <path>              a temp left by a killed write (`.<base>.ns-XXXXXXXX~`)
 *   absent                    nothing at the path (last line)
 *   stat <%F|%a|%u|%g|%U|%G|%s>
 *   link <target>             for a symlink
 *   sha256 <hex>              for a regular file (unless the content is sent whole)
 *   content <base64>          the content, when asked for
 *   content-omitted <bytes>   asked for, but larger than the limit
 *   <anything else>           lines of the caller's `extra` script, handed back in `extra`
 */
import { createHash } from 'node:crypto';
import type { Host } from '../../lib/host/host.js';
import {
  LINK_TARGET_SCRIPT,
  STAT_LINE_SCRIPT,
  statFromLine,
  statHint,
  type FileStat,
} from '../../lib/host/stat.js';
import { quotePosix } from '../../lib/shell/quote.js';

export interface FileProbeOptions {
  /** Send the content back: never (default), always (edits), or only when it differs (diffs). */
  content?: 'never' | 'always' | { unlessSha256: string };
  /** Content larger than this is not sent (default 1 MiB). */
  maxContentBytes?: number;
  /** More shell run after the stat lines when the path exists (`$p` is the path); its lines go to `extra`. */
  extra?: string;
}

export interface FileProbe {
  stat: FileStat | null;
  /** The content, when asked for and not over the limit. */
  content?: Buffer;
  /** Set when the content was asked for but is over the limit: its size. */
  contentOmitted?: number;
  /** Temps of killed writes beside the path. */
  strays: string[];
  /** Output lines of the `extra` script. */
  extra: string[];
}

export const DEFAULT_MAX_CONTENT = 1 << 20;

/**
 * A path known only on the host (in a user's home): `word` is the shell word that gives it
 * (`"$h"/.ssh`), `likely` the absolute path it most likely is. `likely` gets the stat hint, so a
 * prefetched batch stats it ahead: when it is the path, the probe reads the batch's answer, else
 * it runs its own `stat` (a process) as without a batch. Either way it probes the real path.
 */
export interface HostPath {
  word: string;
  likely?: string;
}

export function fileProbeScript(path: string | HostPath, options: FileProbeOptions = {}): string {
  const content = options.content ?? 'never';
  const max = options.maxContentBytes ?? DEFAULT_MAX_CONTENT;
  // Few processes: every fork costs milliseconds on a busy host. `size` comes from the stat line.
  const send = `if [ "$size" -gt ${max} ]; then echo "content-omitted $size"; else printf 'content '; base64 -w0 < "$p"; echo; fi`;
  const regular =
    content === 'never'
      ? `printf 'sha256 '; sha256sum < "$p"`
      : content === 'always'
        ? send
        : `sum=$(sha256sum < "$p"); sum=\${sum%% *}; echo "sha256 $sum"; if [ "$sum" != ${quotePosix(content.unlessSha256)} ]; then ${send}; fi`;
  // A small file is read by the shell itself and hashed on the controller: no process at all.
  const keep = content === 'never' ? 'never' : content === 'always' ? 'always' : content.unlessSha256;
  const rawMax = content === 'always' ? Math.min(RAW_MAX_BYTES, max) : RAW_MAX_BYTES;
  return [
    // No dirname/basename processes; a path without a slash (relative to a folder a caller cd'd into) is in `.`.
    `p=${typeof path === 'string' ? quotePosix(path) : path.word}; case $p in */*) d=\${p%/*} ;; *) d=. ;; esac; b=\${p##*/}`,
    statHint(typeof path === 'string' ? path : (path.likely ?? '')),
    RAW_READ_FUNCTION,
    `for s in "$d/.$b.ns-"????????"~"; do if [ -e "$s" ] || [ -L "$s" ]; then printf 'stray %s\\n' "$s"; fi; done`,
    // No `exit`: callers run several probes in one shell without a subshell (a fork) around each.
    `if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo absent; else`,
    STAT_LINE_SCRIPT,
    `echo "stat $st"; size=\${st##*|}`,
    `if [ -L "$p" ]; then ${LINK_TARGET_SCRIPT}; printf 'link %s\\n' "$lt"`,
    `elif [ -f "$p" ]; then if [ "$size" -gt ${rawMax} ] || ! __ns_raw "$p" "$size" ${quotePosix(keep)}; then ${regular}; fi; fi`,
    ...(options.extra ? [options.extra] : []),
    'fi',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

/** Files up to this size are read by the shell's `read` builtin and sent as they are. */
export const RAW_MAX_BYTES = 64 * 1024;

/**
 * `__ns_raw PATH SIZE KEEP`: the file's bytes read by bash itself (no process), in the C locale so
 * that `${#c}` counts bytes; sent as `content-raw SIZE KEEP`, a newline, the bytes, a newline. It
 * refuses (status 1, nothing printed) when the count differs from the size stat gave: a NUL byte
 * (which `read` cannot hold) or a file that changed meanwhile; the caller then uses sha256sum/base64.
 */
const RAW_READ_FUNCTION = [
  '__ns_raw() { local LC_ALL=C c=',
  '{ IFS= read -r -d \'\' c; } < "$1" 2>/dev/null',
  '[ "${#c}" = "$2" ] || return 1',
  'printf \'content-raw %s %s\\n%s\\n\' "$2" "$3" "$c"; }',
].join('\n');

/** One line of probe output; a `content-raw` line carries the bytes that followed it. */
export interface ProbeLine {
  line: string;
  raw?: Buffer;
}

/** The probe's output as lines, the raw bytes of `content-raw` records cut out by their length. */
export function probeLines(stdout: string | Buffer): ProbeLine[] {
  const buf = typeof stdout === 'string' ? Buffer.from(stdout, 'utf8') : stdout;
  const lines: ProbeLine[] = [];
  let i = 0;
  while (i < buf.length) {
    let nl = buf.indexOf(0x0a, i);
    if (nl < 0) nl = buf.length;
    const line = buf.toString('utf8', i, nl);
    i = nl + 1;
    const raw = /^content-raw (\d+) /.exec(line);
    if (raw) {
      const end = i + Number(raw[1]);
      if (end > buf.length || (end < buf.length && buf[end] !== 0x0a))
        throw new Error(`probe output: ${line} is not followed by that many bytes and a newline`);
      lines.push({ line, raw: buf.subarray(i, end) });
      i = end + 1;
    } else lines.push({ line });
  }
  return lines;
}

export function parseFileProbe(path: string, stdout: string | Buffer | readonly ProbeLine[]): FileProbe {
  const probe: FileProbe = { stat: null, strays: [], extra: [] };
  let sha256: string | undefined;
  let linkTarget: string | undefined;
  let statLine: string | undefined;
  for (const { line, raw } of Array.isArray(stdout) ? stdout : probeLines(stdout as string | Buffer)) {
    if (line === '') continue;
    const space = line.indexOf(' ');
    const tag = space === -1 ? line : line.slice(0, space);
    const rest = space === -1 ? '' : line.slice(space + 1);
    if (tag === 'stray') probe.strays.push(rest);
    else if (tag === 'absent') statLine = undefined;
    else if (tag === 'stat') statLine = rest;
    else if (tag === 'link') linkTarget = rest;
    else if (tag === 'sha256') sha256 = rest.split(' ')[0];
    else if (tag === 'content') probe.content = Buffer.from(rest, 'base64');
    else if (tag === 'content-omitted') probe.contentOmitted = Number(rest);
    else if (tag === 'content-raw' && raw) {
      // Hashed here; the bytes are kept only where the live probe would have sent them.
      sha256 = createHash('sha256').update(raw).digest('hex');
      const keep = rest.slice(rest.indexOf(' ') + 1);
      if (keep === 'always' || (keep !== 'never' && keep !== sha256)) probe.content = Buffer.from(raw);
    } else probe.extra.push(line);
  }
  if (statLine === undefined) return probe;
  const type = statFromLine(path, statLine).type;
  if (type === 'file' && probe.content && sha256 === undefined)
    sha256 = createHash('sha256').update(probe.content).digest('hex');
  probe.stat = statFromLine(path, statLine, {
    ...(sha256 !== undefined ? { sha256 } : {}),
    ...(linkTarget !== undefined ? { linkTarget } : {}),
  });
  return probe;
}

/**
 * A script as a command for `host.probe(...)` / `host.$(...)`, run by the session's shell itself
 * (no `sh -c` process). Only for scripts whose every value went through quotePosix, as all the
 * scripts of the file primitives do.
 */
export function script(text: string): TemplateStringsArray {
  return Object.assign([text], { raw: [text] }) as unknown as TemplateStringsArray;
}

/** Run the probe (a read-only command: it runs in check mode too). */
export async function probeFile(
  host: Host,
  path: string,
  options: FileProbeOptions = {},
): Promise<FileProbe> {
  // In-shell safe: the script only sets its own variables and a function (see fileProbeScript).
  const result = await host.probe({ inShell: true })(script(fileProbeScript(path, options)));
  return parseFileProbe(path, result.stdoutBytes ?? result.stdout);
}
