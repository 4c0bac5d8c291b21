/**
 * `waitFor`: wait until a TCP port is open (or closed) as seen from the host, a path is present
 * (or absent), a command succeeds, or the host answers again. Waits change nothing, so they are
 * not Resources: they only read (`host.probe`), run in check mode too, and report ok — or fail
 * with a WaitTimeoutError when the deadline passes.
 *
 * Port, path and command waits poll on the host in one command (wait-loop.ts): one round trip.
 * A host wait polls from the controller, reconnecting (wait-host.ts).
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { checkOptions, fail, OneOf, Options } from '../options.js';
import { CommandSpecOption, describeSpec } from './command-line.js';
import { HostPath, Milliseconds } from './option-types.js';
import { seconds, waitForHostUp, WaitTimeoutError } from './wait-host.js';
import { commandCheck, pathCheck, pollScript, portCheck, WAIT_TIMED_OUT } from './wait-loop.js';

export { WaitTimeoutError } from './wait-host.js';

const timing = {
  /** Give up (fail) after this long. Default 300 000 (5 minutes, as Ansible's wait_for). */
  timeoutMs: Type.Optional(Milliseconds()),
  /** Between checks. Default 1000. */
  intervalMs: Type.Optional(Milliseconds()),
};

export const WaitForPort = Options({
  port: Type.Integer({ minimum: 1, maximum: 65535, expected: 'must be an integer 1–65535' }),
  /** Connected to from the host itself. Default 127.0.0.1. */
  address: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9.:-]+$', expected: 'must be a host name or IP address' }),
  ),
  /** Default `open`. */
  state: Type.Optional(OneOf(['open', 'closed'], { expected: 'must be "open" or "closed" for a port' })),
  ...timing,
});
export type WaitForPort = Static<typeof WaitForPort>;

export const WaitForPath = Options({
  path: HostPath(),
  /** Default `present`. */
  state: Type.Optional(
    OneOf(['present', 'absent'], { expected: 'must be "present" or "absent" for a path' }),
  ),
  ...timing,
});
export type WaitForPath = Static<typeof WaitForPath>;

export const WaitForCommand = Options({
  /** Succeeds (exit 0): argv, or `{ shell }`. Must change nothing: it runs in check mode too. */
  command: CommandSpecOption(),
  ...timing,
});
export type WaitForCommand = Static<typeof WaitForCommand>;

export const WaitForHost = Options({
  /** The host answers a command again (reconnecting as needed), e.g. after a reboot. */
  hostUp: Type.Literal(true, { expected: 'must be true' }),
  ...timing,
});
export type WaitForHost = Static<typeof WaitForHost>;

export type WaitForOptions = WaitForPort | WaitForPath | WaitForCommand | WaitForHost;

/** Each kind of wait, by the option that names it, with its own options. */
const KINDS = { port: WaitForPort, path: WaitForPath, command: WaitForCommand, hostUp: WaitForHost };
type WaitKind = keyof typeof KINDS;

const DEFAULT_TIMEOUT_MS = 300_000;
const DEFAULT_INTERVAL_MS = 1_000;
/** How much later than the loop's own deadline the transport kills a hung check. */
const BACKSTOP_MS = 5_000;

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

/** Which wait it is (exactly one of its naming options), then that wait's options checked. */
function validate(o: WaitForOptions): WaitKind {
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    fail('waitFor', 'options', 'must be an object', o);
  const given = (Object.keys(KINDS) as WaitKind[]).filter(
    (k) => (o as Record<string, unknown>)[k] !== undefined,
  );
  if (given.length !== 1)
    fail(
      'waitFor',
      'give',
      'exactly one of options "port", "path", "command" or "hostUp"',
      given.length ? given.join(' and ') : 'none',
    );
  const kind = given[0]!;
  checkOptions('waitFor', KINDS[kind], o);
  return kind;
}
