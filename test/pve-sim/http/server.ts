/**
 * The HTTPS front end (plain node:https), in PVE's order: auth (401, delayed), the schema's path
 * and method (501), `allowtoken` (403), parameters (400), permissions (403), then the handler
 * (200 `{"data":…}` or its error). Every request is recorded; schema rejections also go to
 * `violations`. Faults hook in before the handler (HTTP 500) and after it (500 or a dropped
 * connection: the work is done, the answer is lost).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimCore } from '../core.js';
import type { Router } from '../router.js';
import { WithTotal } from '../router.js';
import { validateParams, type RawParams } from '../schema/params.js';
import { sleep } from '../state/clock.js';
import { Auth, type AuthResult } from './auth.js';
import { parseBody, parseQuery, readBody } from './body.js';
import { PveError, authError, notImplemented, paramError, permError, reasonPhrase } from './errors.js';
import { checkPermissions } from './permissions.js';

export interface RecordedRequest {
  method: string;
  /** Path below /api2/json, as sent (URL-encoded). */
  path: string;
  params: RawParams;
  status: number;
  auth: 'token' | 'ticket' | 'none';
  at: number;
  user?: string;
  /** The schema template the path matched, if any. */
  template?: string;
}

export interface SchemaViolation {
  method: string;
  path: string;
  status: number;
  /** 'path' | 'method' | 'params' | 'allowtoken' */
  kind: string;
  reason: string;
  errors?: Record<string, string>;
  params: RawParams;
  at: number;
}

export interface ServerHooks {
  requests: RecordedRequest[];
  violations: SchemaViolation[];
  unhandled: { method: string; template: string }[];
  listeners: ((r: RecordedRequest) => void)[];
}

const JSON_CT = 'application/json;charset=UTF-8';

export function createSimServer(
  sim: SimCore,
  auth: Auth,
  router: Router,
  hooks: ServerHooks,
  tls: { key: string; cert: string },
): Server {
  return createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    handle(sim, auth, router, hooks, req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, new PveError(500, `${e instanceof Error ? e.message : String(e)}\n`));
    });
  });
}

function send(res: ServerResponse, result: PveError | { data: unknown; total?: number }): number {
  if (result instanceof PveError) {
    const reason = reasonPhrase(result).replace(/[^\t\x20-\x7e]/g, '?');
    if (result.bare) {
      res.writeHead(result.status, reason, { 'Content-Length': 0 });
      res.end();
      return result.status;
    }
    const body: Record<string, unknown> = { data: null };
    if (result.errors) body.errors = result.errors;
    body.message = result.message;
    const text = JSON.stringify(body);
    res.writeHead(result.status, reason, {
      'Content-Type': JSON_CT,
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
    return result.status;
  }
  const body: Record<string, unknown> = { data: result.data ?? null };
  if (result.total !== undefined) body.total = result.total;
  const text = JSON.stringify(body);
  res.writeHead(200, 'OK', { 'Content-Type': JSON_CT, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
  return 200;
}

async function handle(
  sim: SimCore,
  auth: Auth,
  router: Router,
  hooks: ServerHooks,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'https://pve-sim');
  const at = sim.clock.now();
  const m = /^\/api2\/json(\/.*)?$/.exec(url.pathname);
  const path = m?.[1] ?? '/';
  const raw = await readBody(req);
  let params: RawParams = {};
  let upload: { filename: string; data: Buffer } | undefined;
  let authResult: AuthResult = { kind: 'none' };
  const record: RecordedRequest = { method, path, params, status: 0, auth: 'none', at };
  const finish = (result: PveError | { data: unknown; total?: number }) => {
    // A dropped connection: whatever was done stays done, the answer is lost.
    if (record.template && sim.faults.takeDrop(method, path)) {
      record.status = 0;
      req.socket.destroy();
      return;
    }
    record.status = send(res, result);
  };
  try {
    if (method === 'POST' || method === 'PUT')
      ({ params, upload } = parseBody(req.headers['content-type'], raw));
    parseQuery(url.search, params);
    record.params = params;
    if (!m) throw new PveError(501, 'no such uri\n');
    hooks.requests.push(record);
    hooks.listeners.forEach((fn) => fn(record));

    const early = sim.faults.takeHttp500(method, path, 'before');
    if (early) throw new PveError(500, `${early}\n`);

    // /access/ticket is open to the world (a stale cookie must not stop a new login).
    const loginPath = path === '/access/ticket' && !req.headers.authorization?.startsWith('PVEAPIToken=');
    try {
      authResult = loginPath ? { kind: 'none' } : auth.authenticate(method, req.headers);
    } catch (e) {
      await sleep(sim.timing.authFailureDelayMs);
      throw e;
    }
    record.auth = authResult.kind;
    record.user = authResult.user;

    const match = sim.schema.match(path);
    const schemaMethod = match?.entry.methods[method];
    if (match?.entry.outside.includes(method)) {
      // PVE has it, the contract does not describe it, so the simulator does not implement it:
      // a gap of the simulator (README "The contract"), not a request PVE would refuse.
      record.template = match.entry.template;
      hooks.unhandled.push({ method, template: match.entry.template });
      throw new PveError(501, `Method '${method} ${path}' not implemented by pve-sim\n`);
    }
    if (!match || !schemaMethod) {
      const err = notImplemented(method, path);
      hooks.violations.push({
        method,
        path,
        status: 501,
        kind: match ? 'method' : 'path',
        reason: err.message.trim(),
        params,
        at,
      });
      throw err;
    }
    record.template = match.entry.template;
    const anonymous = match.entry.template === '/access/ticket';
    if (authResult.kind === 'none' && !anonymous) {
      await sleep(sim.timing.authFailureDelayMs);
      throw authError('No ticket');
    }
    if (authResult.kind === 'token' && schemaMethod.allowtoken === 0) {
      const err = permError(`URI '${path}' not available with API token, need proper ticket.\n`);
      hooks.violations.push({
        method,
        path,
        status: 403,
        kind: 'allowtoken',
        reason: err.message.trim(),
        params,
        at,
      });
      throw err;
    }
    const { params: checked, errors } = validateParams(schemaMethod, { ...params, ...match.vars });
    if (Object.keys(errors).length) {
      hooks.violations.push({
        method,
        path,
        status: 400,
        kind: 'params',
        reason: 'Parameter verification failed.',
        errors,
        params,
        at,
      });
      throw paramError(errors);
    }
    const user = authResult.user ?? '';
    if (authResult.kind !== 'none') {
      const denied = checkPermissions(schemaMethod.permissions, checked, (p) => sim.hasPrivilege(user, p));
      if (denied) {
        sim.permissionDenials.push({ user, method, path, detail: denied });
        throw permError(denied);
      }
    }
    const handler = router.find(method, match.entry.template);
    if (!handler) {
      hooks.unhandled.push({ method, template: match.entry.template });
      throw new PveError(501, `Method '${method} ${path}' not implemented by pve-sim\n`);
    }
    const out = await handler({
      sim,
      method,
      path,
      template: match.entry.template,
      params: checked,
      user,
      authKind: authResult.kind,
      upload,
    });
    const late = sim.faults.takeHttp500(method, path, 'after');
    if (late) throw new PveError(500, `${late}\n`);
    finish(out instanceof WithTotal ? { data: out.data, total: out.total } : { data: out });
  } catch (e) {
    if (e instanceof PveError) finish(e);
    else finish(new PveError(500, `${e instanceof Error ? e.message : String(e)}\n`));
  }
}
