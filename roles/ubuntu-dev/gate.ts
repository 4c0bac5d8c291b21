/**
 * Check mode on a fresh host, until the engine plans against what earlier tasks would create
 * (issue 12): a task that configures a package's files, or an account's, cannot read them while
 * the package or the account is only planned. Such a task reports what it would do instead of
 * failing — "would configure … once xrdp is installed" — counted as a change, as the real run
 * will make one. On a host where they exist, the task reads and plans as always.
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';

export interface Pending {
  /** In check mode: which of these packages are not installed (and so only planned). */
  packages(names: readonly string[]): string[];
  /** In check mode: which of these accounts do not exist yet. */
  accounts(names: readonly string[]): string[];
}

/** Reads once, in check mode only, which packages and accounts are missing. */
export async function readPending(host: Host, packages: string[], accounts: string[]): Promise<Pending> {
  if (!host.check) return { packages: () => [], accounts: () => [] };
  const format = '${Package} ${db:Status-Abbrev}\n';
  const r = await host.probe({
    nothrow: true,
  })`dpkg-query -W -f ${format} ${packages} 2>/dev/null; echo --; for u in ${accounts.length ? accounts : ['root']}; do id -u "$u" >/dev/null 2>&1 && echo "$u"; done; true`;
  const [pkgs = '', users = ''] = r.stdout.split('--\n');
  const installed = new Set(
    pkgs
      .split('\n')
      .map((l) => l.split(' '))
      .filter(([, status]) => status === 'ii')
      .map(([name]) => name),
  );
  const existing = new Set(users.split('\n').filter(Boolean));
  return {
    packages: (names) => names.filter((n) => !installed.has(n)),
    accounts: (names) => names.filter((n) => !existing.has(n)),
  };
}

/**
 * Runs `body`, or — when something it needs is only planned — says what it would do. `nothing`
 * says instead why nothing will need doing (what the package or useradd itself provides).
 */
export async function unlessPending(
  missing: string[],
  what: string,
  body: () => Promise<TaskOutcome>,
  nothing?: string,
): Promise<TaskOutcome> {
  if (!missing.length) return body();
  if (nothing)
    return { changed: false, message: `check mode: ${nothing} once ${missing.join(', ')} exist(s)` };
  return { changed: true, changes: [`would ${what} once ${missing.join(', ')} exist(s) (check mode)`] };
}

/** Several outcomes as one task's. */
export function merged(outcomes: TaskOutcome[]): TaskOutcome {
  const changes = outcomes.flatMap((o) => o.changes ?? []);
  const diff = outcomes
    .map((o) => o.diff)
    .filter(Boolean)
    .join('\n');
  return {
    changed: outcomes.some((o) => o.changed),
    ...(changes.length ? { changes } : {}),
    ...(diff ? { diff } : {}),
  };
}
