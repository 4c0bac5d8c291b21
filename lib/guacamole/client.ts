/**
 * A client of Guacamole's REST API (undocumented but stable; research notes §2): a login
 * (`POST /api/tokens`, form-encoded) gives a token and the data source (`postgresql`); every later
 * request carries the token in the `Guacamole-Token` header (1.4+) — never in the query string,
 * where it would land in access logs — and goes to `/api/session/data/{dataSource}/…`.
 *
 * Retries follow lib/proxmox/retry.ts's rule: a GET is retried on network errors and 502–504;
 * a write only when it certainly never left (connection refused); a write whose answer was lost is
 * never re-sent (GuacamoleApiError.answerLost: re-read the state). A session that expired (idle
 * longer than `api-session-timeout`) is noticed by a 403 whose check (`GET self`) also fails: the
 * client logs in again once and resends — the request was refused before it did anything.
 */
import type { Agent } from 'undici';
import { processMasker, type Secret } from '../secret.js';
import { undici } from '../proxmox/lazy-deps.js';
import { backoffMs, classifyNetworkError, DEFAULT_RETRY, sleep, type RetryPolicy } from '../proxmox/retry.js';
import { GuacamoleApiError, GuacamoleLoginError } from './errors.js';
import { createGuacamoleDispatcher, guacamoleTlsRefusal } from './tls.js';
import { parseWebappUrl, type WebappUrl } from './url.js';

export interface GuacamoleCredentials {
  username: string;
  password: Secret;
}

export interface GuacamoleClientOptions {
  /** The webapp's base URL: `https://gw.example/guacamole`, or `http://127.0.0.1:8080/guacamole`. */
  url: string;
  fingerprint?: string;
  caFile?: string;
  retry?: Partial<RetryPolicy>;
  requestTimeoutMs?: number;
  log?: (line: string) => void;
}

interface Answer {
  status: number;
  body: unknown;
}

type Failure = { kind: 'answer'; status: number } | { kind: 'not-sent' | 'lost' | 'final' };

export class GuacamoleClient {
  readonly stats = { requests: 0, writes: 0 };
  readonly #url: WebappUrl;
  readonly #dispatcher: Agent;
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #log: ((line: string) => void) | undefined;
  #token: string | undefined;
  #credentials: GuacamoleCredentials | undefined;
  #dataSource: string | undefined;
  #username: string | undefined;

  constructor(options: GuacamoleClientOptions) {
    this.#url = parseWebappUrl(options.url);
    this.#dispatcher = createGuacamoleDispatcher({
      ...(options.fingerprint ? { fingerprint: options.fingerprint } : {}),
      ...(options.caFile ? { caFile: options.caFile } : {}),
    });
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#log = options.log;
  }

  /** The data source the login named (`postgresql` with the JDBC PostgreSQL backend). */
  get dataSource(): string {
    if (!this.#dataSource) throw new Error('Guacamole client: not logged in');
    return this.#dataSource;
  }

  /** Who the client is logged in as. */
  get username(): string | undefined {
    return this.#username;
  }

  /**
   * Logs in (`POST /api/tokens`); throws GuacamoleLoginError when the webapp refuses the
   * credentials (wrong password, unknown or disabled user). Idempotent reads: retried like a GET.
   */
  async login(credentials: GuacamoleCredentials): Promise<void> {
    const form = new URLSearchParams({
      username: credentials.username,
      password: credentials.password.reveal(),
    });
    const answer = await this.#send('POST', '/api/tokens', form.toString(), 'form', true);
    if (answer.status !== 200) {
      const init = this.#errorInit('POST', '/api/tokens', answer);
      init.message = `login as ${credentials.username} refused: ${init.message}`;
      throw answer.status === 403
        ? new GuacamoleLoginError(credentials.username, init)
        : new GuacamoleApiError(init);
    }
    const body = answer.body as { authToken?: unknown; dataSource?: unknown; username?: unknown } | undefined;
    if (typeof body?.authToken !== 'string' || typeof body.dataSource !== 'string')
      throw new GuacamoleApiError({
        status: 200,
        method: 'POST',
        path: '/api/tokens',
        message: 'the answer has no token or data source',
      });
    await this.logout();
    this.#token = body.authToken;
    this.#dataSource = body.dataSource;
    this.#username = typeof body.username === 'string' ? body.username : credentials.username;
    this.#credentials = credentials;
    // A token is a credential: keep it out of every log and message.
    processMasker.add(body.authToken);
  }

  /** Ends the session (`DELETE /api/tokens/{token}`); errors are ignored: the session expires anyway. */
  async logout(): Promise<void> {
    const token = this.#token;
    if (!token) return;
    this.#token = undefined;
    await this.#send('DELETE', `/api/tokens/${encodeURIComponent(token)}`, undefined, 'json', false).catch(
      () => undefined,
    );
  }

  /** `GET /api/session/data/{ds}{path}`. */
  get<T>(path: string): Promise<T> {
    return this.#session<T>('GET', path);
  }

  /** A write below the data source with a JSON body; returns the answer's JSON (POST) or undefined (204). */
  write<T = unknown>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.#session<T>(method, path, body);
  }

  async close(): Promise<void> {
    await this.logout();
    await this.#dispatcher.close();
  }

  async #session<T>(method: string, path: string, body?: unknown, relogged = false): Promise<T> {
    if (!this.#token) throw new Error('Guacamole client: not logged in');
    const full = `/api/session/data/${encodeURIComponent(this.dataSource)}${path}`;
    const answer = await this.#send(
      method,
      full,
      body === undefined ? undefined : JSON.stringify(body),
      'json',
      method === 'GET',
    );
    if (answer.status >= 200 && answer.status < 300) return answer.body as T;
    if (answer.status === 403 && !relogged && this.#credentials && (await this.#sessionGone())) {
      this.#log?.(`guacamole: session expired; logging in again as ${this.#credentials.username}`);
      await this.login(this.#credentials);
      return this.#session<T>(method, path, body, true);
    }
    throw new GuacamoleApiError(this.#errorInit(method, path, answer));
  }

  /** After a 403: is it the session that is gone, rather than a permission the user lacks? */
  async #sessionGone(): Promise<boolean> {
    const probe = await this.#send(
      'GET',
      `/api/session/data/${encodeURIComponent(this.dataSource)}/self`,
      undefined,
      'json',
      true,
    );
    return probe.status === 403;
  }

  async #send(
    method: string,
    path: string,
    body: string | undefined,
    kind: 'json' | 'form',
    idempotent: boolean,
  ): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.#attempt(method, path, body, kind);
      if ('answer' in result) {
        const retryable = idempotent && result.answer.status >= 502 && result.answer.status <= 504;
        if (!retryable || attempt >= this.#retry.attempts) return result.answer;
      } else {
        const { failure, error } = result;
        const again = failure.kind === 'not-sent' || (failure.kind === 'lost' && idempotent);
        if (!again || attempt >= this.#retry.attempts) throw error;
      }
      const delay = backoffMs(attempt, this.#retry);
      this.#log?.(
        processMasker.mask(
          `guacamole: ${method} ${path}: attempt ${attempt + 1}/${this.#retry.attempts} in ${delay} ms`,
        ),
      );
      await sleep(delay);
    }
  }

  async #attempt(
    method: string,
    path: string,
    body: string | undefined,
    kind: 'json' | 'form',
  ): Promise<{ answer: Answer } | { failure: Failure; error: GuacamoleApiError }> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'novastation' };
    if (this.#token && !path.startsWith('/api/tokens')) headers['guacamole-token'] = this.#token;
    if (body !== undefined)
      headers['content-type'] = kind === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
    const write = method !== 'GET';
    this.stats.requests++;
    if (write && !path.startsWith('/api/tokens')) this.stats.writes++;
    try {
      const res = await undici().fetch(`${this.#url.origin}${this.#url.context}${path}`, {
        method,
        headers,
        body: body ?? null,
        dispatcher: this.#dispatcher,
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: 'manual',
      });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      this.#log?.(processMasker.mask(`guacamole: ${method} ${path} → ${res.status}`));
      return { answer: { status: res.status, body: parsed } };
    } catch (cause) {
      const tls = guacamoleTlsRefusal(cause, this.#url.origin);
      if (tls)
        return {
          failure: { kind: 'final' },
          error: new GuacamoleApiError({
            status: 0,
            method,
            path: safe(path),
            message: tls.message,
            cause: tls,
          }),
        };
      const failure = classifyNetworkError(cause);
      const lost = failure.kind === 'lost' && write;
      const message = lost
        ? `answer lost (${failure.reason}); the request may or may not have been carried out: re-read the state before trying again`
        : `${failure.kind === 'not-sent' ? 'cannot connect' : 'no answer'} (${failure.reason})`;
      return {
        failure,
        error: new GuacamoleApiError({
          status: 0,
          method,
          path: safe(path),
          message,
          answerLost: lost,
          cause,
        }),
      };
    }
  }

  #errorInit(method: string, path: string, answer: Answer) {
    const body = answer.body as { message?: unknown; type?: unknown } | undefined;
    return {
      status: answer.status,
      method,
      path: safe(path),
      message: typeof body?.message === 'string' ? body.message : `HTTP ${answer.status}`,
      ...(typeof body?.type === 'string' ? { type: body.type } : {}),
    };
  }
}

/** A path for messages: a token in a logout path is not shown. */
function safe(path: string): string {
  return path.startsWith('/api/tokens/') ? '/api/tokens/…' : path;
}
