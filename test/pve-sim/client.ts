/**
 * A bare HTTP client for the simulator's own tests: undici fetch trusting exactly the sim's
 * self-signed certificate. Deliberately not the product's client (lib/proxmox), so the sim is
 * tested on its own.
 */
import { Agent, fetch } from 'undici';
import type { PveSim } from './index.js';

export interface SimResponse {
  status: number;
  statusText: string;
  body: any;
  contentType: string | null;
}

export interface CallOptions {
  auth?: 'token' | 'none' | { ticket: string; csrf?: string };
  json?: boolean;
  headers?: Record<string, string>;
}

export function simClient(sim: PveSim) {
  const dispatcher = new Agent({ connect: { ca: sim.caPem } });
  async function call(
    method: string,
    path: string,
    params: Record<string, string | number | string[]> = {},
    opts: CallOptions = {},
  ): Promise<SimResponse> {
    const headers: Record<string, string> = { ...opts.headers };
    const auth = opts.auth ?? 'token';
    if (auth === 'token') headers.Authorization = `PVEAPIToken=${sim.token.id}=${sim.token.secret}`;
    else if (auth !== 'none') {
      headers.Cookie = `PVEAuthCookie=${encodeURIComponent(auth.ticket)}`;
      if (auth.csrf) headers.CSRFPreventionToken = auth.csrf;
    }
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(params))
      for (const x of Array.isArray(v) ? v : [v]) form.append(k, String(x));
    let url = `${sim.url}/api2/json${path}`;
    let body: string | undefined;
    if (method === 'GET' || method === 'DELETE') {
      if ([...form].length) url += `?${form}`;
    } else if (opts.json) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(params);
    } else {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = form.toString();
    }
    const res = await fetch(url, { method, headers, body, dispatcher });
    const text = await res.text();
    return {
      status: res.status,
      statusText: res.statusText,
      body: text ? JSON.parse(text) : undefined,
      contentType: res.headers.get('content-type'),
    };
  }
  async function waitTask(
    node: string,
    upid: string,
    timeoutMs = 20_000,
  ): Promise<{ status: string; exitstatus?: string }> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await call('GET', `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`);
      if (r.status !== 200) throw new Error(`task status ${r.status} ${r.statusText}`);
      if (r.body.data.status === 'stopped') return r.body.data;
      if (Date.now() > end) throw new Error(`task ${upid} still running`);
      await new Promise((res) => setTimeout(res, 10));
    }
  }
  return { call, waitTask, close: () => dispatcher.close() };
}
