/**
 * The schema check on its own (no server): PVE's messages for unknown parameters, enums, ranges,
 * formats, property-string keys, `[n]` families, required/requires and arrays.
 */
import { describe, expect, it } from 'vitest';
import { loadSchema } from './schema/load.js';
import { validateParams } from './schema/params.js';
import { perlPattern } from './schema/regex.js';
import { formatFromTypetext } from './schema/typetext.js';

const schema = loadSchema();
const method = (path: string, m: string) => {
  const match = schema.match(path);
  if (!match) throw new Error(`no schema path for ${path}`);
  return { method: match.entry.methods[m]!, vars: match.vars };
};
const check = (path: string, m: string, params: Record<string, string | string[]>) => {
  const { method: s, vars } = method(path, m);
  return validateParams(s, { ...params, ...vars }).errors;
};

describe('schema paths', () => {
  it('matches templated paths and prefers literal segments', () => {
    expect(schema.match('/nodes/pve1/qemu/100/config')?.entry.template).toBe(
      '/nodes/{node}/qemu/{vmid}/config',
    );
    expect(schema.match('/cluster/mapping/pci')?.entry.template).toBe('/cluster/mapping/pci');
    expect(schema.match('/cluster/mapping/pci/gpu')?.vars).toEqual({ id: 'gpu' });
    expect(schema.match('/nodes/pve1/tasks/UPID%3Apve1%3A1%3A/status')?.vars.upid).toBe('UPID:pve1:1:');
    expect(schema.match('/nodes/pve1/qemu/100/nonsense')).toBeUndefined();
  });
});

describe('parameters', () => {
  it('accepts what the product sends to create a VM', () => {
    expect(
      check('/nodes/pve1/qemu', 'POST', {
        vmid: '9001',
        name: 'win11-template',
        ostype: 'win11',
        machine: 'q35',
        bios: 'ovmf',
        cpu: 'host',
        memory: '8192',
        balloon: '0',
        efidisk0: 'local-lvm:1,efitype=4m,pre-enrolled-keys=1',
        tpmstate0: 'local-lvm:1,version=v2.0',
        scsihw: 'virtio-scsi-single',
        scsi0: 'local-lvm:64,iothread=1,discard=on,ssd=1',
        ide2: 'local:iso/Win11_24H2_English_x64.iso,media=cdrom',
        sata0: 'local:iso/virtio-win-0.1.262.iso,media=cdrom',
        net0: 'virtio,bridge=vmbr0,firewall=1',
        agent: 'enabled=1',
        hostpci0: 'mapping=rtx3090,pcie=1,x-vga=1',
        boot: 'order=scsi0;ide2;net0',
        ipconfig0: 'ip=10.0.0.5/24,gw=10.0.0.1',
        sshkeys: encodeURIComponent('ssh-ed25519 AAAA user@host\n'),
        tags: 'novastation;template',
      }),
    ).toEqual({});
  });

  it('rejects an unknown parameter and an index beyond a family', () => {
    const errors = check('/nodes/pve1/qemu', 'POST', {
      vmid: '100',
      frobnicate: '1',
      net32: 'virtio',
      hostpci16: 'mapping=x',
      scsi31: 'local-lvm:1',
    });
    const msg = 'property is not defined in schema and the schema does not allow additional properties';
    expect(errors).toEqual({ frobnicate: msg, net32: msg, hostpci16: msg, scsi31: msg });
  });

  it('rejects a bad enum, an out-of-range integer, a non-integer and a missing required parameter', () => {
    expect(
      check('/nodes/pve1/qemu', 'POST', { vmid: '100', ostype: 'win12', cores: '0', sockets: 'two' }),
    ).toEqual({
      ostype:
        "value 'win12' does not have a value in the enumeration 'other, wxp, w2k, w2k3, w2k8, wvista, win7, win8, win10, win11, l24, l26, solaris'",
      cores: 'value must have a minimum value of 1',
      sockets: "type check ('integer') failed - got 'two'",
    });
    expect(check('/nodes/pve1/qemu', 'POST', {})).toEqual({
      vmid: 'property is missing and it is not optional',
    });
    expect(check('/nodes/pve1/qemu', 'POST', { vmid: '100', cpulimit: '200' })).toEqual({
      cpulimit: 'value must have a maximum value of 128',
    });
    // PVE checks the format before the range: a 10-digit VMID fails as "not a valid VM ID".
    expect(check('/cluster/nextid', 'GET', { vmid: '1000000000' })).toEqual({
      vmid: 'invalid format - value does not look like a valid VM ID\n',
    });
  });

  it('checks booleans as PVE does: only 0 and 1 at the top level', () => {
    expect(check('/nodes/pve1/qemu/100/clone', 'POST', { newid: '101', full: 'true' })).toEqual({
      full: "type check ('boolean') failed - got 'true'",
    });
  });

  it('rejects bad keys and values inside property strings', () => {
    const errors = check('/nodes/pve1/qemu', 'POST', {
      vmid: '100',
      net0: 'virtio,brige=vmbr0',
      scsi0: 'local-lvm:32,discard=maybe',
      hostpci0: 'mapping=rtx3090,pcie=1,primary=1',
      ipconfig0: 'ip=10.0.0.5/24,gw=10.0.0',
      efidisk0: 'local-lvm:1,efitype=8m',
    });
    expect(errors.net0).toBe('invalid format - invalid key in comma-separated list property: brige\n');
    expect(errors.scsi0).toContain(
      "scsi0.discard: value 'maybe' does not have a value in the enumeration 'ignore, on'",
    );
    expect(errors.hostpci0).toBe('invalid format - invalid key in comma-separated list property: primary\n');
    expect(errors.ipconfig0).toContain(
      'ipconfig0.gw: invalid format - value does not look like a valid IPv4 address',
    );
    expect(errors.efidisk0).toContain(
      "efidisk0.efitype: value '8m' does not have a value in the enumeration '2m, 4m'",
    );
  });

  it('checks the formats the product sends: urlencoded sshkeys, dns-name, vmid, MAC, PCI id', () => {
    const errors = check('/nodes/pve1/qemu', 'POST', {
      vmid: '100',
      sshkeys: 'ssh-ed25519 AAAA user@host',
      name: 'vm_dev_01',
      net0: 'virtio=01:00:00:00:00:01,bridge=vmbr0',
      hostpci0: 'host=01:00.0x',
    });
    expect(errors.sshkeys).toBe('invalid format - invalid urlencoded string: ssh-ed25519 AAAA user@host\n');
    expect(errors.name).toBe('invalid format - value does not look like a valid DNS name\n');
    expect(errors.net0).toContain(
      'net0.macaddr: invalid format - value does not look like a valid unicast MAC address',
    );
    expect(errors.hostpci0).toContain('hostpci0.host: value does not match the regex pattern');
  });

  it('honours `requires` and treats repeated keys of array parameters as arrays', () => {
    expect(
      check('/nodes/pve1/storage/local/download-url', 'POST', {
        url: 'https://example.com/x.iso',
        content: 'iso',
        filename: 'x.iso',
        checksum: 'abc',
      }),
    ).toEqual({ 'checksum-algorithm': "missing property - 'checksum' requires this property" });
    const { method: exec, vars } = method('/nodes/pve1/qemu/100/agent/exec', 'POST');
    expect(validateParams(exec, { ...vars, command: 'hostname' }).params.command).toEqual(['hostname']);
    expect(validateParams(exec, { ...vars, command: ['bash', '-c', 'true'] }).errors).toEqual({});
    expect(check('/nodes/pve1/qemu', 'POST', { vmid: ['100', '101'] })).toEqual({
      vmid: "type check ('integer') failed - got ARRAY",
    });
  });

  it('checks mapping entries (map[n]) against their format', () => {
    expect(
      check('/cluster/mapping/pci', 'POST', {
        id: 'rtx3090',
        map: ['node=pve1,path=0000:01:00,id=10de:2204,iommugroup=14'],
      }),
    ).toEqual({});
    const errors = check('/cluster/mapping/pci', 'POST', {
      id: 'rtx3090',
      map: ['node=pve1,path=0000:01:00,id=10de:22045', 'node=pve1,path=01:00,id=10de:2204'],
    });
    expect(errors['map[0]']).toContain('map[0].id: value does not match the regex pattern');
    expect(errors['map[1]']).toContain('map[1].path: value does not match the regex pattern');
  });
});

describe('helpers', () => {
  it('compiles Perl patterns anchored, with (?^:…) groups', () => {
    expect(perlPattern('(?^:^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}$)').test('10de:2204')).toBe(true);
    expect(perlPattern('\\d+[MG]?').test('12G')).toBe(true);
    expect(perlPattern('\\d+[MG]?').test('x12G')).toBe(false);
  });

  it('derives property-string keys from typetext', () => {
    const f = formatFromTypetext(
      '[[host=]<HOSTPCIID[;HOSTPCIID2...]>] [,pcie=<1|0>] [,driver=<vfio|keep>] [,mapping=<mapping-id>]',
    );
    expect(f.host).toMatchObject({ default_key: 1, optional: 1 });
    expect(f.pcie).toMatchObject({ type: 'boolean', optional: 1 });
    expect(f.driver?.enum).toEqual(['vfio', 'keep']);
    expect(formatFromTypetext('[type=]<tdx-type> ,attestation=<1|0>').attestation?.optional).toBeUndefined();
  });
});
