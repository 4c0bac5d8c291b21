/**
 * Apache Guacamole: a REST client (client.ts; TLS as for Proxmox, token in the Guacamole-Token
 * header, typed errors, safe retries), the API's object shapes (api.ts), and the sync that keeps
 * Guacamole's users, connections and permissions equal to the site model (sync/).
 */
export { GuacamoleClient } from './client.js';
export type { GuacamoleClientOptions, GuacamoleCredentials } from './client.js';
export { GuacamoleApiError, GuacamoleLoginError, GuacamoleTlsError } from './errors.js';
export { parseWebappUrl, isLoopbackHost } from './url.js';
export {
  syncGuacamole,
  GuacamoleSyncConflict,
  checkSite,
  desiredState,
  rdpParameters,
  DEFAULT_RDP,
} from './sync/index.js';
export type { SyncOptions, SyncResult, RdpOptions, CertPolicy, Clipboard } from './sync/index.js';
export { connectionHistory, HISTORY_LIMIT } from './history.js';
export { sessionHistory } from './sessions.js';
export type { SessionHistory, SessionQuery } from './sessions.js';
export type { ConnectionRecord, HistoryPage } from './history.js';
