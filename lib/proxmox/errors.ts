/**
 * Typed Proxmox errors. proxmox-api's own engine throws plain strings ("GET … return Error 400
 * …: {json}"), so callers regex messages to learn what happened; here every failure is an object
 * with the HTTP status, the method and API path, Proxmox's message and its per-parameter
 * `errors`, and task failures carry the task's log. Messages pass through the process masker, so
 * a secret that Proxmox echoes back (e.g. in a "type check failed - got '…'" error) is scrubbed.
 */
import { processMasker } from '../secret.js';

export interface ProxmoxApiErrorInit {
  status: number;
  method: string;
  /** The API path without `/api2/json` and without the query: `/nodes/pve1/qemu`. */
  path: string;
  pveMessage: string;
  errors?: Record<string, string>;
  /** Set when a write was sent but its answer never came: it may or may not have been done. */
  answerLost?: boolean;
  cause?: unknown;
}

/**
 * An API call that failed. `status` is the HTTP status, or 0 when no answer was received
 * (connection refused, TLS refused, answer lost). `pveMessage` is Proxmox's message: the body's
 * `message` (pve-http-server ≥ 5.2) or else the HTTP reason phrase, where older servers put it.
 */
export class ProxmoxApiError extends Error {
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly pveMessage: string;
  readonly errors?: Record<string, string>;
  readonly answerLost: boolean;
  constructor(init: ProxmoxApiErrorInit) {
    const pveMessage = processMasker.mask(init.pveMessage);
    const errors = init.errors ? maskErrors(init.errors) : undefined;
    super(
      formatApiError(init.method, init.path, init.status, pveMessage, errors),
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = 'ProxmoxApiError';
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.pveMessage = pveMessage;
    if (errors) this.errors = errors;
    this.answerLost = init.answerLost ?? false;
  }
}

/** A task (UPID) that ended with an error: its exit status and the lines of its log. */
export class ProxmoxTaskError extends Error {
  readonly upid: string;
  readonly exitstatus: string;
  readonly log: string[];
  constructor(upid: string, exitstatus: string, log: string[], message?: string) {
    const masked = log.map((line) => processMasker.mask(line));
    super(processMasker.mask(message ?? formatTaskError(upid, exitstatus, masked)));
    this.name = 'ProxmoxTaskError';
    this.upid = upid;
    this.exitstatus = processMasker.mask(exitstatus);
    this.log = masked;
  }
}

/** A task that was still running when the wait ran out (it is not stopped: it may still finish). */
export class ProxmoxTaskTimeoutError extends ProxmoxTaskError {
  readonly waitedMs: number;
  constructor(upid: string, waitedMs: number) {
    super(
      upid,
      'running',
      [],
      `task ${upid} still running after waiting ${formatSeconds(waitedMs)} (it was not stopped; re-read its status later)`,
    );
    this.name = 'ProxmoxTaskTimeoutError';
    this.waitedMs = waitedMs;
  }
}

function formatApiError(
  method: string,
  path: string,
  status: number,
  pveMessage: string,
  errors?: Record<string, string>,
): string {
  const head = `Proxmox ${method} ${path} failed: ${status === 0 ? '' : `${status} `}${pveMessage}`;
  const details = errors ? Object.entries(errors).map(([param, text]) => `${param}: ${text.trim()}`) : [];
  return details.length ? `${head} (${details.join('; ')})` : head;
}

/** How many log lines the message shows; the whole log is on `.log`. */
const LOG_TAIL = 20;

function formatTaskError(upid: string, exitstatus: string, log: string[]): string {
  const tail = log.slice(-LOG_TAIL);
  const shown = tail.length
    ? `\n${log.length > tail.length ? '  …\n' : ''}${tail.map((l) => `  ${l}`).join('\n')}`
    : '';
  return `task ${upid} failed: ${exitstatus}${shown}`;
}

function maskErrors(errors: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, processMasker.mask(String(v))]));
}

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
