/**
 * Proxmox VE primitives: API objects kept in a declared state, each following lib/resource.ts
 * (read → plan as data → apply; `converge` owns check mode). They take a client from
 * `novastation/proxmox` (lib/proxmox) and run from roles with `delegate: 'controller'`, passing
 * `ctx.host` (whose `check` drives check mode) and `ctx.lock`.
 */
export { pveVm, locateVm } from './vm.js';
export type { PveVmOptions, VmSource, VmState, LockFn } from './vm.js';
export type { VmConfigSpec, DiskSpec, NicSpec, OptionValue } from './vm-config.js';
export { pveVmPower } from './power.js';
export type { PveVmPowerOptions } from './power.js';
export { pveTemplate } from './template.js';
export type { PveTemplateOptions } from './template.js';
export { pveDownload, pveUpload, pveVolumeAbsent, volumeId } from './storage.js';
export type { PveDownloadOptions, PveUploadOptions, PveVolumeAbsentOptions } from './storage.js';
export { pvePciMapping } from './pci-mapping.js';
export type { PvePciMappingOptions } from './pci-mapping.js';
export { pveWaitInstall } from './install.js';
export type { PveWaitInstallOptions } from './install.js';
export { pveBootKeys } from './boot-keys.js';
export type { PveBootKeysOptions } from './boot-keys.js';
