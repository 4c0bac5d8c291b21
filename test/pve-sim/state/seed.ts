/**
 * The seeded cluster (contract 1 in the shared brief): node pve1 (more by option), storages
 * `local` (dir) and `local-lvm` (lvmthin), bridge vmbr0, the Windows 11 and VirtIO ISOs in
 * `local`, and a PCI bus with an RTX 3090 (0000:01:00.0 VGA + 0000:01:00.1 audio, IOMMU group 14)
 * among ordinary devices. Sizes are plausible, not measured.
 */
import { PveSimState, type PciDevice, type SimNode } from './model.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export const CLOUD_IMAGE_URL =
  'https://cloud-images.ubuntu.com/jammy/current/jammy-server-cloudimg-amd64.img';

function pciBus(): PciDevice[] {
  const d = (
    id: string,
    cls: string,
    vendor: string,
    device: string,
    group: number,
    vn: string,
    dn: string,
  ): PciDevice => ({
    id,
    class: cls,
    vendor,
    device,
    iommugroup: group,
    vendor_name: vn,
    device_name: dn,
    subsystem_vendor: vendor,
    subsystem_device: '0x0000',
  });
  return [
    d(
      '0000:00:00.0',
      '0x060000',
      '0x8086',
      '0x4660',
      0,
      'Intel Corporation',
      '12th Gen Core Processor Host Bridge/DRAM Registers',
    ),
    d(
      '0000:00:01.0',
      '0x060400',
      '0x8086',
      '0x460d',
      1,
      'Intel Corporation',
      '12th Gen Core Processor PCI Express x16 Controller #1',
    ),
    d(
      '0000:00:14.0',
      '0x0c0330',
      '0x8086',
      '0x7ae0',
      5,
      'Intel Corporation',
      'Alder Lake-S PCH USB 3.2 Gen 2x2 XHCI Controller',
    ),
    d(
      '0000:00:17.0',
      '0x010601',
      '0x8086',
      '0x7ae2',
      7,
      'Intel Corporation',
      'Alder Lake-S PCH SATA Controller [AHCI Mode]',
    ),
    d(
      '0000:00:1f.0',
      '0x060100',
      '0x8086',
      '0x7a84',
      12,
      'Intel Corporation',
      'Z690 Chipset LPC/eSPI Controller',
    ),
    d(
      '0000:00:1f.4',
      '0x0c0500',
      '0x8086',
      '0x7aa3',
      12,
      'Intel Corporation',
      'Alder Lake-S PCH SMBus Controller',
    ),
    {
      ...d(
        '0000:01:00.0',
        '0x030000',
        '0x10de',
        '0x2204',
        14,
        'NVIDIA Corporation',
        'GA102 [GeForce RTX 3090]',
      ),
      subsystem_vendor: '0x1043',
      subsystem_device: '0x87b3',
    },
    {
      ...d(
        '0000:01:00.1',
        '0x040300',
        '0x10de',
        '0x1aef',
        14,
        'NVIDIA Corporation',
        'GA102 High Definition Audio Controller',
      ),
      subsystem_vendor: '0x1043',
      subsystem_device: '0x87b3',
    },
    d('0000:02:00.0', '0x020000', '0x8086', '0x15f3', 15, 'Intel Corporation', 'Ethernet Controller I225-V'),
    d(
      '0000:03:00.0',
      '0x010802',
      '0x144d',
      '0xa80a',
      16,
      'Samsung Electronics Co Ltd',
      'NVMe SSD Controller PM9A1/PM9A3/980PRO',
    ),
  ];
}

export function seedState(nodeNames: string[], now: number): PveSimState {
  const state = new PveSimState();
  for (const name of nodeNames) {
    const node: SimNode = {
      name,
      online: true,
      maxcpu: 24,
      maxmem: 128 * GiB,
      mem: 6 * GiB,
      cpu: 0.03,
      pci: pciBus(),
      bridges: ['vmbr0'],
    };
    state.nodes.set(name, node);
  }
  state.storages.set('local', {
    id: 'local',
    type: 'dir',
    content: ['iso', 'vztmpl', 'import', 'snippets', 'images'],
    shared: false,
    total: 100 * GiB,
  });
  state.storages.set('local-lvm', {
    id: 'local-lvm',
    type: 'lvmthin',
    content: ['images', 'rootdir'],
    shared: false,
    total: 800 * GiB,
  });
  const ctime = Math.floor(now / 1000) - 86400;
  for (const node of nodeNames) {
    for (const [name, size, os] of [
      ['Win11_24H2_English_x64.iso', 5819 * MiB, 'windows-installer'],
      ['virtio-win-0.1.262.iso', 708 * MiB, 'virtio-drivers'],
    ] as const) {
      // Volumes are per node for local storages; the first node's copy is the one most tests use.
      const volid = `local:iso/${name}`;
      if (!state.volumes.has(volid))
        state.volumes.set(volid, {
          volid,
          storage: 'local',
          node,
          content: 'iso',
          format: 'iso',
          size,
          ctime,
          os,
        });
    }
  }
  // The size is the image's virtual size (what import-from gives the disk), 2.2 GiB for jammy.
  state.urls.set(CLOUD_IMAGE_URL, { size: 2252 * MiB, os: 'ubuntu' });
  return state;
}
