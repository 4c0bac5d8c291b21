/**
 * `command`'s guards — `creates`, `removes`, `unless`, `onlyIf` — checked in ONE probe script,
 * cheapest first, stopping at the first that says "do not run". The script prints one word
 * (`run`, or the guard that held the command back), so reading state costs one round trip
 * however many guards there are.
 */
import { quotePosix } from '../../lib/shell/quote.js';
import { commandText, describeSpec, type CommandSpec } from './command-line.js';

export interface Guards {
  /** Do not run when this path exists (what the command makes). */
  creates?: string;
  /** Do not run when this path is absent (what the command removes). */
  removes?: string;
  /** Do not run when this command succeeds (exit 0). */
  unless?: CommandSpec;
  /** Run only when this command succeeds. */
  onlyIf?: CommandSpec;
}

/** Whether to run, and if not, which guard said so. */
export type GuardVerdict = { run: true } | { run: false; reason: string };

type GuardWord = 'run' | 'creates' | 'removes' | 'unless' | 'onlyIf';

/**
 * The probe script, or undefined when there are no guards (then nothing needs reading). One
 * function that returns, never exits, and changes nothing in the shell: it runs inShell (in a
 * prefetched batch, without a subshell of its own — a fork); `unless`/`onlyIf` commands get theirs.
 */
export function guardScript(g: Guards): string | undefined {
  const lines: string[] = [];
  if (g.creates !== undefined)
    lines.push(
      `if [ -e ${quotePosix(g.creates)} ] || [ -L ${quotePosix(g.creates)} ]; then echo creates; return 0; fi`,
    );
  if (g.removes !== undefined)
    lines.push(
      `if [ ! -e ${quotePosix(g.removes)} ] && [ ! -L ${quotePosix(g.removes)} ]; then echo removes; return 0; fi`,
    );
  // A guard's own output is not ours to show; its stdin is nothing, so it cannot eat the script.
  if (g.unless !== undefined)
    lines.push(`if ( ${commandText(g.unless)} ) >/dev/null 2>&1 </dev/null; then echo unless; return 0; fi`);
  if (g.onlyIf !== undefined)
    lines.push(
      `if ! ( ${commandText(g.onlyIf)} ) >/dev/null 2>&1 </dev/null; then echo onlyIf; return 0; fi`,
    );
  if (!lines.length) return undefined;
  return ['__ns_guards() {', ...lines, 'echo run', '}', '__ns_guards'].join('\n');
}

/** Reads the probe's answer; anything but one of its words means the probe itself broke. */
export function parseGuards(stdout: string, g: Guards): GuardVerdict {
  const word = stdout.trim().split('\n').pop() as GuardWord;
  switch (word) {
    case 'run':
      return { run: true };
    case 'creates':
      return { run: false, reason: `creates: ${g.creates} exists` };
    case 'removes':
      return { run: false, reason: `removes: ${g.removes} is absent` };
    case 'unless':
      return { run: false, reason: `unless: ${describeSpec(g.unless!)} succeeded` };
    case 'onlyIf':
      return { run: false, reason: `onlyIf: ${describeSpec(g.onlyIf!)} failed` };
    default:
      throw new Error(`command guards: unexpected probe output ${JSON.stringify(stdout.slice(0, 200))}`);
  }
}
