/**
 * Handlers by schema path template and method, mirroring PVE's API tree. The server matches the
 * request against the schema first (so unknown paths/methods are PVE's 501), then looks up here.
 */
import type { SimCore } from './core.js';
import type { RawParams } from './schema/params.js';

export interface HandlerContext {
  sim: SimCore;
  method: string;
  path: string;
  template: string;
  params: RawParams;
  /** The acting user ('root@pam', 'novastation@pve!site'), or undefined for /access/ticket. */
  user: string;
  authKind: 'token' | 'ticket' | 'none';
  /** Raw upload (multipart file) for /storage/{storage}/upload. */
  upload?: { filename: string; data: Buffer };
}

export interface HandlerResult {
  data: unknown;
  total?: number;
}

export type Handler = (ctx: HandlerContext) => unknown | Promise<unknown>;

export class Router {
  private readonly routes = new Map<string, Handler>();

  add(method: string, template: string, handler: Handler): this {
    this.routes.set(`${method} ${template}`, handler);
    return this;
  }

  find(method: string, template: string): Handler | undefined {
    return this.routes.get(`${method} ${template}`);
  }

  /** Every route as `METHOD /template`: the list the API contract covers (contract/README.md). */
  list(): string[] {
    return [...this.routes.keys()];
  }
}

/** A handler may return `withTotal(data, n)` to add PVE's `total` (task log, lists). */
export class WithTotal {
  constructor(
    readonly data: unknown,
    readonly total: number,
  ) {}
}
