/**
 * "Host back": reconnect until the host answers a command, within a deadline. Runs on the
 * controller (the host cannot poll for its own return). Each attempt is bounded on our side too,
 * because a connection to a machine that vanished without closing TCP only fails after the SSH
 * keepalives give up (a minute); a timed-out or failed attempt drops the connection
 * (`host.reconnect()`) so the next one opens a fresh one.
 */
import type { Host } from '../../lib/host/host.js';
import { UnreachableError } from '../../lib/transport/types.js';
import { BOOT_MARKER_SCRIPT, parseBootMarker } from './boot-marker.js';

/** The longest one attempt (connect + one command) may take. */
const ATTEMPT_MS = 15_000;
/** How long dropping a dead connection may hold up the next attempt. */
const DROP_MS = 3_000;

export interface HostUpOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Wait for a boot other than this one (the marker read before a reboot). */
  notBoot?: string;
}

export interface HostUp {
  /** The boot the host answered from. */
  boot: string;
  elapsedMs: number;
}

/** The host did not answer (or not from a new boot) in time. */
export class WaitTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}

class AttemptTimeout extends Error {}

/** Reads the host's boot marker (one round trip); see boot-marker.ts. */
export async function readBootMarker(host: Host): Promise<string> {
  const r = await host.probe`eval ${BOOT_MARKER_SCRIPT}`;
  return parseBootMarker(r.stdout);
}

export async function waitForHostUp(host: Host, options: HostUpOptions): Promise<HostUp> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let last = 'no attempt finished';
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const what = options.notBoot === undefined ? 'answer' : 'come back from a new boot';
      throw new WaitTimeoutError(
        `${host.name} did not ${what} within ${seconds(options.timeoutMs)} (last: ${last})`,
      );
    }
    try {
      const boot = await bounded(readBootMarker(host), Math.min(remaining, ATTEMPT_MS));
      if (boot !== options.notBoot) return { boot, elapsedMs: Date.now() - started };
      last = 'it answered from the boot before the reboot';
    } catch (error) {
      if (!(error instanceof UnreachableError || error instanceof AttemptTimeout)) throw error;
      last = error.message;
      await bounded(host.reconnect(), DROP_MS).catch(() => {});
    }
    await sleep(Math.min(options.intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** `promise`, or an AttemptTimeout after `ms` (the loser's later rejection is swallowed). */
function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeout(`no answer within ${seconds(ms)}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
