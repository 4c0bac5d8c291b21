/**
 * `sysctl`: kernel settings in `/etc/sysctl.d/<name>.conf` (`key = value` lines, applied at boot
 * by systemd-sysctl) AND, unless `live: false`, the running kernel's values.
 *
 * One read round trip: the file's probe and every key's live value (`/proc/sys/<key with dots as
 * slashes>`) in one script. Then one atomic write for the file and one script that writes each
 * differing live value into its /proc/sys file and reads it back: the kernel may refuse a value
 * (EINVAL) or keep another (clamping), and either is a failure, not a quiet "changed". A
 * read-only /proc/sys (a container, like our test hosts) makes the live step fail with the reason;
 * `sysctl -w` is not used because its exit status and messages vary between procps versions, and a
 * plain write behaves the same against `procRoot`, the stand-in folder tests point it at.
 *
 * The file is written before the live values, so where they cannot be set (a container) the
 * setting still applies at the next boot; the task fails all the same, naming the keys.
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';
import { quotePosix } from '../../lib/shell/quote.js';
import {
  applyParts,
  bindPart,
  diffParts,
  fileState,
  fixedContentProbe,
  planParts,
  probeFiles,
  type Part,
} from '../files/file-parts.js';
import { managedFileResource } from '../files/file.js';
import { AbsolutePath, checkOptions, fail, Flag, Options } from '../options.js';

export const SysctlOptions = Options({
  /** The file `/etc/sysctl.d/<name>.conf` (e.g. `60-forwarding`); it holds exactly `settings`. */
  name: Type.String({
    pattern: '^(?!.*\\.conf$)[A-Za-z0-9_][A-Za-z0-9_.-]*$',
    expected: 'must be a file name without ".conf" (letters, digits, _ . -), like "60-forwarding"',
  }),
  /** `net.ipv4.ip_forward: 1`; keys in dotted or slash form (`net/ipv4/conf/eth0.10/forwarding`). */
  settings: Type.Record(
    Type.String(),
    Type.Union([Type.Number(), Type.String({ pattern: '^[^\\n\\r\\0]*\\S[^\\n\\r\\0]*$' })], {
      expected: 'must be a number or a non-empty one-line string',
    }),
    { minProperties: 1, expected: 'must be a non-empty object of key → value' },
  ),
  /** Also set the running kernel's values (default true). */
  live: Type.Optional(Flag()),
  /** Where live values are read and written; default `/proc/sys`. Tests point it at a stand-in folder. */
  procRoot: Type.Optional(AbsolutePath()),
});
export type SysctlOptions = Static<typeof SysctlOptions>;

/** A running kernel value to set, as data: apply writes `key`; the line shows it. */
export type LiveChange = Change<`live ${string}`> & { kind: 'live'; key: string };

export const SYSCTL_DIR = '/etc/sysctl.d';

/** What a live value read found. */
export type LiveValue = { value: string } | { missing: true } | { error: string };

export interface SysctlState {
  parts: Part[];
}

/** The kernel prints several fields separated by tabs; compare whitespace-insensitively. */
export const normalizeValue = (v: string | number) => String(v).trim().split(/\s+/).join(' ');

/** `net.ipv4.ip_forward` → `net/ipv4/ip_forward`; a key with a slash is already a path (dots in it are literal). */
export const keyPath = (key: string) => (key.includes('/') ? key : key.replace(/\./g, '/'));

const KEY_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.:@+-]*$/;

/** The options' shapes are SysctlOptions'; a key's segments are checked here. */
function checkSysctlOptions(o: SysctlOptions): void {
  checkOptions('sysctl', SysctlOptions, o);
  for (const key of Object.keys(o.settings)) {
    const segments = keyPath(key).split('/');
    const dotted = !key.includes('/');
    if (segments.some((s) => !KEY_SEGMENT.test(s) || (dotted && s.includes('.'))))
      fail('sysctl', `settings key`, 'must be a sysctl key like "net.ipv4.ip_forward"', key);
  }
}

/** The file's content: a header and one `key = value` line per setting, in the given order. */
export function sysctlFileContent(name: string, settings: Record<string, string | number>): string {
  const lines = Object.entries(settings).map(([k, v]) => `${k} = ${normalizeValue(v)}`);
  return `# Managed by NovaStation (sysctl ${name}); changes here are overwritten.\n${lines.join('\n')}\n`;
}

/** Reads each key's live value; output `live|live-missing|live-error <index> [text]`. */
export function liveProbeScript(root: string, keys: readonly string[]): string {
  return keys
    .map((key, i) =>
      [
        `f=${quotePosix(`${root}/${keyPath(key)}`)}`,
        `if [ ! -f "$f" ]; then echo 'live-missing ${i}'`,
        // One process per key (cat); whitespace is folded by bash, squeezed by normalizeValue.
        `elif v=$(cat -- "$f" 2>&1); then printf 'live ${i} %s\\n' "\${v//[[:space:]]/ }"`,
        `else printf 'live-error ${i} %s\\n' "\${v//$'\\n'/ }"; fi`,
      ].join('\n'),
    )
    .join('\n');
}

export function parseLiveProbe(keys: readonly string[], lines: readonly string[]): LiveValue[] {
  const values: LiveValue[] = keys.map(() => ({ error: 'not read' }));
  for (const line of lines) {
    const m = /^(live|live-missing|live-error) (\d+) ?(.*)$/.exec(line);
    if (!m) continue;
    const i = Number(m[2]);
    const text = m[3] ?? '';
    values[i] =
      m[1] === 'live'
        ? { value: normalizeValue(text) }
        : m[1] === 'live-missing'
          ? { missing: true }
          : { error: text.trim() };
  }
  return values;
}

/** The live changes, as data (pure). */
export function planLive(
  settings: Record<string, string | number>,
  live: readonly LiveValue[],
): LiveChange[] {
  return Object.entries(settings).flatMap(([key, wanted], i): LiveChange[] => {
    const to = normalizeValue(wanted);
    const have = live[i] ?? { error: 'not read' };
    if ('value' in have && have.value === to) return [];
    const from =
      'value' in have ? have.value : 'missing' in have ? '(no such key)' : `(unreadable: ${have.error})`;
    return [{ kind: 'live', key, field: `live ${key}`, from, to }];
  });
}

/** Writes each changed key and reads it back; prints `fail|kept <index> <text>` for each that did not take. */
export function liveWriteScript(
  root: string,
  settings: Record<string, string | number>,
  changed: ReadonlySet<string>,
): string {
  const lines = ['rc=0'];
  Object.entries(settings).forEach(([key, value], i) => {
    if (!changed.has(key)) return;
    const want = normalizeValue(value);
    lines.push(
      `f=${quotePosix(`${root}/${keyPath(key)}`)}; want=${quotePosix(want)}`,
      `if [ ! -f "$f" ]; then echo 'fail ${i} no such key'; rc=1`,
      `elif ! err=$( { printf '%s\\n' "$want" > "$f"; } 2>&1 ); then printf 'fail ${i} %s\\n' "$(printf '%s' "$err" | tr '\\n' ' ')"; rc=1`,
      // Write-only keys (vm.drop_caches) cannot be read back; the others must read back as written.
      `elif got=$(cat -- "$f" 2>/dev/null) && [ "$(printf '%s' "$got" | tr -s '[:space:]' ' ' | sed 's/^ //; s/ $//')" != "$want" ]; then printf 'kept ${i} %s\\n' "$(printf '%s' "$got" | tr -s '[:space:]' ' ')"; rc=1`,
      'fi',
    );
  });
  lines.push('exit $rc');
  return lines.join('\n');
}

/** The error for a live write that did not take, naming each key and why. */
export function liveWriteError(
  name: string,
  file: string,
  settings: Record<string, string | number>,
  stdout: string,
  stderr: string,
): Error {
  const keys = Object.keys(settings);
  const problems = stdout
    .split('\n')
    .map((line) => /^(fail|kept) (\d+) ?(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const key = keys[Number(m[2])] ?? `#${m[2]}`;
      return m[1] === 'kept' ? `${key}: the kernel kept ${m[3]?.trim()}` : `${key}: ${m[3]?.trim()}`;
    });
  const readOnly = problems.some((p) => /read-only file system/i.test(p));
  return new Error(
    `sysctl ${name}: live value${problems.length === 1 ? '' : 's'} not set:\n  ${(problems.length ? problems : [stderr.trim() || 'unknown error']).join('\n  ')}` +
      (readOnly
        ? `\n(/proc/sys is read-only here, as in a container: ${file} is in place and applies at boot; use live: false to manage only the file)`
        : ''),
  );
}

export function sysctlResource(options: SysctlOptions): Resource<SysctlState> {
  checkSysctlOptions(options);
  const { name, settings } = options;
  const live = options.live !== false;
  const root = options.procRoot ?? '/proc/sys';
  const path = `${SYSCTL_DIR}/${name}.conf`;
  const keys = Object.keys(settings);
  const content = Buffer.from(sysctlFileContent(name, settings), 'utf8');
  const file = managedFileResource({
    id: `sysctl ${path}`,
    path,
    attributes: { mode: '0644', owner: 'root', group: 'root' },
    sensitive: false,
    content,
  });
  return {
    id: `sysctl ${name}`,
    async read(host) {
      const probe = await probeFiles(
        host,
        {
          parts: [{ path, options: fixedContentProbe(content) }],
          ...(live ? { tail: liveProbeScript(root, keys) } : {}),
        },
        [path],
      );
      const [fileProbe] = probe.probes;
      if (!fileProbe) throw new Error(`sysctl ${name}: the probe returned no file state`);
      const parts: Part[] = [bindPart(path, file, fileState(`sysctl ${path}`, fileProbe, content))];
      if (live) {
        const values = parseLiveProbe(keys, probe.tail);
        parts.push({
          label: '',
          plan: () => planLive(settings, values),
          async apply(host) {
            // The same plan, typed (the part's changes reach apply as plain changes).
            const changed = new Set(planLive(settings, values).map((c) => c.key));
            const r = await host.$({ nothrow: true })`eval ${liveWriteScript(root, settings, changed)}`;
            if (r.exitCode !== 0) throw liveWriteError(name, path, settings, r.stdout, r.stderr);
          },
        });
      }
      return { parts };
    },
    plan: (s) => planParts(s.parts),
    apply: (host, s) => applyParts(host, s.parts),
    diff: (s) => diffParts(s.parts),
  };
}

/**
 * Kernel settings in /etc/sysctl.d/<name>.conf and in the running kernel.
 *
 * @example
 * await sysctl(host, { name: '60-forwarding', settings: { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1 } });
 */
export function sysctl(host: Host, options: SysctlOptions): Promise<TaskOutcome> {
  return converge(host, sysctlResource(options));
}
