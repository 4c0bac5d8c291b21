/**
 * In-handler permission rules of qemu-server API2/Qemu.pm for non-root users (API tokens are
 * never root@pam): the privilege each config option needs ($check_vm_modify_config_perm), the
 * hostpci rule (check_hostpci_perm: a raw `host=` device is root-only — "only root can set
 * 'hostpci0' config for non-mapped devices"; a `mapping=` needs Mapping.Use), serial/usb real
 * devices, and "only root can set '<opt>' config" for everything uncategorised (args, lock, …).
 */
import type { SimCore } from '../core.js';
import { die, permError } from '../http/errors.js';
import { NEW_DISK_RE } from '../schema/formats.js';
import { isDriveKey } from './common.js';
import { parseDrive, isCdrom, isCloudinit } from '../state/drives.js';
import { CLOUDINIT_OPTIONS } from '../state/hotplug.js';

const CPU = ['cores', 'cpu', 'cpulimit', 'cpuunits', 'numa', 'smp', 'sockets', 'vcpus'];
const MEMORY = ['memory', 'balloon', 'shares'];
const HWTYPE = [
  'acpi',
  'hotplug',
  'kvm',
  'machine',
  'scsihw',
  'smbios1',
  'tablet',
  'vga',
  'watchdog',
  'audio0',
  'rng0',
];
const GENERAL = [
  'agent',
  'autostart',
  'bios',
  'description',
  'keyboard',
  'localtime',
  'migrate_downtime',
  'migrate_speed',
  'name',
  'onboot',
  'ostype',
  'protection',
  'reboot',
  'startdate',
  'startup',
  'tdf',
  'template',
];
const DISKOPTS = ['boot', 'bootdisk', 'vmstatestorage'];
const CLOUDINIT = CLOUDINIT_OPTIONS;
/** Not VM options at all, handled by the API itself. */
export const API_ONLY = new Set([
  'node',
  'vmid',
  'digest',
  'delete',
  'revert',
  'skiplock',
  'force',
  'background_delay',
  'storage',
  'pool',
  'start',
  'archive',
  'bwlimit',
  'unique',
  'live-restore',
  'import-working-storage',
]);

function need(sim: SimCore, user: string, vmid: number, privs: string[], any = false): void {
  const ok = any
    ? privs.some((p) => sim.hasPrivilege(user, p))
    : privs.every((p) => sim.hasPrivilege(user, p));
  if (!ok) {
    const detail = `/vms/${vmid}, ${privs.join(any ? '|' : ', ')}`;
    sim.permissionDenials.push({ user, method: '-', path: `/vms/${vmid}`, detail });
    throw permError(detail);
  }
}

export function checkHostpci(sim: SimCore, user: string, vmid: number, opt: string, value: string): void {
  if (user === 'root@pam') return;
  const host = /(?:^|,)host=/.test(value) || /^[^=,]+(,|$)/.test(value);
  const mapping = /(?:^|,)mapping=([^,]+)/.exec(value)?.[1];
  if (host) throw die(`only root can set '${opt}' config for non-mapped devices`);
  if (!mapping) throw die("either 'host' or 'mapping' must be set.");
  if (!sim.hasPrivilege(user, 'Mapping.Use')) throw permError(`/mapping/pci/${mapping}, Mapping.Use`);
  need(sim, user, vmid, ['VM.Config.HWType']);
}

/** Checks every option being set or deleted (create: keys of the new config). */
export function checkConfigPerms(
  sim: SimCore,
  user: string,
  vmid: number,
  params: Record<string, string>,
  deleted: string[],
): void {
  if (user === 'root@pam') return;
  for (const opt of [...Object.keys(params), ...deleted]) {
    if (API_ONLY.has(opt)) continue;
    const value = params[opt];
    if (isDriveKey(opt) || opt === 'cdrom' || /^unused\d+$/.test(opt)) {
      if (value !== undefined) {
        const d = parseDrive(value);
        if (isCloudinit(d)) need(sim, user, vmid, ['VM.Config.Cloudinit', 'VM.Config.CDROM']);
        else if (isCdrom(d)) need(sim, user, vmid, ['VM.Config.CDROM']);
        else need(sim, user, vmid, ['VM.Config.Disk']);
        if (NEW_DISK_RE.test(d.file) && !sim.hasPrivilege(user, 'Datastore.AllocateSpace')) {
          const storeid = NEW_DISK_RE.exec(d.file)![2];
          throw permError(`/storage/${storeid}, Datastore.AllocateSpace`);
        }
      } else need(sim, user, vmid, ['VM.Config.Disk']);
      continue;
    }
    if (/^hostpci\d+$/.test(opt)) {
      if (value !== undefined) checkHostpci(sim, user, vmid, opt, value);
      continue;
    }
    if (/^serial\d+$/.test(opt)) {
      if (value !== undefined && value !== 'socket')
        throw die(`only root can set '${opt}' config for real devices`);
      need(sim, user, vmid, ['VM.Config.HWType']);
      continue;
    }
    if (/^usb\d+$/.test(opt)) {
      if (value !== undefined && /(?:^|,)host=(?!spice)/i.test(value))
        throw die(`only root can set '${opt}' config for real devices`);
      need(sim, user, vmid, ['VM.Config.HWType']);
      continue;
    }
    if (opt === 'tags') continue;
    if (CPU.includes(opt) || /^numa\d+$/.test(opt)) need(sim, user, vmid, ['VM.Config.CPU']);
    else if (MEMORY.includes(opt)) need(sim, user, vmid, ['VM.Config.Memory']);
    else if (HWTYPE.includes(opt)) need(sim, user, vmid, ['VM.Config.HWType']);
    else if (GENERAL.includes(opt)) need(sim, user, vmid, ['VM.Config.Options']);
    else if (DISKOPTS.includes(opt)) need(sim, user, vmid, ['VM.Config.Disk']);
    else if (/^net\d+$/.test(opt)) {
      need(sim, user, vmid, ['VM.Config.Network']);
      const bridge = /(?:^|,)bridge=([^,]+)/.exec(value ?? '')?.[1];
      if (bridge && !sim.hasPrivilege(user, 'SDN.Use'))
        throw permError(`/sdn/zones/localnetwork/${bridge}, SDN.Use`);
    } else if (CLOUDINIT.includes(opt) || /^ipconfig\d+$/.test(opt))
      need(sim, user, vmid, ['VM.Config.Cloudinit', 'VM.Config.Network'], true);
    else if (opt === 'vmstate') need(sim, user, vmid, ['VM.Config.Disk', 'VM.PowerMgmt']);
    else throw die(`only root can set '${opt}' config`);
  }
}
