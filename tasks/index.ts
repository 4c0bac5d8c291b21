/** Idempotent task primitives: each reads state, plans changes as data, applies them (lib/resource.ts). */
export { file, fileResource, managedFileResource, convergeFile, contentDiff } from './files/file.js';
export type { FileOptions, ManagedFileSpec, ManagedFileResource, ManagedFileState } from './files/file.js';
export type { FileAttributes, WriteAttributes } from './files/file-options.js';
export { copy, copyResource } from './files/copy.js';
export type { CopyOptions } from './files/copy.js';
export { template, templateResource, renderTemplate } from './files/template.js';
export type { TemplateOptions } from './files/template.js';
export { templateHelpers } from './files/template-helpers.js';
export { directory, directoryResource } from './files/directory.js';
export type { DirectoryOptions } from './files/directory.js';
export { absent, absentResource } from './files/absent.js';
export type { AbsentOptions } from './files/absent.js';
export { symlink, symlinkResource } from './files/symlink.js';
export type { SymlinkOptions } from './files/symlink.js';
export { lineInFile, lineInFileResource, editLineInFile } from './files/line-in-file.js';
export type { LineInFileOptions } from './files/line-in-file.js';
export { blockInFile, blockInFileResource, editBlockInFile } from './files/block-in-file.js';
export type { BlockInFileOptions } from './files/block-in-file.js';
export { iniSetting, iniSettingResource, editIniSetting } from './files/ini-setting.js';
export type { IniSettingOptions } from './files/ini-setting.js';
export { FileValidationError } from '../lib/host/atomic-write.js';
export type { WriteFileOptions, WriteFileResult } from '../lib/host/atomic-write.js';
export { apt, aptResource } from './packages/apt.js';
export type { AptOptions } from './packages/apt.js';
export { aptRepository, aptRepositoryResource } from './packages/apt-repository.js';
export type { AptRepositoryOptions } from './packages/apt-repository.js';
export { systemd, systemdResource } from './services/systemd.js';
export type { SystemdOptions } from './services/systemd.js';
export { systemdDropin, systemdDropinResource } from './services/systemd-dropin.js';
export type { SystemdDropinOptions } from './services/systemd-dropin.js';
export type { UnitSettings, UnitValue } from './services/systemd-ini.js';
export { user, userResource, planUser } from './accounts/user.js';
export type { UserOptions } from './accounts/user.js';
export { group, groupResource, planGroup } from './accounts/group.js';
export type { GroupOptions } from './accounts/group.js';
export { authorizedKey, authorizedKeyResource } from './accounts/authorized-key.js';
export type { AuthorizedKeyOptions } from './accounts/authorized-key.js';
export { sudoers, sudoersResource, sudoersRule } from './accounts/sudoers.js';
export type { SudoersOptions } from './accounts/sudoers.js';
export { sysctl, sysctlResource } from './system/sysctl.js';
export type { SysctlOptions } from './system/sysctl.js';
export { kernelModules, kernelModulesResource } from './system/kernel-module.js';
export type { KernelModulesOptions } from './system/kernel-module.js';
export { converge } from '../lib/resource.js';
export type { Resource, Change } from '../lib/resource.js';
export { command, commandAction } from './system/command.js';
export type { CommandOptions, CommandOutcome, CommandRun } from './system/command.js';
export type { CommandSpec } from './system/command-line.js';
export { waitFor, WaitTimeoutError } from './system/wait-for.js';
export type {
  WaitForOptions,
  WaitForPort,
  WaitForPath,
  WaitForCommand,
  WaitForHost,
} from './system/wait-for.js';
export { reboot, rebootAction } from './system/reboot.js';
export type { RebootOptions } from './system/reboot.js';
export { convergeAction } from '../lib/action.js';
export type { Action } from '../lib/action.js';
export * from './proxmox/index.js';
