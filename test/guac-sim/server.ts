/**
 * The request pipeline: Tomcat serving the webapp under its context path (`/guacamole` by
 * default, WEBAPP_CONTEXT), JAX-RS routing, the session check for everything under
 * `/api/session/`, JSON in and out, and the error shape of errors.ts. Every request is recorded.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Access } from './access.js';
import { ApiFailure, notFound, sessionRefused } from './errors.js';
import type { GuacSimState, SimUser } from './state.js';
import type { Sessions } from './sessions.js';

export interface RecordedRequest {
  method: string;
  /** Path below the context, without the query: `/api/session/data/postgresql/users`. */
  path: string;
  query: Record<string, string>;
  /** The parsed JSON or form body. */
  body: unknown;
  status: number;
  /** The session's user, when the request carried a valid token. */
  user?: string;
  /** How the token came: the `Guacamole-Token` header or the `token` query parameter. */
  tokenVia?: 'header' | 'query';
  at: number;
}

export interface RouteContext {
  state: GuacSimState;
  sessions: Sessions;
  params: Record<string, string>;
  query: Record<string, string>;
  /** Every value of each query parameter, in order (`contains` may be given several times). */
  queryAll: Record<string, string[]>;
  body: unknown;
  remoteHost: string;
  /** The caller's session; set on every route below /api/session/. */
  access: Access;
  token: string | undefined;
}

export interface Answer {
  status: number;
  json?: unknown;
}

export type RouteHandler = (ctx: RouteContext) => Answer | Promise<Answer>;

export interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: RouteHandler;
  /** False only for the token endpoints and public resources. */
  session: boolean;
}

/** `/api/session/data/:ds/users/:user` → a Route. */
export function route(method: string, template: string, handler: RouteHandler, session = true): Route {
  const names: string[] = [];
  const pattern = new RegExp(
    '^' +
      template.replace(/:([a-zA-Z]+)/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      }) +
      '/?$',
  );
  return { method, pattern, names, handler, session };
}

export interface ServerOptions {
  context: string;
  tls?: { key: string; cert: string };
  state: GuacSimState;
  sessions: Sessions;
  routes: Route[];
  requests: RecordedRequest[];
  now: () => number;
  /** Requests whose path no route knows (answered 404 as JAX-RS does). */
  unhandled: { method: string; path: string }[];
  /** Called after every successful request other than a GET (the standalone server's state file). */
  afterChange?: () => void;
}

export function createSimServer(options: ServerOptions) {
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void respond(options, req, Buffer.concat(chunks).toString('utf8')).then(({ status, json, record }) => {
        options.requests.push(record);
        if (record.method !== 'GET' && status < 300) options.afterChange?.();
        const text = json === undefined ? '' : JSON.stringify(json);
        res.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json' });
        res.end(text);
      });
    });
  };
  return options.tls ? createHttpsServer(options.tls, handle) : createHttpServer(handle);
}

async function respond(options: ServerOptions, req: IncomingMessage, raw: string) {
  const url = new URL(req.url ?? '/', 'http://sim');
  const method = (req.method ?? 'GET').toUpperCase();
  const query = Object.fromEntries(url.searchParams);
  const path = url.pathname.startsWith(options.context)
    ? url.pathname.slice(options.context.length) || '/'
    : url.pathname;
  const record: RecordedRequest = { method, path, query, body: undefined, status: 0, at: options.now() };
  const finish = (status: number, json?: unknown) => {
    record.status = status;
    return { status, json, record };
  };
  try {
    if (!url.pathname.startsWith(options.context + '/')) throw notFound(url.pathname);
    const body = parseBody(req.headers['content-type'], raw);
    record.body = body;
    let match: { route: Route; params: Record<string, string> } | undefined;
    let pathKnown = false;
    for (const r of options.routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      pathKnown = true;
      if (r.method !== method) continue;
      match = {
        route: r,
        params: Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])),
      };
      break;
    }
    if (!match) {
      options.unhandled.push({ method, path });
      // JAX-RS: 405 for a known path with another method, else 404.
      return finish(pathKnown ? 405 : 404);
    }
    const headerToken = req.headers['guacamole-token'];
    const token = typeof headerToken === 'string' && headerToken ? headerToken : query.token || undefined;
    if (token) record.tokenVia = typeof headerToken === 'string' && headerToken ? 'header' : 'query';
    let user: SimUser | undefined;
    if (match.params.ds !== undefined && match.params.ds !== 'postgresql')
      throw notFound(`No such data source: ${match.params.ds}`);
    if (match.route.session) {
      user = token ? options.sessions.touch(token) : undefined;
      if (!user) throw sessionRefused();
      record.user = user.username;
    }
    const answer = await match.route.handler({
      state: options.state,
      sessions: options.sessions,
      params: match.params,
      query,
      queryAll: queryAll(url.searchParams),
      body,
      remoteHost: req.socket.remoteAddress ?? '',
      access: new Access(options.state, user ?? (undefined as unknown as SimUser)),
      token,
    });
    return finish(answer.status, answer.json);
  } catch (error) {
    if (error instanceof ApiFailure) return finish(error.status, error.body());
    const failure = new ApiFailure(
      'INTERNAL_ERROR',
      `Unexpected internal error: ${(error as Error).message}`,
    );
    return finish(500, failure.body());
  }
}

function queryAll(params: URLSearchParams): Record<string, string[]> {
  const all: Record<string, string[]> = {};
  for (const [key, value] of params) (all[key] ??= []).push(value);
  return all;
}

function parseBody(contentType: string | undefined, raw: string): unknown {
  if (!raw) return undefined;
  if (contentType?.startsWith('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(raw));
  if (contentType?.startsWith('application/json')) {
    try {
      return JSON.parse(raw);
    } catch {
      throw new ApiFailure('BAD_REQUEST', 'Malformed JSON body');
    }
  }
  // JAX-RS: a body of a type no resource consumes.
  throw new ApiFailure('BAD_REQUEST', `Unsupported content type ${contentType ?? '(none)'}`);
}
