/**
 * Primitives made of several managed things — a sysctl file plus live values, two kernel-module
 * files plus their folders, `~/.ssh` plus `authorized_keys` — read in ONE round trip and planned
 * and applied part by part with the parts' own resources (file, directory, absent).
 *
 * `filesProbeScript` runs tasks/files/file-probe.ts's probe for each path (no subshell around each: a
 * fork costs milliseconds on a busy host, and the probe has no `exit`), separated by marker lines, after an optional preamble
 * and before an optional tail of the caller's own reads; `parseFilesProbe` splits the output and
 * parses each part with `parseFileProbe`. A part's path may be one the preamble finds on the host
 * (a HostPath in a user's home), or relative to a folder the preamble `cd`s into; the caller
 * names the absolute path when parsing.
 */
import { createHash } from 'node:crypto';
import type { CommandOptions } from '../../lib/host/command.js';
import type { Host } from '../../lib/host/host.js';
import type { Change, Resource } from '../../lib/resource.js';
import { EDIT_MAX_BYTES, type ManagedFileState } from './file.js';
import {
  fileProbeScript,
  parseFileProbe,
  probeLines,
  type FileProbe,
  type FileProbeOptions,
  type HostPath,
  type ProbeLine,
} from './file-probe.js';

const PART = '@@ns-part';
const TAIL = '@@ns-tail';

export interface ProbedPath {
  /** Absolute, relative to the folder the preamble changed into, or one the preamble found (HostPath). */
  path: string | HostPath;
  options?: FileProbeOptions;
}

export interface FilesProbeScript {
  /**
   * Shell run first; its output lines are handed back in `head`. It may `exit 0` to end the probe
   * (or `return 0`, when the caller wraps the script in a function to run it inShell).
   */
  preamble?: string;
  parts: ProbedPath[];
  /** Shell run last; its output lines are handed back in `tail`. */
  tail?: string;
}

export interface FilesProbe {
  head: string[];
  /** One per part, in order; missing when the preamble ended the probe early. */
  probes: FileProbe[];
  tail: string[];
}

export function filesProbeScript(s: FilesProbeScript): string {
  const lines: string[] = [];
  if (s.preamble) lines.push(s.preamble);
  s.parts.forEach((p, i) => lines.push(`echo '${PART} ${i}'`, fileProbeScript(p.path, p.options)));
  if (s.tail) lines.push(`echo '${TAIL}'`, s.tail);
  return lines.join('\n');
}

/** Splits the output at the markers; `paths` are the absolute paths of the parts, in order. */
export function parseFilesProbe(paths: readonly string[], stdout: string | Buffer): FilesProbe {
  const head: string[] = [];
  const tail: string[] = [];
  const chunks: ProbeLine[][] = [];
  let into: ProbeLine[] | string[] = head;
  for (const l of probeLines(stdout)) {
    if (l.line.startsWith(`${PART} `)) {
      const chunk: ProbeLine[] = [];
      chunks.push(chunk);
      into = chunk;
    } else if (l.line === TAIL) into = tail;
    else if (into === head || into === tail) {
      if (l.line !== '') (into as string[]).push(l.line);
    } else (into as ProbeLine[]).push(l);
  }
  if (chunks.length > 0 && chunks.length !== paths.length)
    throw new Error(`probe output has ${chunks.length} parts, expected ${paths.length}`);
  const probes = chunks.map((chunk, i) => parseFileProbe(paths[i] ?? '', chunk));
  return { head, probes, tail };
}

/** Runs the probe (read-only: it runs in check mode too); `options` carries stdin for the caller's reads. */
export async function probeFiles(
  host: Host,
  s: FilesProbeScript,
  paths: readonly string[],
  options?: CommandOptions,
): Promise<FilesProbe> {
  // Without the caller's preamble and tail, the script is only file probes: safe in the shell itself.
  const inShell = !s.preamble && !s.tail;
  const run = host.probe({ ...options, ...(inShell ? { inShell } : {}) });
  const result = await run`eval ${filesProbeScript(s)}`;
  return parseFilesProbe(paths, result.stdoutBytes ?? result.stdout);
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Probe options for a file of fixed content: its old content comes back only when it differs (for the diff). */
export function fixedContentProbe(content: Buffer): FileProbeOptions {
  return { content: { unlessSha256: sha256(content) } };
}

/** Refuse to manage a path that is not a regular file (a symlink may point anywhere). */
function checkRegular(id: string, probe: FileProbe): void {
  const st = probe.stat;
  if (st && st.type !== 'file') {
    throw new Error(
      `${id}: ${st.path} is a ${st.type === 'symlink' ? `symlink (to ${st.linkTarget}); manage its target instead` : st.type}, not a regular file`,
    );
  }
}

/** The state `managedFileResource` would read for fixed content, from a probe made elsewhere. */
export function fileState(id: string, probe: FileProbe, content: Buffer): ManagedFileState {
  checkRegular(id, probe);
  return { probe, next: content, nextSha256: sha256(content) };
}

/** The state `managedFileResource` would read for an edit (the probe must have fetched the content). */
export function editState(
  id: string,
  probe: FileProbe,
  edit: (current: Buffer | null) => Buffer | null,
): ManagedFileState {
  checkRegular(id, probe);
  const st = probe.stat;
  if (st && !probe.content)
    throw new Error(
      `${id}: ${st.path} is ${st.size} bytes, more than the ${EDIT_MAX_BYTES >> 20} MiB an edit reads`,
    );
  const next = edit(st ? (probe.content ?? null) : null);
  return { probe, next, ...(next ? { nextSha256: sha256(next) } : {}) };
}

/** One managed thing of a composite primitive, with the state read for it. */
export interface Part {
  /** Prefixes its change fields: `/etc/sysctl.d/99-x.conf content …`, `live net.ipv4.ip_forward 0 → 1`. */
  label: string;
  plan(): Change[];
  apply(host: Host, changes: Change[]): Promise<void>;
  diff?(): string | undefined;
}

/** A part driven by an existing resource's plan/apply/diff (its read is replaced by the shared probe). */
export function bindPart<S>(
  label: string,
  resource: Pick<Resource<S>, 'plan' | 'apply' | 'diff'>,
  state: S,
): Part {
  return {
    label,
    plan: () => resource.plan(state),
    apply: (host, changes) => resource.apply(host, state, changes),
    diff: () => resource.diff?.(state),
  };
}

export function planParts(parts: readonly Part[]): Change[] {
  return parts.flatMap((p) =>
    p.plan().map((c) => ({ ...c, field: p.label ? `${p.label} ${c.field}` : c.field })),
  );
}

/** Applies the parts that have changes, in order (folders before the files in them). */
export async function applyParts(host: Host, parts: readonly Part[]): Promise<void> {
  for (const part of parts) {
    const changes = part.plan();
    if (changes.length) await part.apply(host, changes);
  }
}

export function diffParts(parts: readonly Part[]): string | undefined {
  const diffs = parts.map((p) => p.diff?.()).filter((d): d is string => d !== undefined);
  return diffs.length ? diffs.join('') : undefined;
}
