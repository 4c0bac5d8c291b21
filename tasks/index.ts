/**
 * `novastation/tasks`: the task primitives and what a role author needs beside them. Each
 * primitive reads state, plans changes as data and applies them (lib/resource.ts); its options
 * are checked at run time against the same declaration that types them (tasks/options.ts).
 * Everything else in tasks/ is internal and may change. The Proxmox client and its helpers are
 * `novastation/proxmox`.
 */

// Files
export { file } from './files/file.js';
export type { FileOptions } from './files/file.js';
export { copy } from './files/copy.js';
export type { CopyOptions } from './files/copy.js';
export { template, renderTemplate } from './files/template.js';
export type { TemplateOptions } from './files/template.js';
export { directory } from './files/directory.js';
export type { DirectoryOptions } from './files/directory.js';
export { absent } from './files/absent.js';
export type { AbsentOptions } from './files/absent.js';
export { symlink } from './files/symlink.js';
export type { SymlinkOptions } from './files/symlink.js';
export { lineInFile } from './files/line-in-file.js';
export type { LineInFileOptions } from './files/line-in-file.js';
export { blockInFile } from './files/block-in-file.js';
export type { BlockInFileOptions } from './files/block-in-file.js';
export { iniSetting } from './files/ini-setting.js';
export type { IniSettingOptions } from './files/ini-setting.js';
export type { FileAttributes, WriteAttributes } from './files/file-options.js';
export { FileValidationError } from '../lib/host/atomic-write.js';

// Packages
export { apt } from './packages/apt.js';
export type { AptOptions } from './packages/apt.js';
export { aptRepository } from './packages/apt-repository.js';
export type { AptRepositoryOptions } from './packages/apt-repository.js';

// Services
export { systemd } from './services/systemd.js';
export type { SystemdOptions } from './services/systemd.js';
export { systemdDropin } from './services/systemd-dropin.js';
export type { SystemdDropinOptions } from './services/systemd-dropin.js';
export type { UnitSettings, UnitValue } from './services/systemd-ini.js';

// Accounts
export { user } from './accounts/user.js';
export type { UserOptions } from './accounts/user.js';
export { group } from './accounts/group.js';
export type { GroupOptions } from './accounts/group.js';
export { authorizedKey } from './accounts/authorized-key.js';
export type { AuthorizedKeyOptions } from './accounts/authorized-key.js';
export { sudoers } from './accounts/sudoers.js';
export type { SudoersOptions } from './accounts/sudoers.js';

// System
export { sysctl } from './system/sysctl.js';
export type { SysctlOptions } from './system/sysctl.js';
export { kernelModules } from './system/kernel-module.js';
export type { KernelModulesOptions } from './system/kernel-module.js';
export { command } from './system/command.js';
export type { CommandOptions, CommandOutcome } from './system/command.js';
export { waitFor, WaitTimeoutError } from './system/wait-for.js';
export type { WaitForOptions } from './system/wait-for.js';
export { reboot } from './system/reboot.js';
export type { RebootOptions } from './system/reboot.js';

// Proxmox VE objects (they take a client from novastation/proxmox)
export * from './proxmox/index.js';

// Writing a primitive of your own: the one contract, and the option declarations' refusals.
export { converge } from '../lib/resource.js';
export type { Resource, Change, Provision, CheckMemory, Assumed } from '../lib/resource.js';
export { OptionError } from './options.js';
