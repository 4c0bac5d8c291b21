/**
 * One run at a time per site, like Terraform's state lock: `.novastation/run.lock` beside the
 * inventory, with `run.lock.json` naming the holder (who, where, since when, which playbook). Two
 * runs over the same VMs at once fight (one starts a VM the other is creating); the second run
 * now waits (`--lock-timeout`) or stops at once with a message naming the holder.
 *
 * The lock itself is proper-lockfile's: an atomic `mkdir`, its mtime refreshed every 2 s by the
 * holder, stale after 10 s without a refresh — so it also works on a shared folder between
 * machines, and a holder that died without releasing it (kill -9, a power cut) is taken over.
 * A holder on this machine whose process is gone is taken over after at most 4 s instead of 10,
 * also by a run that was not told to wait.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface LockHolder {
  pid: number;
  user: string;
  /** The user who ran sudo, when the run is under sudo. */
  sudoUser?: string;
  host: string;
  since: string;
  playbook: string;
  check: boolean;
}

export class RunLockedError extends Error {
  constructor(
    readonly lockFile: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(
      holder
        ? `another run holds this site's lock (${lockFile}): ${holder.playbook}${holder.check ? ' --check' : ''} by ${holder.user}${holder.sudoUser ? ` (sudo from ${holder.sudoUser})` : ''} on ${holder.host}, pid ${holder.pid}, since ${holder.since}; wait for it to end or give --lock-timeout SECONDS`
        : `another run holds this site's lock (${lockFile}); wait for it to end or give --lock-timeout SECONDS`,
    );
    this.name = 'RunLockedError';
  }
}

const STALE_MS = 10_000;
const UPDATE_MS = 2_000;
const RETRY_MS = 500;

/** The lock's place for these inventories: `.novastation/run.lock` beside the first that exists. */
export function runLockFile(inventoryPaths: readonly string[]): string {
  const first = inventoryPaths.find((p) => existsSync(p));
  return join(first ? dirname(resolve(first)) : process.cwd(), '.novastation', 'run.lock');
}

function readHolder(infoFile: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(infoFile, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Takes the lock or throws RunLockedError (after waiting up to `timeoutMs`). Returns the release
 * function. `onLost` is told if the lock is taken from under us (its folder removed or stale).
 */
export async function acquireRunLock(
  lockFile: string,
  run: { playbook: string; check: boolean },
  options: { timeoutMs?: number; onLost?: (error: Error) => void } = {},
): Promise<() => Promise<void>> {
  const lockfile = (await import('proper-lockfile')).default;
  const infoFile = `${lockFile}.json`;
  mkdirSync(dirname(lockFile), { recursive: true, mode: 0o700 });
  let deadline = Date.now() + (options.timeoutMs ?? 0);
  for (;;) {
    // A holder on this machine whose process is gone: make its lock stale now, so proper-lockfile
    // (which rechecks the mtime before it removes anything) takes it over without the full wait.
    // Only a lock not refreshed for two update periods: a live holder refreshes it every 2 s, so a
    // lock another waiter has just taken over is never mistaken for the dead one's.
    const holder = readHolder(infoFile);
    if (holder && holder.host === hostname() && processGone(holder.pid)) {
      // Not a run to wait for: whoever asked (even without --lock-timeout) gets the lock as soon
      // as it is stale, instead of an error naming a process that no longer exists.
      deadline = Math.max(deadline, Date.now() + 2 * UPDATE_MS + 2 * RETRY_MS);
      try {
        if (Date.now() - statSync(lockFile).mtimeMs > 2 * UPDATE_MS) utimesSync(lockFile, 0, 0);
      } catch {
        /* released meanwhile */
      }
    }
    try {
      const release = await lockfile.lock(dirname(lockFile), {
        lockfilePath: lockFile,
        realpath: false,
        stale: STALE_MS,
        update: UPDATE_MS,
        onCompromised: (error) => options.onLost?.(error),
      });
      const me: LockHolder = {
        pid: process.pid,
        user: userInfo().username,
        ...(process.env.SUDO_USER ? { sudoUser: process.env.SUDO_USER } : {}),
        host: hostname(),
        since: new Date().toISOString(),
        playbook: run.playbook,
        check: run.check,
      };
      writeFileSync(`${infoFile}.tmp-${process.pid}`, JSON.stringify(me, null, 2) + '\n', { mode: 0o600 });
      renameSync(`${infoFile}.tmp-${process.pid}`, infoFile);
      return async () => {
        rmSync(infoFile, { force: true });
        await release().catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (Date.now() >= deadline) throw new RunLockedError(lockFile, readHolder(infoFile));
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}
