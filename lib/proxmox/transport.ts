/**
 * Our own ApiRequestable for proxmox-api's typed proxy, in place of its ProxmoxEngine, because
 * that engine re-sends any request (POSTs included) after a network error, has no default port,
 * throws plain strings and wants TLS checks off process-wide. This one sends each request over
 * a per-connection undici Agent (see tls.ts), parses `{data}`, turns failures into
 * ProxmoxApiError, and retries only what retry.ts says is safe.
 */
import type { ApiRequestable } from 'proxmox-api';
import type { Agent, FormData } from 'undici';
import { undici } from './lazy-deps.js';
import { processMasker, type Secret } from '../secret.js';
import type { Auth, TicketGrant } from './auth.js';
import { encodeParams, isWriteMethod, safePath, type EncodedRequest, type Params } from './encode.js';
import { ProxmoxApiError } from './errors.js';
import {
  backoffMs,
  classifyNetworkError,
  shouldRetry,
  sleep,
  type Failure,
  type RetryPolicy,
} from './retry.js';
import { tlsRefusal } from './tls.js';

export const API_PREFIX = '/api2/json';

export interface TransportOptions {
  /** `https://host:port` (no path). */
  origin: string;
  dispatcher: Agent;
  retry: RetryPolicy;
  requestTimeoutMs: number;
  usingCaFile: boolean;
  log?: (line: string) => void;
}

/** What is sent: the query string and a form or multipart body. */
type Outgoing = Omit<EncodedRequest, 'body'> & { body?: string | FormData; timeoutMs?: number };

/** A complete answer from the server. */
interface Answer {
  status: number;
  statusText: string;
  body: { data?: unknown; message?: unknown; errors?: unknown; [key: string]: unknown } | undefined;
}

export class ProxmoxTransport implements ApiRequestable {
  readonly stats = { requests: 0, writes: 0 };
  auth: Auth | undefined;

  constructor(private readonly options: TransportOptions) {}

  /** proxmox-api calls this with `/api2/json/…` paths. Returns the answer's `data`. */
  async doRequest(httpMethod: string, path: string, _pathTemplate: string, params?: Params): Promise<any> {
    const body = await this.request(
      httpMethod,
      path.startsWith(API_PREFIX) ? path.slice(API_PREFIX.length) : path,
      params,
    );
    return body?.data ?? null;
  }

  /**
   * Sends `method path` (API path without /api2/json) with retries; returns the whole JSON body.
   * `form` replaces the parameters with a multipart body (the storage upload API).
   */
  async request(
    httpMethod: string,
    apiPath: string,
    params?: Params,
    extra: { form?: FormData; timeoutMs?: number } = {},
  ): Promise<Answer['body']> {
    const method = httpMethod.toUpperCase();
    const path = safePath(apiPath);
    const encoded: Outgoing = extra.form ? { query: '', body: extra.form } : encodeParams(method, params);
    if (extra.timeoutMs !== undefined) encoded.timeoutMs = extra.timeoutMs;
    const { retry } = this.options;
    for (let attempt = 1; ; attempt++) {
      const result = await this.#attempt(method, path, encoded);
      if (!('failure' in result)) return result.body;
      const { failure, error } = result;
      if (attempt >= retry.attempts || !shouldRetry(method, failure)) throw error;
      const delay = backoffMs(attempt, retry);
      this.#log(
        `${method} ${path}: ${describe(failure)}; attempt ${attempt + 1}/${retry.attempts} in ${delay} ms`,
      );
      await sleep(delay);
    }
  }

  /** Logs in with a password (POST /access/ticket), retried like a GET: it changes nothing. */
  async login(username: string, password: Secret): Promise<TicketGrant> {
    const encoded = encodeParams('POST', { username, password });
    const path = '/access/ticket';
    for (let attempt = 1; ; attempt++) {
      const result = await this.#send('POST', path, encoded, {}, false);
      if (!('failure' in result)) {
        const data = result.body?.data as { ticket?: unknown; CSRFPreventionToken?: unknown } | undefined;
        if (typeof data?.ticket === 'string' && typeof data.CSRFPreventionToken === 'string') {
          return { ticket: data.ticket, csrf: data.CSRFPreventionToken };
        }
        throw new ProxmoxApiError({
          status: 200,
          method: 'POST',
          path,
          pveMessage: `login as ${username}: the answer has no ticket`,
        });
      }
      const { failure, error } = result;
      if (
        attempt >= this.options.retry.attempts ||
        !shouldRetry('GET', failure) ||
        (failure.kind === 'answer' && failure.status < 500)
      ) {
        throw failure.kind === 'answer'
          ? new ProxmoxApiError({
              status: error.status,
              method: 'POST',
              path,
              pveMessage: `login as ${username} refused: ${error.pveMessage}`,
            })
          : error;
      }
      await sleep(backoffMs(attempt, this.options.retry));
    }
  }

  /** One attempt, with one fresh login if a ticket was refused (401: nothing was done). */
  async #attempt(method: string, path: string, encoded: Outgoing) {
    let headers: Record<string, string>;
    try {
      headers = (await this.auth?.headers(method)) ?? {};
    } catch (error) {
      // The login failed; the request itself was never sent.
      return {
        failure: { kind: 'final', reason: 'login failed' } as Failure,
        error: asApiError(error, method, path),
      };
    }
    const result = await this.#send(method, path, encoded, headers, true);
    if (
      'failure' in result &&
      result.failure.kind === 'answer' &&
      result.failure.status === 401 &&
      this.auth?.rejected()
    ) {
      this.#log(`${method} ${path}: ticket refused (401); logging in again`);
      try {
        headers = await this.auth.headers(method);
      } catch (error) {
        return {
          failure: { kind: 'final', reason: 'login failed' } as Failure,
          error: asApiError(error, method, path),
        };
      }
      return this.#send(method, path, encoded, headers, true);
    }
    return result;
  }

  async #send(
    method: string,
    path: string,
    encoded: Outgoing,
    auth: Record<string, string>,
    countAsWrite: boolean,
  ): Promise<{ body: Answer['body'] } | { failure: Failure; error: ProxmoxApiError }> {
    const url = `${this.options.origin}${API_PREFIX}${path}${encoded.query ? `?${encoded.query}` : ''}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'novastation',
      ...auth,
    };
    // A multipart body sets its own content type (with the boundary).
    if (typeof encoded.body === 'string') headers['content-type'] = 'application/x-www-form-urlencoded';
    const write = isWriteMethod(method);
    this.stats.requests++;
    if (write && countAsWrite) this.stats.writes++;
    const started = Date.now();
    let answer: Answer;
    try {
      const res = await undici().fetch(url, {
        method,
        headers,
        body: encoded.body ?? null,
        dispatcher: this.options.dispatcher,
        signal: AbortSignal.timeout(encoded.timeoutMs ?? this.options.requestTimeoutMs),
        redirect: 'manual',
      });
      const text = await res.text();
      answer = { status: res.status, statusText: res.statusText, body: parseJson(text) };
    } catch (cause) {
      const tls = tlsRefusal(cause, this.options.origin, this.options.usingCaFile);
      if (tls)
        return {
          failure: { kind: 'final', reason: tls.message },
          error: new ProxmoxApiError({ status: 0, method, path, pveMessage: tls.message, cause: tls }),
        };
      const failure = classifyNetworkError(cause);
      this.#log(`${method} ${path}: ${describe(failure)} after ${Date.now() - started} ms`);
      const lost = failure.kind === 'lost' && write;
      const pveMessage = lost
        ? `answer lost (${failure.reason}); the request may or may not have been carried out: state unknown, re-read it before trying again`
        : `${failure.kind === 'not-sent' ? 'cannot connect' : 'no answer'} (${failure.reason})`;
      return {
        failure,
        error: new ProxmoxApiError({ status: 0, method, path, pveMessage, answerLost: lost, cause }),
      };
    }
    this.#log(`${method} ${path} → ${answer.status} in ${Date.now() - started} ms`);
    if (answer.status === 200) {
      if (answer.body !== undefined) return { body: answer.body };
      const error = new ProxmoxApiError({
        status: 200,
        method,
        path,
        pveMessage: 'the answer is not JSON',
        answerLost: write,
      });
      return { failure: { kind: 'lost', reason: error.pveMessage }, error };
    }
    const pveMessage = messageOf(answer);
    const errors = errorsOf(answer.body?.errors);
    const error = new ProxmoxApiError({
      status: answer.status,
      method,
      path,
      pveMessage,
      ...(errors ? { errors } : {}),
    });
    return { failure: { kind: 'answer', status: answer.status, message: pveMessage }, error };
  }

  #log(line: string): void {
    this.options.log?.(processMasker.mask(`proxmox: ${line}`));
  }
}

function parseJson(text: string): Answer['body'] {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Answer['body'])
      : undefined;
  } catch {
    return undefined;
  }
}

/** Proxmox's message: the body's `message` (pve-http-server ≥ 5.2), else the reason phrase. */
function messageOf(answer: Answer): string {
  const fromBody = typeof answer.body?.message === 'string' ? answer.body.message.trim() : '';
  return fromBody || answer.statusText.trim() || `HTTP ${answer.status}`;
}

function errorsOf(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => [k, String(v).trim()] as const,
  );
  return entries.length ? Object.fromEntries(entries) : undefined;
}

function asApiError(error: unknown, method: string, path: string): ProxmoxApiError {
  if (error instanceof ProxmoxApiError) return error;
  return new ProxmoxApiError({
    status: 0,
    method,
    path,
    pveMessage: error instanceof Error ? error.message : String(error),
    cause: error,
  });
}

function describe(failure: Failure): string {
  return failure.kind === 'answer'
    ? `${failure.status} ${failure.message}`
    : `${failure.kind}: ${failure.reason}`;
}
