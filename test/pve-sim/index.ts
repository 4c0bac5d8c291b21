/**
 * pve-sim: a Proxmox VE 9.1 API simulator over HTTPS, for tests and `npm run pve-sim`.
 * Every request is checked against PVE's own API schema, through the contract derived from it
 * (contract/README.md); see README.md for what is modelled.
 *
 *   const sim = await startPveSim({ taskMs: 20 });
 *   // https://127.0.0.1:PORT/api2/json, token sim.token.id / sim.token.secret, cert sim.caPem
 *   await sim.close();
 */
import type { AddressInfo } from 'node:net';
import { SimCore, type SimTiming } from './core.js';
import type { PveSimFaults } from './faults.js';
import { buildRouter } from './handlers/index.js';
import { Auth } from './http/auth.js';
import {
  createSimServer,
  type RecordedRequest,
  type SchemaViolation,
  type ServerHooks,
} from './http/server.js';
import { makeCertificate } from './http/tls.js';
import { defaultSchemaPath, loadSchema } from './schema/load.js';
import type { PveSimState } from './state/model.js';
import { seedState } from './state/seed.js';

export type { RecordedRequest, SchemaViolation } from './http/server.js';
export type { PveSimFaults, RequestMatch } from './faults.js';
export type {
  PveSimState,
  SimVm,
  SimVolume,
  SimStorage,
  SimNode,
  PciDevice,
  PciMapping,
  VolumeOs,
} from './state/model.js';
export type { SimTask } from './state/tasks.js';
export { CLOUD_IMAGE_URL } from './state/seed.js';

export interface PveSimOptions {
  /** 0 = ephemeral (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Base duration of an async task step (default 200 ms). */
  taskMs?: number;
  /** How long a Windows install takes before the VM powers itself off (default 2000 ms). */
  windowsInstallMs?: number;
  /** From start until a guest agent answers (default 2 × taskMs). */
  bootMs?: number;
  /** From start until the Windows ISO's "Press any key" prompt shows (default taskMs). */
  bootPromptMs?: number;
  /** How long the prompt waits for a key through `sendkey` (default 5000 ms, as on a real VM). */
  bootPromptWindowMs?: number;
  /** The API contract to check requests against (default: the committed contract/pve-api.json). */
  schemaPath?: string;
  /** Node names (default ['pve1']). */
  nodes?: string[];
  /** Delay of 401 answers (PVE: 3000 ms; default here 50 ms for tests). */
  authFailureDelayMs?: number;
  /** Override qemu-server's lock timeouts (ms): config 10000, create 5000, clone 1000. */
  lockTimeoutMs?: Partial<SimTiming['lockTimeoutMs']>;
}

export interface PveSim {
  url: string;
  port: number;
  /** SHA-256 of the TLS certificate, 'AA:BB:…' upper-case. */
  fingerprint: string;
  /** The self-signed certificate, PEM. */
  caPem: string;
  /** The seeded API token: 'novastation@pve!site' and a lower-case UUID secret. */
  token: { id: string; secret: string };
  root: { username: 'root@pam'; password: string };
  requests: RecordedRequest[];
  violations: SchemaViolation[];
  /** Schema-valid requests the simulator does not implement (answered 501). */
  unhandled: { method: string; template: string }[];
  /** Guest-agent commands the scripted Windows guest refused as malformed or unknown (state/windows.ts). */
  windowsViolations: string[];
  /** Clones of a Windows template that was not generalised (sysprep): they share its identity. */
  identityFlags: string[];
  faults: PveSimFaults;
  state: PveSimState;
  /** Privileges of the API token (undefined = all). Narrow it to find the least privileges. */
  tokenPrivileges: Set<string> | undefined;
  /** Permission checks that failed (403), with the missing privilege. */
  permissionDenials: { user: string; method: string; path: string; detail: string }[];
  /** Move the simulator's wall clock (ticket expiry) forward. */
  advanceClock(ms: number): void;
  /** Wait until every task that is running now has stopped. */
  idle(): Promise<void>;
  onRequest(fn: (req: RecordedRequest) => void): void;
  close(): Promise<void>;
}

export async function startPveSim(options: PveSimOptions = {}): Promise<PveSim> {
  const schema = loadSchema(options.schemaPath ?? defaultSchemaPath());
  const host = options.host ?? '127.0.0.1';
  const taskMs = options.taskMs ?? 200;
  const timing: SimTiming = {
    taskMs,
    windowsInstallMs: options.windowsInstallMs ?? 2000,
    bootMs: options.bootMs ?? taskMs * 2,
    bootPromptMs: options.bootPromptMs ?? taskMs,
    bootPromptWindowMs: options.bootPromptWindowMs ?? 5000,
    lockTimeoutMs: { config: 10_000, create: 5000, clone: 1000, ...options.lockTimeoutMs },
    authFailureDelayMs: options.authFailureDelayMs ?? 50,
  };
  const state = seedState(options.nodes ?? ['pve1'], Date.now());
  const core = new SimCore(schema, state, timing);
  const auth = new Auth(core.clock);
  const { token, root } = auth.seed();
  const cert = makeCertificate(host);
  const hooks: ServerHooks = { requests: [], violations: [], unhandled: [], listeners: [] };
  const server = createSimServer(core, auth, buildRouter(auth, cert.fingerprint), hooks, {
    key: cert.keyPem,
    cert: cert.certPem,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `https://${urlHost}:${port}`,
    port,
    fingerprint: cert.fingerprint,
    caPem: cert.certPem,
    token,
    root,
    requests: hooks.requests,
    violations: hooks.violations,
    unhandled: hooks.unhandled,
    windowsViolations: state.windowsViolations,
    identityFlags: state.identityFlags,
    faults: core.faults,
    state,
    get tokenPrivileges() {
      return core.tokenPrivileges;
    },
    set tokenPrivileges(v) {
      core.tokenPrivileges = v;
    },
    permissionDenials: core.permissionDenials,
    advanceClock: (ms) => core.clock.advance(ms),
    idle: async () => {
      await Promise.all([...state.tasks.values()].map((t) => t.done));
    },
    onRequest: (fn) => void hooks.listeners.push(fn),
    close: async () => {
      for (const vm of state.vms.values()) vm.guest.timers.forEach(clearTimeout);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
