/**
 * The Proxmox VE API layer: a client built on proxmox-api's typed proxy with verified TLS
 * (CA or pinned fingerprint), token or ticket auth, typed errors, safe retries and task
 * waiting, plus cluster helpers and property-string parsing. See each file's header for why.
 */
export { connectProxmox, parseOrigin, DEFAULT_PORT } from './client.js';
export type { ProxmoxConnection, ProxmoxClientOptions, ProxmoxClient, UploadFile } from './client.js';
export { ProxmoxApiError, ProxmoxTaskError, ProxmoxTaskTimeoutError } from './errors.js';
export { ProxmoxTlsError, normalizeFingerprint } from './tls.js';
export {
  parsePropertyString,
  formatPropertyString,
  parseNet,
  formatNet,
  parseSize,
  formatSize,
  NET_ALIASES,
} from './property-string.js';
export type { KeyAliases } from './property-string.js';
export { findGuest, listGuests, pickNode, allocateVmid, isVmidFree } from './cluster.js';
export type { ClusterGuest } from './cluster.js';
export { parseUpid, isTaskSuccess } from './tasks.js';
export type { Upid, TaskResult } from './tasks.js';
export { isLockContention } from './retry.js';
export type { Proxmox } from 'proxmox-api';
export { pveGet, pveWrite, vmPath, isNotFound, pollUntil } from './requests.js';
export type { Params } from './requests.js';
export { readPending, parsePending } from './pending.js';
export type { VmPending, PendingChange } from './pending.js';
export { setPower } from './power.js';
export { pveHostVarsSchema, pveSite, withProxmox } from './site.js';
export type { PveHostVars, PveSite } from './site.js';
export { buildIso } from '../iso9660.js';
export type { IsoFile } from '../iso9660.js';
export { LEAST_PRIVILEGES, LEAST_PRIVILEGE_NAMES } from './privileges.js';
export type { Privilege } from './privileges.js';
export { guestExec, waitForAgent, isAgentNotReady, GuestExecLostError } from './guest-agent.js';
export type { GuestVm, GuestExecResult, GuestExecOptions } from './guest-agent.js';
