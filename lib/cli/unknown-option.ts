/**
 * An unknown command-line option, said the way a user can act on: the usage line and the nearest
 * known option (`--chekc` → did you mean `--check`?) instead of node's parser text. Exit 5.
 */
import { BadOptionsError } from '../errors.js';
import { nearestName } from '../nearest.js';

type OptionSpec = Record<string, { type: string; short?: string }>;

/** The known option closest to `given` (`--chekc` → `--check`, `-C`), if it is close enough to be a typo of it. */
export function nearestOption(given: string, options: OptionSpec): string | undefined {
  const name = given.replace(/^-+/, '').split('=')[0]!;
  const spelled = new Map<string, string>();
  for (const [long, spec] of Object.entries(options)) {
    spelled.set(long, `--${long}`);
    if (spec.short) spelled.set(spec.short, `-${spec.short}`);
  }
  const near = nearestName(name, spelled.keys());
  return near === undefined ? undefined : spelled.get(near);
}

/** Turns node's parseArgs error into a BadOptionsError a user can act on. */
export function optionsError(error: unknown, options: OptionSpec, usage: string): BadOptionsError {
  const text = (error as Error).message;
  const unknown = /^Unknown option '([^']+)'/.exec(text)?.[1];
  if (unknown) {
    const near = nearestOption(unknown, options);
    return new BadOptionsError(
      `unknown option ${unknown}${near ? `: did you mean ${near}?` : ''}\n${usage}\n(see --help for all options)`,
    );
  }
  return new BadOptionsError(`${text.split('. To specify a positional')[0]}\n${usage}`);
}
