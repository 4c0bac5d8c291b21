/**
 * The task primitives the benchmark role uses, imported as users import them: from the package's
 * precompiled `novastation/tasks` (the playbook loader keeps packages external, so only the role
 * itself is bundled).
 */
export {
  absent,
  authorizedKey,
  blockInFile,
  command,
  copy,
  directory,
  file,
  group,
  iniSetting,
  kernelModules,
  lineInFile,
  sudoers,
  symlink,
  sysctl,
  systemd,
  template,
  user,
} from 'novastation/tasks';
