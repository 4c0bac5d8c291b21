/**
 * What may be sent again, so roles never retry by hand.
 *
 * - A GET changes nothing: it is retried on network errors and on 5xx answers, except 501 and
 *   the 500s that are a definite answer ("… does not exist", "… not running": asking again
 *   gives the same answer, and roles read a missing VM's config to learn that it is missing).
 * - A write (POST/PUT/DELETE) is retried only when the answer says nothing was done: a 500
 *   "VM N is locked (…)" or "can't lock file '…' - got timeout" (qemu-server takes the config
 *   lock before it changes anything), or when the connection could not even be opened.
 * - A write whose answer was lost (connection dropped, timeout) is never sent again: it may
 *   have been carried out (a create or clone would then run twice), so the caller gets a
 *   ProxmoxApiError with status 0 and `answerLost`, and re-reads the state.
 * - TLS refusals are never retried: they do not go away by asking again.
 *
 * 596 is pveproxy's "could not reach the node that should handle this" — for a write it is
 * unknown whether the other node received it, so only GETs retry it.
 */

/** Why an attempt failed, as far as retrying is concerned. */
export type Failure =
  | { kind: 'answer'; status: number; message: string }
  /** nothing reached the server: connect refused/timed out, DNS */
  | { kind: 'not-sent'; reason: string }
  /** sent (or possibly sent), but no complete answer came back */
  | { kind: 'lost'; reason: string }
  /** refused for good (TLS, failed login): asking again cannot help */
  | { kind: 'final'; reason: string };

export interface RetryPolicy {
  /** Total attempts, the first included (default 6). */
  attempts: number;
  /** First delay (default 250 ms); doubles each time, with jitter. */
  baseMs: number;
  /** Cap on one delay (default 5 s). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 250, maxDelayMs: 5000 };

const LOCK_CONTENTION = [
  /^VM \d+ is locked \(/i,
  /can't lock file '[^']*' - got timeout/i,
  /^CT \d+ is locked \(/i,
];
const DEFINITE_500 = [
  /does not exist/i,
  /not running/i,
  /no such /i,
  /already exists/i,
  /not a template/i,
  /permission/i,
  /not allowed/i,
  /not implemented/i,
];

/** True when a write's answer says the server did nothing because of a lock held by someone else. */
export function isLockContention(message: string): boolean {
  return LOCK_CONTENTION.some((re) => re.test(message.trim()));
}

export function shouldRetry(method: string, failure: Failure): boolean {
  const read = method === 'GET';
  switch (failure.kind) {
    case 'final':
      return false;
    case 'not-sent':
      return true;
    case 'lost':
      return read;
    case 'answer':
      if (failure.status === 500 && isLockContention(failure.message)) return true;
      if (!read) return false;
      if (failure.status === 500) return !DEFINITE_500.some((re) => re.test(failure.message));
      return failure.status >= 502 || failure.status === 596;
  }
}

/** Delay before attempt `attempt + 1` (attempt counts from 1): exponential, capped, 50–100 % jitter. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** Network error codes that mean the request never left: safe to send again, even a write. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'EADDRNOTAVAIL',
]);

/** Classifies an exception from fetch (undici wraps the real error in `cause`). */
export function classifyNetworkError(error: unknown): Extract<Failure, { kind: 'not-sent' | 'lost' }> {
  const chain: unknown[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++)
    chain.push(e);
  const codes = chain
    .map((e) => (e as { code?: unknown }).code)
    .filter((c): c is string => typeof c === 'string');
  const deepest = chain[chain.length - 1] as { message?: string; name?: string } | undefined;
  const reason = [codes[codes.length - 1], deepest?.message ?? String(deepest)].filter(Boolean).join(': ');
  if (codes.some((c) => NOT_SENT_CODES.has(c))) return { kind: 'not-sent', reason };
  if (chain.some((e) => (e as { name?: string }).name === 'TimeoutError'))
    return { kind: 'lost', reason: `no answer in time (${reason})` };
  return { kind: 'lost', reason };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
