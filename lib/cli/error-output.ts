/**
 * How the `playbook` command reports an error that ends it: `ERROR: message` on stderr (the stack
 * only for a bug, exit 1 without a known cause), and with `--json` also one JSON event on stdout
 * — type, exit code, message and, where known, file, line, column and field — so tools driving
 * NovaStation read why it stopped instead of an empty stream.
 */
import { ExitCode, type SourceLocation } from '../errors.js';
import { processMasker } from '../secret.js';

export interface ErrorEvent extends SourceLocation {
  type: 'error';
  exitCode: number;
  message: string;
}

/** Errors the user can act on carry their exit code; anything else is a bug. */
function exitCodeOf(error: unknown): number | undefined {
  const code = (error as { exitCode?: unknown } | undefined)?.exitCode;
  return typeof code === 'number' ? code : undefined;
}

export function errorEvent(error: unknown): ErrorEvent {
  const where = (error as { where?: SourceLocation }).where ?? {};
  return {
    type: 'error',
    exitCode: exitCodeOf(error) ?? ExitCode.error,
    message: error instanceof Error ? error.message : String(error),
    ...where,
  };
}

/** `--json` given to the playbook command itself (not after `--`, not a subcommand's own). */
export function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

export function reportError(error: unknown, argv: string[]): number {
  const known = exitCodeOf(error);
  const code = known ?? ExitCode.error;
  const text =
    error instanceof Error
      ? known === undefined
        ? (error.stack ?? error.message)
        : error.message
      : String(error);
  if (wantsJson(argv)) process.stdout.write(`${processMasker.mask(JSON.stringify(errorEvent(error)))}\n`);
  process.stderr.write(`ERROR: ${processMasker.mask(text)}\n`);
  return code;
}
