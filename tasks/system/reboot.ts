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
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { Host } from '../../lib/host/host.js';
import type { TaskOutcome } from '../../lib/define.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { UnreachableError } from '../../lib/transport/types.js';
import { convergeAction, type Action } from '../../lib/action.js';
import { checkOptions, Options } from '../options.js';
import { BOOT_MARKER_SCRIPT, parseBootMarker } from './boot-marker.js';
import { HostPath, Milliseconds } from './option-types.js';
import { seconds, waitForHostUp } from './wait-host.js';

export const RebootOptions = Options({
  /** Reboot only when this path exists, e.g. `/var/run/reboot-required`. */
  rebootIfFile: Type.Optional(HostPath()),
  /** How long the host may take to come back. Default 600 000 (10 minutes). */
  timeoutMs: Type.Optional(Milliseconds()),
  /** Between attempts to reach it. Default 1000. */
  intervalMs: Type.Optional(Milliseconds()),
});
export type RebootOptions = Static<typeof RebootOptions>;

interface RebootState {
  boot: string;
  /** Whether rebootIfFile exists (true when there is no condition). */
  needed: boolean;
}

const DEFAULT_TIMEOUT_MS = 600_000;
const DEFAULT_INTERVAL_MS = 1_000;

export function rebootAction(options: RebootOptions = {}): Action<RebootState> {
  checkOptions('reboot', RebootOptions, options);
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
