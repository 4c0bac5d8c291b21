/**
 * Proxmox VE primitives: API objects kept in a declared state, each following lib/resource.ts
 * (read → plan as data → apply; `converge` owns check mode). They take a client from
 * lib/proxmox and run from roles with `delegate: 'controller'`, passing `ctx.host` (whose
 * `check` drives check mode) and `ctx.lock`.
 */
export { pveVm, pveVmResource, readVm, locateVm, waitUnlocked, applyVmConfig } from './vm.js';
export type { PveVmOptions, VmSource, VmState, LockFn } from './vm.js';
export { planVmConfig } from './vm-config.js';
export type { VmConfigSpec, DiskSpec, NicSpec, ConfigPlan, OptionValue } from './vm-config.js';
export { pveVmPower, pveVmPowerResource } from './power.js';
export type { PveVmPowerOptions } from './power.js';
export { pveTemplate, pveTemplateResource } from './template.js';
export type { PveTemplateOptions } from './template.js';
export {
  pveDownload,
  pveDownloadResource,
  pveUpload,
  pveUploadResource,
  pveVolumeAbsent,
  pveVolumeAbsentResource,
  volumeId,
} from './storage.js';
export type {
  PveDownloadOptions,
  PveUploadOptions,
  PveVolumeAbsentOptions,
  StorageContent,
} from './storage.js';
export { pvePciMapping, pvePciMappingResource, deviceEntry } from './pci-mapping.js';
export type { PvePciMappingOptions } from './pci-mapping.js';
export { pveWaitInstall } from './install.js';
export type { PveWaitInstallOptions } from './install.js';
export { buildIso } from '../../lib/iso9660.js';
export type { IsoFile } from '../../lib/iso9660.js';
export { pveHostVarsSchema, pveSite, withProxmox } from './connect.js';
export type { PveHostVars, PveSite } from './connect.js';
