/**
 * Errors the user can act on. Each carries the exit code the CLI uses (Ansible's meanings) and,
 * where it comes from a file, the file and the line or path inside it, so a message always says
 * where to look. Anything else that escapes is a bug and exits 1.
 */

export const ExitCode = {
  ok: 0,
  error: 1,
  hostFailed: 2,
  hostUnreachable: 3,
  invalidInput: 4,
  badOptions: 5,
  interrupted: 99,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface SourceLocation {
  /** The file the bad input came from (as given by the user, or absolute). */
  file?: string;
  /** 1-based line, where known. */
  line?: number;
  /** 1-based column, where known. */
  column?: number;
  /** Path of the value inside the document, e.g. `all.children.web.hosts.h1.ansible_port`. */
  path?: string;
  /** The variable or option the problem is about (for tools reading `--json` error events). */
  field?: string;
}

/** Invalid inventory, playbook or variables: exit 4, nothing on any host has been touched. */
export class InvalidInputError extends Error {
  readonly exitCode: ExitCode = ExitCode.invalidInput;
  constructor(
    readonly detail: string,
    readonly where: SourceLocation = {},
  ) {
    super(formatLocated(detail, where));
    this.name = 'InvalidInputError';
  }
}

/** Bad command-line options: exit 5. */
export class BadOptionsError extends Error {
  readonly exitCode: ExitCode = ExitCode.badOptions;
  constructor(message: string) {
    super(message);
    this.name = 'BadOptionsError';
  }
}

/** `file:line:column: path: detail`, leaving out what is unknown. */
export function formatLocated(detail: string, where: SourceLocation): string {
  let place = where.file ?? '';
  if (where.file && where.line !== undefined) place += `:${where.line}`;
  if (where.file && where.line !== undefined && where.column !== undefined) place += `:${where.column}`;
  // A detail that already starts with its place (a collected message) is not prefixed twice.
  if (place && detail.startsWith(`${place}:`)) return detail;
  const parts = [place, where.path ? `at ${where.path}` : ''].filter(Boolean);
  return parts.length ? `${parts.join(' ')}: ${detail}` : detail;
}
