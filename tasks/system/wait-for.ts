/**
 * `waitFor`: wait until a TCP port is open (or closed) as seen from the host, a path is present
 * (or absent), a command succeeds, or the host answers again. Waits change nothing, so they are
 * not Resources: they only read (`host.probe`), run in check mode too, and report ok — or fail
 * with a WaitTimeoutError when the deadline passes.
 *
 * Port, path and command waits poll on the host in one command (wait-loop.ts): one round trip.
 * A host wait polls from the controller, reconnecting (wait-host.ts).
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { checkSpec, describeSpec, type CommandSpec } from './command-line.js';
import { seconds, waitForHostUp, WaitTimeoutError } from './wait-host.js';
import { commandCheck, pathCheck, pollScript, portCheck, WAIT_TIMED_OUT } from './wait-loop.js';

export { WaitTimeoutError } from './wait-host.js';

export interface WaitTiming {
  /** Give up (fail) after this long. Default 300 000 (5 minutes, as Ansible's wait_for). */
  timeoutMs?: number;
  /** Between checks. Default 1000. */
  intervalMs?: number;
}

export interface WaitForPort extends WaitTiming {
  port: number;
  /** Connected to from the host itself. Default 127.0.0.1. */
  address?: string;
  /** Default `open`. */
  state?: 'open' | 'closed';
}

export interface WaitForPath extends WaitTiming {
  path: string;
  /** Default `present`. */
  state?: 'present' | 'absent';
}

export interface WaitForCommand extends WaitTiming {
  /** Succeeds (exit 0): argv, or `{ shell }`. Must change nothing: it runs in check mode too. */
  command: CommandSpec;
}

export interface WaitForHost extends WaitTiming {
  /** The host answers a command again (reconnecting as needed), e.g. after a reboot. */
  hostUp: true;
}

export type WaitForOptions = WaitForPort | WaitForPath | WaitForCommand | WaitForHost;

const DEFAULT_TIMEOUT_MS = 300_000;
const DEFAULT_INTERVAL_MS = 1_000;
/** How much later than the loop's own deadline the transport kills a hung check. */
const BACKSTOP_MS = 5_000;
const KINDS = ['port', 'path', 'command', 'hostUp'] as const;

/**
 * Wait until something holds on the host; ok when it does, failed on timeout.
 *
 * @example
 * await waitFor(host, { port: 5432, timeoutMs: 60_000 });
 * await waitFor(host, { path: '/var/lib/dpkg/lock-frontend', state: 'absent' });
 * await waitFor(host, { command: ['systemctl', 'is-active', '--quiet', 'nginx'], intervalMs: 500 });
 * await waitFor(host, { hostUp: true, timeoutMs: 600_000 });
 */
export function waitFor(host: Host, options: WaitForOptions): Promise<TaskOutcome> {
  const kind = validate(options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  if (kind === 'hostUp') {
    return waitForHostUp(host, { timeoutMs, intervalMs }).then((up) => ({
      changed: false,
      message: `${host.name} answers (after ${seconds(up.elapsedMs)})`,
    }));
  }
  const [what, check] = describe(options as WaitForPort | WaitForPath | WaitForCommand);
  return pollOnHost(host, what, check, timeoutMs, intervalMs);
}

function describe(o: WaitForPort | WaitForPath | WaitForCommand): [what: string, check: string] {
  if ('port' in o) {
    const address = o.address ?? '127.0.0.1';
    const state = o.state ?? 'open';
    return [`port ${address}:${o.port} ${state}`, portCheck(address, o.port, state)];
  }
  if ('path' in o) {
    const state = o.state ?? 'present';
    return [`${o.path} ${state}`, pathCheck(o.path, state)];
  }
  return [`command ${describeSpec(o.command)} succeeds`, commandCheck(o.command)];
}

async function pollOnHost(
  host: Host,
  what: string,
  check: string,
  timeoutMs: number,
  intervalMs: number,
): Promise<TaskOutcome> {
  const started = Date.now();
  const r = await host.probe({
    nothrow: true,
    timeoutMs: timeoutMs + BACKSTOP_MS,
  })`eval ${pollScript(check, timeoutMs, intervalMs)}`;
  if (r.exitCode === 0)
    return { changed: false, message: `${what} (after ${seconds(Date.now() - started)})` };
  if (r.exitCode === WAIT_TIMED_OUT || r.timedOut) {
    const last = r.stdout.trim() ? `; last output: ${r.stdout.trim().split('\n').slice(-5).join('\n')}` : '';
    throw new WaitTimeoutError(
      `wait for ${what} on ${host.name}: timed out after ${seconds(timeoutMs)}${last}`,
    );
  }
  throw new Error(
    `wait for ${what} on ${host.name}: the wait loop failed (exit ${r.exitCode}): ${r.stderr.trim().slice(-500)}`,
  );
}

function validate(o: WaitForOptions): (typeof KINDS)[number] {
  if (typeof o !== 'object' || o === null)
    throw new TypeError(`waitFor: options must be an object, got ${JSON.stringify(o)}`);
  const given = KINDS.filter((k) => k in o && (o as unknown as Record<string, unknown>)[k] !== undefined);
  if (given.length !== 1) {
    throw new TypeError(
      `waitFor: give exactly one of options "port", "path", "command" or "hostUp", got ${given.length ? given.join(' and ') : 'none'}`,
    );
  }
  const kind = given[0]!;
  const state = (o as { state?: unknown }).state;
  if (kind === 'port') {
    const p = o as WaitForPort;
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535)
      throw new TypeError(`waitFor: option "port" must be an integer 1–65535, got ${JSON.stringify(p.port)}`);
    if (p.address !== undefined && (typeof p.address !== 'string' || !/^[A-Za-z0-9.:-]+$/.test(p.address))) {
      throw new TypeError(
        `waitFor: option "address" must be a host name or IP address, got ${JSON.stringify(p.address)}`,
      );
    }
    if (state !== undefined && state !== 'open' && state !== 'closed')
      throw new TypeError(
        `waitFor: option "state" for a port must be "open" or "closed", got ${JSON.stringify(state)}`,
      );
  } else if (kind === 'path') {
    const p = (o as WaitForPath).path;
    if (typeof p !== 'string' || !p.startsWith('/'))
      throw new TypeError(`waitFor: option "path" must be an absolute path, got ${JSON.stringify(p)}`);
    if (state !== undefined && state !== 'present' && state !== 'absent')
      throw new TypeError(
        `waitFor: option "state" for a path must be "present" or "absent", got ${JSON.stringify(state)}`,
      );
  } else if (kind === 'command') {
    checkSpec('waitFor', 'command', (o as WaitForCommand).command);
  } else if ((o as WaitForHost).hostUp !== true) {
    throw new TypeError(
      `waitFor: option "hostUp" must be true, got ${JSON.stringify((o as WaitForHost).hostUp)}`,
    );
  }
  if ((kind === 'command' || kind === 'hostUp') && state !== undefined)
    throw new TypeError(`waitFor: option "state" applies to port and path waits only`);
  for (const key of ['timeoutMs', 'intervalMs'] as const) {
    const v = o[key];
    if (v !== undefined && !(Number.isFinite(v) && v > 0))
      throw new TypeError(`waitFor: option "${key}" must be a positive number of milliseconds, got ${v}`);
  }
  return kind;
}
