/**
 * deviceEntry: the mapping entry for a GPU from a node's /hardware/pci listing (rows shaped as
 * Proxmox returns them: `0x`-prefixed ids, one row per function).
 */
import { describe, expect, it } from 'vitest';
import { deviceEntry, type PciRow } from '../../tasks/proxmox/pci-mapping.js';

const gpu = (slot: string, group: number): PciRow[] => [
  {
    id: `${slot}.0`,
    class: '0x030000',
    vendor: '0x10de',
    device: '0x2204',
    iommugroup: group,
    subsystem_vendor: '0x1043',
    subsystem_device: '0x87b3',
    device_name: 'GA102 [GeForce RTX 3090]',
  },
  {
    id: `${slot}.1`,
    class: '0x040300',
    vendor: '0x10de',
    device: '0x1aef',
    iommugroup: group,
    subsystem_vendor: '0x1043',
    subsystem_device: '0x87b3',
    device_name: 'GA102 High Definition Audio Controller',
  },
];
const others: PciRow[] = [
  { id: '0000:02:00.0', class: '0x020000', vendor: '0x8086', device: '0x15f3', iommugroup: 15 },
];

describe('deviceEntry', () => {
  it("maps the whole device (all functions) with the first function's ids and IOMMU group", () => {
    const { entry, functions } = deviceEntry([...others, ...gpu('0000:01:00', 14)], {
      node: 'pve1',
      device: '10de:2204',
    });
    expect(entry).toBe('node=pve1,path=0000:01:00,id=10de:2204,subsystem-id=1043:87b3,iommugroup=14');
    expect(functions).toEqual([
      '0000:01:00.0 GA102 [GeForce RTX 3090]',
      '0000:01:00.1 GA102 High Definition Audio Controller',
    ]);
  });

  it('needs the address when the node has two such GPUs, and says which', () => {
    const rows = [...gpu('0000:01:00', 14), ...gpu('0000:41:00', 30)];
    expect(() => deviceEntry(rows, { node: 'pve1', device: '10de:2204' })).toThrow(
      /node pve1 has 2 PCI devices 10de:2204 \(0000:01:00, 0000:41:00\): give the address/,
    );
    expect(deviceEntry(rows, { node: 'pve1', device: '10de:2204', address: '0000:41:00.0' }).entry).toContain(
      'path=0000:41:00,',
    );
  });

  it('says when the GPU is not there', () => {
    expect(() => deviceEntry(others, { node: 'pve1', device: '10de:2204' })).toThrow(
      /PCI device 10de:2204 not found on node pve1/,
    );
  });
});
