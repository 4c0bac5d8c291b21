/**
 * `--limit` as ansible-playbook checks it: each part of the pattern that matches no host is
 * warned about ("Could not match supplied host pattern, ignoring: …"), and a limit that leaves
 * no host at all is an error (exit 1) rather than a run that silently does nothing.
 */
import { ExitCode } from '../errors.js';
import { splitHostPattern, type Inventory } from '../inventory/index.js';
import { matchHosts } from '../runner/run-plan.js';

/** A limit that leaves no host to target (Ansible: exit 1). */
export class NoHostsError extends Error {
  readonly exitCode = ExitCode.error;
  constructor(limit: string[]) {
    super(`Specified inventory, host pattern and/or --limit ${limit.join(' ')} leaves no hosts to target`);
    this.name = 'NoHostsError';
  }
}

export function checkLimit(inventory: Inventory, limit: string[], warn: (line: string) => void): void {
  if (!limit.length) return;
  for (const part of splitHostPattern(limit)) {
    const bare = part.replace(/^[!&]/, '');
    if (bare && !matchHosts(inventory, bare).length)
      warn(`[WARNING]: Could not match supplied host pattern, ignoring: ${bare}`);
  }
  if (!matchHosts(inventory, limit).length) throw new NoHostsError(limit);
}
