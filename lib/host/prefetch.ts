/**
 * Prefetched reads (issue 21): the probes a role sent to a host on its last run, sent again all
 * at once, in ONE round trip, when the role starts; each answer is then handed to the probe that
 * asks exactly the same command, as long as nothing has been written to that host since. Roles do
 * not change: a probe that was not prefetched (new, changed, or asked after a write) runs live.
 *
 * Why the answers stay right: a prefetched answer is the output of the very same read-only
 * command, run on the same host before any of the role's writes. Host (lib/host/host.ts) drops all
 * of them at the first command that may change the host (`host.$`, writeFile, a port forward, a
 * reconnect), so a probe that follows a write always reads the host again. Each answer is used at
 * most once. What is not covered: a change made to the host by someone else between the batch
 * and the probe (a live probe races with that as well, only over a shorter time).
 *
 * Fewer processes on the host: a probe that declares it leaves the shell as it found it
 * (`inShell`) runs in the batch's shell itself rather than in a subshell of its own (a fork), and
 * the paths the probes name with a stat hint (lib/host/stat.ts: `: ns-stat '/path'`) are
 * stat'ed ahead by ONE `stat` process whose answers the probes read from a shell array.
 */
import { randomBytes } from 'node:crypto';
import type { CommandResult } from '../transport/types.js';
import { ansiCQuote } from '../transport/shell-script.js';
import { STAT_AHEAD_SCRIPT, statHintsOf } from './stat.js';

/** One read of a role, as the run record keeps it. */
export interface RecordedProbe {
  command: string;
  /** The probe leaves the shell as it found it: no subshell needed around it. */
  inShell?: boolean;
}

/** At most this many probes, and this many bytes of them, are kept per role and host. */
export const MAX_RECORDED_PROBES = 400;
export const MAX_RECORDED_BYTES = 512 * 1024;

export interface Batch {
  script: string;
  /** How many probes it runs. */
  size: number;
  /** Splits the batch's result into one result per probe (undefined: it did not finish). */
  parse(result: CommandResult): (CommandResult | undefined)[];
}

/** The script that runs `probes` in order in one shell, each answer framed by its own markers. */
export function batchScript(probes: readonly RecordedProbe[]): Batch {
  const token = randomBytes(12).toString('hex');
  const outMark = (i: number) => `<<NSB.${token}.${i}:`;
  const errMark = (i: number) => `<<NSB.${token}.${i}>>`;
  const paths = [...new Set(probes.flatMap((p) => statHintsOf(p.command)))];
  const lines: string[] = [];
  if (paths.length) lines.push(STAT_AHEAD_SCRIPT(paths));
  probes.forEach((p, i) => {
    lines.push(`__ns_q=${ansiCQuote(p.command)}`);
    lines.push(p.inShell ? '{ eval "$__ns_q"; } </dev/null' : '( eval "$__ns_q" ) </dev/null');
    lines.push(`printf '%s%d\\n' '${outMark(i)}' "$?"; printf '%s' '${errMark(i)}' >&2`);
  });
  return {
    script: lines.join('\n'),
    size: probes.length,
    parse(result) {
      const out = result.stdoutBytes ?? Buffer.from(result.stdout, 'utf8');
      const err = result.stderrBytes ?? Buffer.from(result.stderr, 'utf8');
      const answers: (CommandResult | undefined)[] = [];
      let o = 0;
      let e = 0;
      for (let i = 0; i < probes.length; i++) {
        const om = out.indexOf(outMark(i), o);
        const em = err.indexOf(errMark(i), e);
        if (om < 0 || em < 0) break; // an in-shell probe ended the batch (exit): the rest run live
        const nl = out.indexOf(0x0a, om);
        const code = Number(out.toString('latin1', om + outMark(i).length, nl));
        const stdoutBytes = out.subarray(o, om);
        const stderrBytes = err.subarray(e, em);
        answers.push({
          stdout: stdoutBytes.toString('utf8'),
          stderr: stderrBytes.toString('utf8'),
          exitCode: code,
          stdoutBytes,
          stderrBytes,
        });
        o = nl + 1;
        e = em + errMark(i).length;
      }
      return answers;
    },
  };
}

/** The answers of one batch, each given out once, all dropped at the first write. */
export class PrefetchedAnswers {
  readonly #answers = new Map<string, CommandResult[]>();

  add(command: string, result: CommandResult): void {
    const list = this.#answers.get(command);
    if (list) list.push(result);
    else this.#answers.set(command, [result]);
  }

  take(command: string): CommandResult | undefined {
    const list = this.#answers.get(command);
    const answer = list?.shift();
    if (list && !list.length) this.#answers.delete(command);
    return answer;
  }

  clear(): void {
    this.#answers.clear();
  }

  get size(): number {
    return this.#answers.size;
  }
}

/** The probes sent during one role, to be recorded for the next run (bounded; no stdin, no timeout). */
export class ProbeLog {
  readonly #probes: RecordedProbe[] = [];
  #bytes = 0;

  add(probe: RecordedProbe): void {
    if (this.#probes.length >= MAX_RECORDED_PROBES) return;
    const bytes = Buffer.byteLength(probe.command);
    if (this.#bytes + bytes > MAX_RECORDED_BYTES) return;
    this.#bytes += bytes;
    this.#probes.push(probe.inShell ? { command: probe.command, inShell: true } : { command: probe.command });
  }

  take(): RecordedProbe[] {
    const probes = this.#probes.splice(0);
    this.#bytes = 0;
    return probes;
  }
}
