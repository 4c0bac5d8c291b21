/**
 * planVmConfig: declared VM settings against configs as Proxmox prints them (values copied
 * from real `qm config` output shapes: `virtio=MAC,bridge=…`, `local-lvm:vm-…,size=…`).
 */
import { describe, expect, it } from 'vitest';
import { planVmConfig, type VmConfigSpec } from '../../tasks/proxmox/vm-config.js';

const current = {
  cores: 2,
  memory: '4096',
  agent: '1',
  ciuser: 'dev',
  sshkeys: 'ssh-ed25519%20AAAAC3Nza%20dev%40studio%0A',
  ipconfig0: 'ip=dhcp',
  scsi0: 'local-lvm:vm-2001-disk-0,discard=on,iothread=1,size=2252M',
  efidisk0: 'local-lvm:vm-2001-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M',
  net0: 'virtio=BC:24:11:0A:0B:0C,bridge=vmbr0,firewall=1',
  digest: 'abc',
};

const spec = (over: Partial<VmConfigSpec> = {}): VmConfigSpec => ({
  options: { cores: 2, memory: 4096, agent: 'enabled=1', ciuser: 'dev', ipconfig0: 'ip=dhcp' },
  sshKeys: ['ssh-ed25519 AAAAC3Nza dev@studio'],
  disks: {
    scsi0: { storage: 'local-lvm', options: { iothread: 1 } },
    efidisk0: { storage: 'local-lvm', options: { efitype: '4m', 'pre-enrolled-keys': 1 } },
  },
  nics: { net0: { model: 'virtio', bridge: 'vmbr0' } },
  ...over,
});

describe('planVmConfig', () => {
  it('finds nothing to do when the declared parts agree, whatever the notation', () => {
    expect(planVmConfig('vm-dev-01', spec(), current, false)).toEqual({
      changes: [],
      params: {},
      delete: [],
      resize: [],
    });
  });

  it('changes only what differs, in one config POST, and grows the disk', () => {
    const plan = planVmConfig(
      'vm-dev-01',
      spec({
        options: { cores: 4, memory: 8192, tags: null },
        disks: { scsi0: { storage: 'local-lvm', sizeGb: 64 } },
      }),
      { ...current, tags: 'x' },
      false,
    );
    expect(plan.params).toEqual({ cores: '4', memory: '8192' });
    expect(plan.delete).toEqual(['tags']);
    expect(plan.resize).toEqual([{ disk: 'scsi0', size: '64G' }]);
    expect(plan.changes.map((c) => c.field)).toEqual(['cores', 'memory', 'tags', 'scsi0 size']);
  });

  it('sends SSH keys URL-encoded, as Proxmox requires', () => {
    const plan = planVmConfig(
      'vm-dev-01',
      spec({ sshKeys: ['ssh-ed25519 AAAAC3Nza dev@studio', 'ssh-rsa AAAAB3 ops+1@x'] }),
      current,
      false,
    );
    expect(plan.params.sshkeys).toBe(
      'ssh-ed25519%20AAAAC3Nza%20dev%40studio%0Assh-rsa%20AAAAB3%20ops%2B1%40x',
    );
    expect(plan.params.sshkeys).toMatch(/^[-%a-zA-Z0-9_.!~*'()]*$/);
  });

  it('re-sends a NIC with its MAC (a NIC without one would get a new MAC)', () => {
    const plan = planVmConfig(
      'vm-dev-01',
      spec({ nics: { net0: { model: 'virtio', bridge: 'vmbr1', tag: 20 } } }),
      current,
      false,
    );
    expect(plan.params.net0).toBe('virtio=BC:24:11:0A:0B:0C,bridge=vmbr1,firewall=1,tag=20');
  });

  it('changes disk options on the same volume, never with a bare storage:size', () => {
    const plan = planVmConfig(
      'vm-dev-01',
      spec({ disks: { scsi0: { storage: 'local-lvm', options: { ssd: 1 } } } }),
      current,
      false,
    );
    expect(plan.params.scsi0).toBe('local-lvm:vm-2001-disk-0,discard=on,iothread=1,size=2252M,ssd=1');
  });

  it('adds what is missing', () => {
    const plan = planVmConfig(
      'vm-gpu-01',
      spec({ options: { hostpci0: 'mapping=rtx3090,pcie=1' } }),
      { ...current, efidisk0: undefined },
      false,
    );
    expect(plan.params).toEqual({
      hostpci0: 'mapping=rtx3090,pcie=1',
      efidisk0: 'local-lvm:1,efitype=4m,pre-enrolled-keys=1',
    });
  });

  it('takes a pinned q35 version (Proxmox pins Windows VMs) as q35, and i440fx as not', () => {
    expect(
      planVmConfig(
        'vm-gpu-01',
        spec({ options: { machine: 'q35' } }),
        { ...current, machine: 'pc-q35-10.1+pve0' },
        false,
      ).params,
    ).toEqual({});
    expect(
      planVmConfig(
        'vm-gpu-01',
        spec({ options: { machine: 'q35' } }),
        { ...current, machine: 'pc-i440fx-9.0' },
        false,
      ).params,
    ).toEqual({ machine: 'q35' });
    expect(planVmConfig('vm-gpu-01', spec({ options: { machine: 'q35' } }), current, false).params).toEqual({
      machine: 'q35',
    });
  });

  it('compares hostpci exactly: an extra x-vga is drift', () => {
    const plan = planVmConfig(
      'vm-gpu-01',
      spec({ options: { hostpci0: 'mapping=rtx3090,pcie=1' } }),
      { ...current, hostpci0: 'mapping=rtx3090,pcie=1,x-vga=1' },
      false,
    );
    expect(plan.params.hostpci0).toBe('mapping=rtx3090,pcie=1');
  });

  it('refuses unsafe changes, naming the VM and the field, unless allowed', () => {
    const mac = spec({ nics: { net0: { model: 'virtio', bridge: 'vmbr0', macaddr: 'BC:24:11:FF:FF:FF' } } });
    expect(() => planVmConfig('vm-dev-02', mac, current, false)).toThrow(
      /^vm-dev-02: refusing .*net0: MAC address BC:24:11:0A:0B:0C → BC:24:11:FF:FF:FF.*vm_allow_unsafe/,
    );
    expect(planVmConfig('vm-dev-02', mac, current, true).params.net0).toBe(
      'virtio=BC:24:11:FF:FF:FF,bridge=vmbr0,firewall=1',
    );

    const moved = spec({ disks: { scsi0: { storage: 'fast-nvme' } } });
    expect(() => planVmConfig('vm-dev-02', moved, current, false)).toThrow(
      /vm-dev-02: .*scsi0: a new, empty disk on fast-nvme in place of the current one on local-lvm/,
    );
    expect(planVmConfig('vm-dev-02', moved, current, true).params.scsi0).toBe('fast-nvme:1');

    const tpm = spec({ disks: { efidisk0: { storage: 'local-lvm', options: { efitype: '2m' } } } });
    expect(() => planVmConfig('vm-dev-02', tpm, current, false)).toThrow(/efidisk0: a new efidisk0/);
  });

  it('refuses a smaller disk even when unsafe changes are allowed (Proxmox cannot shrink)', () => {
    const small = spec({ disks: { scsi0: { storage: 'local-lvm', sizeGb: 1 } } });
    expect(() => planVmConfig('vm-dev-03', small, current, true)).toThrow(
      /vm-dev-03: .*scsi0: the disk would shrink from 2252M to 1G/,
    );
  });
});
