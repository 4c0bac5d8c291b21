/**
 * Where an exception thrown inside a task came from, for `-v` (the place) and `-vvv` (the stack).
 * The place is the first frame in the role's own file (where defineRole was called), else the
 * first frame outside NovaStation's engine and node's internals, so a message points at the
 * user's code rather than at the runner that caught it. Playbooks are bundled with inline source
 * maps and source maps are on (lib/cli/load-playbook.ts), so frames name the .ts files.
 */
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ErrorOrigin {
  /** `file:line:column`, relative to the working folder when inside it. */
  errorAt?: string;
  stack?: string;
}

const engineDir = fileURLToPath(new URL('..', import.meta.url)); // dist/lib/ or lib/

/** `/path/file.ts:12:5` of each `at …` line of a V8 stack. */
function framePlaces(stack: string): string[] {
  const places: string[] = [];
  for (const line of stack.split('\n')) {
    const m = /^\s+at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/.exec(line);
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    places.push(`${file}:${m[2]}:${m[3]}`);
  }
  return places;
}

export function errorOrigin(error: unknown, roleFile?: string): ErrorOrigin {
  if (!(error instanceof Error) || !error.stack) return {};
  const places = framePlaces(error.stack);
  const role = roleFile?.startsWith('file://') ? fileURLToPath(roleFile) : roleFile;
  const place =
    (role && places.find((p) => p.startsWith(`${role}:`))) ??
    places.find(
      (p) => !p.startsWith('node:') && !p.startsWith(engineDir) && !p.includes(`${sep}node_modules${sep}`),
    );
  const shown =
    place && (relative(process.cwd(), place).startsWith('..') ? place : relative(process.cwd(), place));
  return { ...(shown ? { errorAt: shown } : {}), stack: error.stack };
}
