/**
 * The task primitives the benchmark role uses, in one place. `novastation/tasks` does not export
 * all of them yet (issue 3 lands them one by one), so they come from the repository's sources,
 * which the playbook loader bundles into the cached playbook; switch these lines to
 * `export { … } from 'novastation/tasks'` once tasks/index.ts exports them all.
 */
export { file } from '../../tasks/file.js';
export { template } from '../../tasks/template.js';
export { directory } from '../../tasks/directory.js';
export { absent } from '../../tasks/absent.js';
export { copy } from '../../tasks/copy.js';
export { symlink } from '../../tasks/symlink.js';
export { group } from '../../tasks/group.js';
export { user } from '../../tasks/user.js';
export { authorizedKey } from '../../tasks/authorized-key.js';
export { sudoers } from '../../tasks/sudoers.js';
export { sysctl } from '../../tasks/sysctl.js';
export { kernelModules } from '../../tasks/kernel-module.js';
export { lineInFile } from '../../tasks/line-in-file.js';
export { blockInFile } from '../../tasks/block-in-file.js';
export { iniSetting } from '../../tasks/ini-setting.js';
export { command } from '../../tasks/command.js';
export { systemd } from '../../tasks/systemd.js';
