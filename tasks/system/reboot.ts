/**
 * `reboot`: reboot the host and wait until it is back from a NEW boot, keeping the Host handle
 * usable. `rebootIfFile` makes it conditional (Debian's /var/run/reboot-required).
 *
 * State (one probe): the boot marker (boot-marker.ts) and whether the flag file exists. The plan
 * is "reboot" or nothing. Check mode reports it skipped ("would reboot"), as for a command.
 *
 * `systemctl --no-block reboot` only queues the reboot, so the command answers before sshd goes
 * down. If the connection dies first anyway, that is the reboot starting, not an error: the new
 * boot marker is the proof either way.
 */
import type { Host } from '../../lib/host/host.js';
import type { TaskOutcome } from '../../lib/define.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { UnreachableError } from '../../lib/transport/types.js';
import { convergeAction, type Action } from '../../lib/action.js';
import { BOOT_MARKER_SCRIPT, parseBootMarker } from './boot-marker.js';
import { seconds, waitForHostUp } from './wait-host.js';

export interface RebootOptions {
  /** Reboot only when this path exists, e.g. `/var/run/reboot-required`. */
  rebootIfFile?: string;
  /** How long the host may take to come back. Default 600 000 (10 minutes). */
  timeoutMs?: number;
  /** Between attempts to reach it. Default 1000. */
  intervalMs?: number;
}

interface RebootState {
  boot: string;
  /** Whether rebootIfFile exists (true when there is no condition). */
  needed: boolean;
}

const DEFAULT_TIMEOUT_MS = 600_000;
const DEFAULT_INTERVAL_MS = 1_000;

export function rebootAction(options: RebootOptions = {}): Action<RebootState> {
  validate(options);
  const flag = options.rebootIfFile;
  const why = flag === undefined ? '' : ` (${flag} exists)`;
  return {
    id: 'reboot',
    async read(host) {
      const test =
        flag === undefined
          ? 'echo needed'
          : `if [ -e ${quotePosix(flag)} ]; then echo needed; else echo not-needed; fi`;
      const r = await host.probe`eval ${`${BOOT_MARKER_SCRIPT}; ${test}`}`;
      const [marker = '', needed = ''] = r.stdout.trim().split('\n');
      return { boot: parseBootMarker(marker), needed: needed === 'needed' };
    },
    plan: (s) => (s.needed ? [{ field: 'reboot', to: `rebooted${why}` }] : []),
    preview: () => `reboot${why}`,
    whyNot: () => `no reboot needed: ${flag} is absent`,
    async apply(host, current) {
      try {
        await host.$`systemctl --no-block reboot`;
      } catch (error) {
        if (!(error instanceof UnreachableError)) throw error;
      }
      // The old connection dies with the old boot; waiting for it to notice could take a minute.
      await host.reconnect();
      const up = await waitForHostUp(host, {
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
        notBoot: current.boot,
      });
      return {
        changed: true,
        changes: [`reboot: rebooted${why}`],
        message: `back after ${seconds(up.elapsedMs)}`,
      };
    },
  };
}

/**
 * Reboot the host (only when `rebootIfFile` exists, if given) and wait until it is back.
 *
 * @example
 * await reboot(host, { rebootIfFile: '/var/run/reboot-required', timeoutMs: 300_000 });
 */
export function reboot(host: Host, options: RebootOptions = {}): Promise<TaskOutcome> {
  return convergeAction(host, rebootAction(options));
}

function validate(o: RebootOptions): void {
  if (typeof o !== 'object' || o === null)
    throw new TypeError(`reboot: options must be an object, got ${JSON.stringify(o)}`);
  if (
    o.rebootIfFile !== undefined &&
    (typeof o.rebootIfFile !== 'string' || !o.rebootIfFile.startsWith('/'))
  ) {
    throw new TypeError(
      `reboot: option "rebootIfFile" must be an absolute path, got ${JSON.stringify(o.rebootIfFile)}`,
    );
  }
  for (const key of ['timeoutMs', 'intervalMs'] as const) {
    const v = o[key];
    if (v !== undefined && !(Number.isFinite(v) && v > 0))
      throw new TypeError(`reboot: option "${key}" must be a positive number of milliseconds, got ${v}`);
  }
}
