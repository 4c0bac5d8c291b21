/**
 * A reboot through the guest agent (`shutdown.exe /r /t 5` from the apply script: the exec
 * returns before Windows goes down), then a wait until the guest answers `read` from a new boot
 * (its boot time changed). While Windows restarts the agent is gone: the runner waits for it.
 */
import { GuestExecLostError } from '../../lib/proxmox/guest-agent.js';
import type { PowerShellRunner } from '../../lib/windows/powershell.js';
import { applyScript, type WindowsState } from './scripts.js';

export async function waitForReboot(
  runner: PowerShellRunner,
  read: () => Promise<WindowsState>,
  bootTime: string,
  timeoutMs: number,
  name: string,
  reasons: string[],
): Promise<WindowsState> {
  try {
    await runner.run(applyScript, { ops: [{ op: 'reboot', reason: reasons.join(', ') }] });
  } catch (error) {
    // Windows went down before the agent reported that shutdown.exe ended: the reboot is on.
    if (!(error instanceof GuestExecLostError)) throw error;
  }
  const deadline = Date.now() + timeoutMs;
  let delay = 200;
  let last: unknown;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 5000);
    try {
      const s = await read();
      if (s.bootTime !== bootTime) return s;
    } catch (error) {
      last = error; // the agent went away mid-script, or is not back yet
    }
  }
  throw new Error(
    `${name}: Windows did not answer from a new boot within ${Math.round(timeoutMs / 1000)} s after the reboot${last ? ` (last: ${(last as Error).message})` : ''}`,
  );
}
