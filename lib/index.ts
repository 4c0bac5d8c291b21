/**
 * NovaStation's engine API: define roles and playbooks, mark secrets, and (for embedding) read
 * inventories and run plans programmatically. `novastation/tasks` has the idempotent task
 * primitives, `novastation/roles` the site's roles.
 */
export { defineRole, definePlaybook, isRole, isPlaybook, Type, secretString, oneOf } from './define.js';
export type {
  Role,
  RoleDefinition,
  RoleContext,
  Playbook,
  PlaybookDefinition,
  Play,
  RoleUse,
  TaskOptions,
  TaskOutcome,
  TaskResult,
  Handler,
  Static,
  WithDefaults,
  TypedRoleDefinition,
  RoleVarsSchema,
  HostRefSchemas,
  PlayVar,
} from './define.js';
export { Host } from './host/host.js';
export type { WriteFileOptions, PortForward } from './host/host.js';
export type { FileStat } from './host/stat.js';
export type { Facts } from './host/facts.js';
export { CommandError, CheckModeSkip, CommandOutput } from './host/command.js';
export type { CommandOptions, Duration } from './host/command.js';
export { Secret, secret, isSecret } from './secret.js';
export { fromVault, fromEnv, SecretReference, isSecretReference } from './secrets/reference.js';
export type { RoleSecrets } from './secrets/store.js';
export type { GenerateOptions } from './secrets/generate.js';
export { InvalidInputError, BadOptionsError, ExitCode } from './errors.js';
export { loadInventory, selectHosts } from './inventory/index.js';
export type { Inventory, InventoryHost, InventoryGroup } from './inventory/types.js';
export { planRun } from './runner/run-plan.js';
export { executePlan } from './runner/run-playbook.js';
export type { RunOptions } from './runner/run-state.js';
export type { RunEvent, Reporter, TaskEvent, RecapEvent } from './report/events.js';
export * from './proxmox/index.js';
export { siteOf, usersOf } from './site/index.js';
export type { SiteModel, SiteUser, SiteVm, SiteUserState, VmOs } from './site/index.js';
export {
  GuacamoleClient,
  GuacamoleApiError,
  GuacamoleLoginError,
  GuacamoleTlsError,
  GuacamoleSyncConflict,
  syncGuacamole,
  connectionHistory,
  HISTORY_LIMIT,
} from './guacamole/index.js';
export type {
  GuacamoleClientOptions,
  GuacamoleCredentials,
  SyncOptions as GuacamoleSyncOptions,
  SyncResult as GuacamoleSyncResult,
  ConnectionRecord,
  HistoryPage,
} from './guacamole/index.js';
