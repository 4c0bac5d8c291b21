/**
 * guac-sim: a simulator of Apache Guacamole 1.6's REST API with the PostgreSQL (JDBC) backend, for
 * tests and `npm run guac-sim`. See README.md for what is modelled and where each rule comes from.
 *
 *   const sim = await startGuacSim();            // http://127.0.0.1:PORT/guacamole, as Tomcat serves it
 *   const tls = await startGuacSim({ tls: true }); // https, self-signed: sim.caPem / sim.fingerprint
 *   // sim.requests, sim.writes(), sim.state, sim.advanceClock(ms), sim.recordSession(…), sim.close()
 */
import type { AddressInfo } from 'node:net';
import { makeCertificate } from '../pve-sim/http/tls.js';
import { buildRoutes } from './handlers/index.js';
import { createSimServer, type RecordedRequest } from './server.js';
import { loadState, saveState } from './persist.js';
import { Sessions } from './sessions.js';
import { DEFAULT_ADMIN, seedState, type GuacSimState } from './state.js';

export type { RecordedRequest } from './server.js';
export type { GuacSimState, SimUser, SimConnection, SimConnectionGroup, SimUserGroup } from './state.js';
export { DEFAULT_ADMIN } from './state.js';
export { MAXIMUM_HISTORY_SIZE } from './handlers/history.js';

export interface GuacSimOptions {
  /** 0 = ephemeral (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The webapp's context path (WEBAPP_CONTEXT); default `/guacamole`; `''` for ROOT. */
  context?: string;
  /** Serve HTTPS with a fresh self-signed certificate (as a TLS-terminating proxy would). */
  tls?: boolean;
  /** `api-session-timeout` in minutes (default 60). */
  sessionTimeoutMinutes?: number;
  /** Seed: replace the default admin's password, or leave `guacadmin` out (`null`). */
  defaultAdminPassword?: string | null;
  /** Keep the state in this JSON file: loaded at start if it exists, saved after every change. */
  stateFile?: string;
  /** The webapp JVM's time zone, in which history search terms like `2026-03-01` are read (default UTC). */
  timeZone?: string;
}

export interface GuacSim {
  /** Base URL of the webapp: `http://127.0.0.1:PORT/guacamole`. */
  url: string;
  port: number;
  caPem?: string;
  fingerprint?: string;
  state: GuacSimState;
  requests: RecordedRequest[];
  /** Requests no route knows (404/405): gaps of the simulator or bugs of the client. */
  unhandled: { method: string; path: string }[];
  /** The POST/PUT/PATCH/DELETE requests so far, token creation and logout left out. */
  writes(): RecordedRequest[];
  /** Move the simulator's clock forward (session expiry). */
  advanceClock(ms: number): void;
  /** Add a connection history record, as guacd ending a session would. */
  recordSession(record: {
    username: string;
    connection: string;
    remoteHost?: string;
    startDate?: number;
    endDate?: number | null;
  }): void;
  activeSessions(): number;
  close(): Promise<void>;
}

export async function startGuacSim(options: GuacSimOptions = {}): Promise<GuacSim> {
  let offset = 0;
  const now = () => Date.now() + offset;
  const state = seedState();
  if (options.defaultAdminPassword === null) state.users.delete(DEFAULT_ADMIN.username);
  else if (options.defaultAdminPassword !== undefined)
    state.users.get(DEFAULT_ADMIN.username)!.password = options.defaultAdminPassword;
  if (options.stateFile) loadState(state, options.stateFile);
  const sessions = new Sessions(state, now, (options.sessionTimeoutMinutes ?? 60) * 60_000);
  const host = options.host ?? '127.0.0.1';
  const cert = options.tls ? makeCertificate(host) : undefined;
  const context = options.context ?? '/guacamole';
  const requests: RecordedRequest[] = [];
  const unhandled: GuacSim['unhandled'] = [];
  const server = createSimServer({
    context,
    ...(cert ? { tls: { key: cert.keyPem, cert: cert.certPem } } : {}),
    state,
    sessions,
    routes: buildRoutes(now, options.timeZone),
    requests,
    unhandled,
    now,
    ...(options.stateFile ? { afterChange: () => saveState(state, options.stateFile!) } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${cert ? 'https' : 'http'}://${urlHost}:${port}${context}`,
    port,
    ...(cert ? { caPem: cert.certPem, fingerprint: cert.fingerprint } : {}),
    state,
    requests,
    unhandled,
    writes: () => requests.filter((r) => r.method !== 'GET' && !r.path.startsWith('/api/tokens')),
    advanceClock: (ms) => {
      offset += ms;
    },
    recordSession: (r) => {
      const connection = [...state.connections.values()].find((c) => c.name === r.connection);
      const startDate = r.startDate ?? now();
      state.connectionHistory.push({
        id: state.nextId.history++,
        username: r.username,
        connectionIdentifier: connection?.identifier ?? null,
        connectionName: r.connection,
        remoteHost: r.remoteHost ?? '127.0.0.1',
        startDate,
        endDate: r.endDate === undefined ? startDate + 60_000 : r.endDate,
      });
    },
    activeSessions: () => sessions.active,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
