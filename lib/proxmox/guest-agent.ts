/**
 * Running a program inside a VM through Proxmox's QEMU guest agent (qemu-server Agent.pm; notes
 * §2.9): `POST …/agent/exec` starts it and answers `{pid}`, `GET …/agent/exec-status?pid=N`
 * is polled until `exited`. No network path into the guest is needed.
 *
 * - The argv is what Proxmox passes on and the guest's process list shows: never put a secret
 *   in it. Data, secrets included, goes in `input` — `input-data`, the program's standard input,
 *   sent in the request body only.
 * - "Agent not running yet" (a VM still booting, qemu-ga not started) is waited for, pinging
 *   until `agentTimeoutMs`, not treated as a failure; bpg's Terraform provider retries the same
 *   answers (isAgentNotReadyError).
 * - A program that exits non-zero is not an error here: callers get the exit code and both
 *   streams and say what failed.
 */
import { ProxmoxApiError } from './errors.js';
import type { ProxmoxClient } from './client.js';
import type { Secret } from '../secret.js';

export interface GuestVm {
  node: string;
  vmid: number;
  /** For messages: the VM's inventory name. */
  name: string;
}

export interface GuestExecResult {
  exitcode: number;
  out: string;
  err: string;
  /** The agent cut the output (qemu-ga keeps at most 16 MiB per stream). */
  truncated: boolean;
}

export interface GuestExecOptions {
  /** Standard input for the program: sent as `input-data` in the request body. */
  input?: string | Secret;
  /** How long the program may run (default 5 min). */
  timeoutMs?: number;
}

/** What Proxmox answers while the guest agent cannot be reached (yet). */
const NOT_READY = [/QEMU guest agent is not running/i, /guest-ping' failed/i];

export function isAgentNotReady(error: unknown): boolean {
  return (
    error instanceof ProxmoxApiError &&
    error.status === 500 &&
    NOT_READY.some((re) => re.test(error.pveMessage))
  );
}

function agentPath(vm: GuestVm, what: string): string {
  return `/nodes/${encodeURIComponent(vm.node)}/qemu/${vm.vmid}/agent/${what}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until the guest agent answers a ping. Returns at once when it does; throws after
 * `timeoutMs` with a message that says what to check. Other errors (VM not running, no agent
 * configured, a missing privilege) are thrown at once: waiting would not change them.
 */
export async function waitForAgent(
  client: ProxmoxClient,
  vm: GuestVm,
  timeoutMs: number,
  log?: (line: string) => void,
): Promise<void> {
  const started = Date.now();
  let delay = 100;
  let said = false;
  for (;;) {
    try {
      await client.request('POST', agentPath(vm, 'ping'));
      return;
    } catch (error) {
      if (!isAgentNotReady(error)) throw error;
      if (Date.now() - started >= timeoutMs)
        throw new Error(
          `${vm.name}: the QEMU guest agent did not answer within ${Math.round(timeoutMs / 1000)} s ` +
            `(is the VM still booting? is the QEMU Guest Agent service installed and running in the guest, ` +
            `and the VM option "QEMU Guest Agent" enabled?)`,
        );
      if (!said) log?.(`${vm.name}: waiting for the QEMU guest agent to answer`);
      said = true;
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 5000);
  }
}

/** Runs `argv` in the guest and waits for it to exit. */
export async function guestExec(
  client: ProxmoxClient,
  vm: GuestVm,
  argv: string[],
  options: GuestExecOptions = {},
): Promise<GuestExecResult> {
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const started = await client.request('POST', agentPath(vm, 'exec'), {
    command: argv,
    ...(options.input !== undefined ? { 'input-data': options.input } : {}),
  });
  const pid = (started?.data as { pid?: unknown } | undefined)?.pid;
  if (typeof pid !== 'number')
    throw new Error(
      `${vm.name}: the guest agent answered exec without a pid: ${JSON.stringify(started?.data)}`,
    );
  const since = Date.now();
  let delay = 50;
  for (;;) {
    let status: ExecStatus | undefined;
    try {
      status = (await client.request('GET', agentPath(vm, 'exec-status'), { pid }))?.data as
        ExecStatus | undefined;
    } catch (error) {
      // Started, then the agent went away (a reboot, qemu-ga restarted): it may have run.
      if (isAgentNotReady(error)) throw new GuestExecLostError(vm, argv[0] ?? '', pid, error);
      throw error;
    }
    if (status && (status.exited === 1 || status.exited === true)) {
      return {
        exitcode:
          typeof status.exitcode === 'number' ? status.exitcode : status.signal ? 128 + status.signal : -1,
        out: status['out-data'] ?? '',
        err: status['err-data'] ?? '',
        truncated: Boolean(status['out-truncated'] || status['err-truncated']),
      };
    }
    if (Date.now() - since >= timeoutMs)
      throw new Error(
        `${vm.name}: ${argv[0]} (guest pid ${pid}) still running after ${Math.round(timeoutMs / 1000)} s`,
      );
    await sleep(delay);
    delay = Math.min(delay * 2, 2000);
  }
}

/** The program was started, but its end could not be seen: the agent went away meanwhile. */
export class GuestExecLostError extends Error {
  constructor(vm: GuestVm, program: string, pid: number, cause: unknown) {
    super(
      `${vm.name}: the guest agent went away while ${program} (guest pid ${pid}) ran; it may or may not have finished`,
      { cause },
    );
    this.name = 'GuestExecLostError';
  }
}

interface ExecStatus {
  exited?: number | boolean;
  exitcode?: number;
  signal?: number;
  'out-data'?: string;
  'err-data'?: string;
  'out-truncated'?: number | boolean;
  'err-truncated'?: number | boolean;
}
