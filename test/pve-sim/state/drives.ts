/**
 * Drive and NIC values as qemu-server parses and prints them (Drive.pm parse_drive/print_drive,
 * QemuServer.pm parse_net/print_net), and volume naming per storage type (pve-storage):
 * lvmthin `local-lvm:vm-100-disk-0`, dir `local:100/vm-100-disk-0.qcow2`, templates' `base-…`,
 * linked clones `base-9000-disk-0/vm-101-disk-0`, cloud-init `vm-100-cloudinit`.
 */
import type { PveSimState, SimStorage, SimVolume } from './model.js';
import { randomMac } from '../handlers/common.js';

export interface Drive {
  file: string;
  opts: Record<string, string>;
}

export function parseDrive(value: string): Drive {
  const opts: Record<string, string> = {};
  let file = '';
  for (const part of value.split(',')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 0) file = part;
    else {
      const k = part.slice(0, eq);
      const v = part.slice(eq + 1);
      if (k === 'file' || k === 'volume') file = v;
      else opts[k] = v;
    }
  }
  return { file, opts };
}

export function printDrive(d: Drive): string {
  return [
    d.file,
    ...Object.keys(d.opts)
      .sort()
      .map((k) => `${k}=${d.opts[k]}`),
  ].join(',');
}

export const isCdrom = (d: Drive) => d.opts.media === 'cdrom' || d.file === 'cdrom';
export const isCloudinit = (d: Drive) =>
  /^[^:]+:(\d+\/)?vm-\d+-cloudinit(\.\w+)?$/.test(d.file) || /:cloudinit$/.test(d.file);

const NET_MODELS = [
  'e1000',
  'e1000-82540em',
  'e1000-82544gc',
  'e1000-82545em',
  'e1000e',
  'i82551',
  'i82557b',
  'i82559er',
  'ne2k_isa',
  'ne2k_pci',
  'pcnet',
  'rtl8139',
  'virtio',
  'vmxnet3',
];

export interface Net {
  model: string;
  macaddr: string;
  opts: Record<string, string>;
}

/** parse_net: a missing MAC is generated (so re-sending net0 without one changes the MAC). */
export function parseNet(value: string): Net {
  const net: Net = { model: '', macaddr: '', opts: {} };
  for (const part of value.split(',')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    if (eq < 0) net.model = k;
    else if (NET_MODELS.includes(k)) {
      net.model = k;
      net.macaddr = v;
    } else if (k === 'model') net.model = v;
    else if (k === 'macaddr') net.macaddr = v;
    else net.opts[k] = v;
  }
  if (!net.macaddr) net.macaddr = randomMac();
  return net;
}

/** print_net: `<model>=<MAC>` first, then the other keys in PVE's order. */
export function printNet(net: Net): string {
  const order = ['bridge', 'firewall', 'link_down', 'mtu', 'queues', 'rate', 'tag', 'trunks'];
  const keys = [
    ...order.filter((k) => k in net.opts),
    ...Object.keys(net.opts)
      .filter((k) => !order.includes(k))
      .sort(),
  ];
  return [`${net.model}=${net.macaddr}`, ...keys.map((k) => `${k}=${net.opts[k]}`)].join(',');
}

/** The next free `vm-<vmid>-disk-<K>` volume id on `storage`. */
export function newDiskVolid(
  state: PveSimState,
  storage: SimStorage,
  vmid: number,
  format?: string,
): { volid: string; format: string } {
  const fmt = format ?? (storage.type === 'dir' ? 'qcow2' : 'raw');
  for (let k = 0; ; k++) {
    const name = `vm-${vmid}-disk-${k}`;
    const taken = [...state.volumes.values()].some(
      (v) =>
        v.storage === storage.id &&
        new RegExp(`(^|/)(vm|base)-${vmid}-disk-${k}(\\.\\w+)?$`).test(v.volid.split(':')[1]!),
    );
    if (taken) continue;
    return {
      volid: storage.type === 'dir' ? `${storage.id}:${vmid}/${name}.${fmt}` : `${storage.id}:${name}`,
      format: fmt,
    };
  }
}

export function cloudinitVolid(storage: SimStorage, vmid: number): string {
  return storage.type === 'dir'
    ? `${storage.id}:${vmid}/vm-${vmid}-cloudinit.qcow2`
    : `${storage.id}:vm-${vmid}-cloudinit`;
}

export function addVolume(state: PveSimState, v: Omit<SimVolume, 'ctime'>, now: number): SimVolume {
  const vol: SimVolume = { ...v, ctime: Math.floor(now / 1000) };
  state.volumes.set(vol.volid, vol);
  return vol;
}

/** The owner VMID encoded in a volume name (vm-N-…, base-N-…, linked base-M-…/vm-N-…). */
export function volumeOwner(volid: string): number | undefined {
  const name = volid.split(':')[1] ?? '';
  const m = /(?:^|\/)(?:vm|base)-(\d+)-[^/]*$/.exec(name);
  return m ? Number(m[1]) : undefined;
}
