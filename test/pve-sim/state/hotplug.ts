/**
 * Which config changes a running VM takes at once and which Proxmox keeps in the config's
 * [PENDING] section until the VM stops or starts (qemu-server QemuServer.pm
 * vmconfig_hotplug_pending, vmconfig_update_net, vmconfig_update_disk; notes §2.5):
 *
 * - "fast-plug" options change nothing in the running QEMU and are written at once (name, tags,
 *   description, onboot, protection, startup…, and since PVE 7.3 the cloud-init options, which
 *   only take effect when the cloud-init drive is regenerated);
 * - the rest depends on the VM's `hotplug` option (default `network,disk,usb`; `0` none, `1` the
 *   default): a new or re-modelled NIC needs `network` (a bridge, VLAN tag, firewall or rate
 *   change is made on the tap device even without it); a new or replaced scsi/virtio disk needs
 *   `disk` (ide/sata disks never; a CD-ROM's medium always changes live), and an existing disk's
 *   aio/cache/discard/iothread/queues/ro/ssd options never change live; memory needs `memory`
 *   and NUMA; `vcpus` needs `cpu`; usbN needs `usb` (and a Linux or Windows 8+ guest);
 * - cores, sockets, cpu, machine, bios, hostpci, vga… are never hot-plugged.
 *
 * Simplified: QEMU's own hot-plug failures (a guest that refuses to release a device) are not
 * modelled; what may be hot-plugged always is.
 */
import { isCdrom, parseDrive, parseNet } from './drives.js';
import type { SimVm } from './model.js';

/** The cloud-init options (qemu-server cloudinit_pending_properties, minus ipconfigN). */
export const CLOUDINIT_OPTIONS = [
  'cicustom',
  'cipassword',
  'citype',
  'ciuser',
  'ciupgrade',
  'nameserver',
  'searchdomain',
  'sshkeys',
];

const FAST_PLUG = new Set([
  'description',
  'hookscript',
  'lock',
  'migrate_downtime',
  'migrate_speed',
  'name',
  'onboot',
  'protection',
  'shares',
  'startup',
  'tags',
  'vmstatestorage',
  // Cloud-init options: written at once, used when the drive is regenerated (PVE ≥ 7.3).
  ...CLOUDINIT_OPTIONS,
]);

/** Applied to the running VM at once (cgroup settings). */
const LIVE = new Set(['cpulimit', 'cpuunits']);

/** Drive options QEMU cannot change on an attached disk (vmconfig_update_disk's "skip"). */
const DISK_COLD = ['aio', 'cache', 'discard', 'iothread', 'queues', 'ro', 'ssd'];

/** The `hotplug` option as a feature set (parse_hotplug_features). */
export function hotplugFeatures(value: string | undefined): Set<string> {
  const v = value ?? '1';
  if (v === '0') return new Set();
  if (v === '1') return new Set(['network', 'disk', 'usb']);
  return new Set(v.split(',').filter(Boolean));
}

const isIpconfig = (key: string) => /^ipconfig\d+$/.test(key);

function usbHotplug(vm: SimVm, features: Set<string>): boolean {
  const os = vm.config.ostype ?? '';
  return features.has('usb') && (os === 'l26' || /^win(8|10|11)$/.test(os));
}

/** Whether setting `key` to `value` on the running `vm` is applied at once (else it is pending). */
export function appliesLive(vm: SimVm, key: string, value: string): boolean {
  if (FAST_PLUG.has(key) || isIpconfig(key) || LIVE.has(key) || /^unused\d+$/.test(key)) return true;
  const features = hotplugFeatures(vm.config.hotplug);
  const old = vm.config[key];
  if (key === 'hotplug') return !/memory|cloudinit/.test(`${value} ${old ?? ''}`);
  if (key === 'memory') return features.has('memory') && vm.config.numa === '1';
  if (key === 'vcpus') return features.has('cpu');
  if (key === 'balloon') {
    // Ballooning on ↔ off adds or removes the device: not live.
    const enabled = (v: string | undefined) => v === undefined || v !== '0';
    return enabled(old) === enabled(value);
  }
  if (key === 'agent') {
    const on = (v: string | undefined) => /^(1|enabled=1)(,|$)|(^|,)enabled=1(,|$)/.test(v ?? '');
    return on(old) === on(value);
  }
  if (/^usb\d+$/.test(key)) return usbHotplug(vm, features);
  if (/^net\d+$/.test(key)) {
    if (old === undefined) return features.has('network');
    const [a, b] = [parseNet(old), parseNet(value)];
    const replug =
      a.model !== b.model ||
      a.macaddr !== b.macaddr ||
      a.opts.queues !== b.opts.queues ||
      a.opts.mtu !== b.opts.mtu ||
      !a.opts.bridge !== !b.opts.bridge;
    return !replug || features.has('network');
  }
  if (/^(ide|sata|scsi|virtio)\d+$/.test(key)) {
    const next = parseDrive(value);
    if (isCdrom(next)) return true;
    if (/^(ide|sata)/.test(key)) return false;
    if (old !== undefined) {
      const prev = parseDrive(old);
      if (prev.file === next.file) return DISK_COLD.every((o) => prev.opts[o] === next.opts[o]);
    }
    return features.has('disk');
  }
  return false;
}

/** Whether deleting `key` from the running `vm` happens at once (else the delete is pending). */
export function deletesLive(vm: SimVm, key: string): boolean {
  if (FAST_PLUG.has(key) || isIpconfig(key) || LIVE.has(key) || /^unused\d+$/.test(key)) return true;
  const features = hotplugFeatures(vm.config.hotplug);
  if (key === 'hotplug') return !/memory/.test(vm.config.hotplug ?? '');
  if (key === 'balloon') return vm.config.balloon !== '0';
  if (key === 'vcpus') return features.has('cpu');
  if (/^usb\d+$/.test(key)) return usbHotplug(vm, features);
  if (/^net\d+$/.test(key)) return features.has('network');
  if (/^(scsi|virtio)\d+$/.test(key)) return features.has('disk');
  return false;
}
