/**
 * Property strings as pve-common parses and prints them. The default keys and NIC key aliases
 * used here are checked against Proxmox's own schema, through the API contract derived from it
 * (test/pve-sim/contract, kept equal to the schema by its drift test), so a schema that moved on
 * would fail these tests rather than silently mis-parse configs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  formatNet,
  formatPropertyString,
  formatSize,
  NET_ALIASES,
  parseNet,
  parsePropertyString,
  parseSize,
} from '../../lib/proxmox/index.js';
import type { ApiContract } from '../pve-sim/contract/derive.js';
import { contractFile } from '../pve-sim/contract/files.js';
import { loadSchema, type ParamSchema } from '../pve-sim/schema/load.js';
import { formatFromTypetext } from '../pve-sim/schema/typetext.js';

describe('parsePropertyString', () => {
  it('reads a disk with its default key (file)', () => {
    expect(parsePropertyString('local-lvm:vm-100-disk-0,iothread=1,size=32G', 'file')).toEqual({
      file: 'local-lvm:vm-100-disk-0',
      iothread: '1',
      size: '32G',
    });
    expect(parsePropertyString('local-lvm:0,import-from=local:import/jammy.qcow2', 'file')).toEqual({
      file: 'local-lvm:0',
      'import-from': 'local:import/jammy.qcow2',
    });
  });
  it('reads a NIC written as <model>=<mac> into model and macaddr', () => {
    expect(parseNet('virtio=BC:24:11:2A:3B:4C,bridge=vmbr0,firewall=1')).toEqual({
      model: 'virtio',
      macaddr: 'BC:24:11:2A:3B:4C',
      bridge: 'vmbr0',
      firewall: '1',
    });
    expect(parseNet('e1000,bridge=vmbr1,tag=20')).toEqual({ model: 'e1000', bridge: 'vmbr1', tag: '20' });
  });
  it('splits key=value at the first = and skips empty parts', () => {
    expect(parsePropertyString('user=local:snippets/a=b.yml,,', undefined)).toEqual({
      user: 'local:snippets/a=b.yml',
    });
    expect(parsePropertyString('2048', 'current')).toEqual({ current: '2048' });
  });
  it('refuses what PVE refuses: duplicates, a missing key or value, a bare value without default key', () => {
    expect(() => parsePropertyString('size=1G,size=2G', 'file')).toThrow(/duplicate key size/);
    expect(() => parsePropertyString('a,b', 'file')).toThrow(/duplicate key file/);
    expect(() => parseNet('virtio=BC:24:11:2A:3B:4C,e1000')).toThrow(/duplicate key model/);
    expect(() => parsePropertyString('size=', 'file')).toThrow(/missing its key or value/);
    expect(() => parsePropertyString('=x', 'file')).toThrow(/missing its key or value/);
    expect(() => parsePropertyString('ip=dhcp,bare')).toThrow(/no default key/);
  });
});

describe('formatPropertyString', () => {
  it('writes the default key first and without its name, booleans as 1/0, undefined left out', () => {
    expect(
      formatPropertyString(
        { size: '32G', file: 'local-lvm:vm-100-disk-0', ssd: true, discard: 'on', cache: undefined },
        'file',
      ),
    ).toBe('local-lvm:vm-100-disk-0,size=32G,ssd=1,discard=on');
    expect(formatPropertyString({ mapping: 'rtx3090', pcie: true, 'x-vga': false }, 'host')).toBe(
      'mapping=rtx3090,pcie=1,x-vga=0',
    );
  });
  it('writes a NIC as <model>=<mac> when the MAC is known, so an update keeps the MAC', () => {
    expect(
      formatNet({ bridge: 'vmbr0', model: 'virtio', macaddr: 'BC:24:11:2A:3B:4C', firewall: true }),
    ).toBe('virtio=BC:24:11:2A:3B:4C,bridge=vmbr0,firewall=1');
    expect(formatNet({ model: 'virtio', bridge: 'vmbr0' })).toBe('virtio,bridge=vmbr0');
  });
  it('round-trips', () => {
    for (const text of ['virtio=BC:24:11:2A:3B:4C,bridge=vmbr0,firewall=1', 'e1000,bridge=vmbr1,tag=20'])
      expect(formatNet(parseNet(text))).toBe(text);
    const disk = 'local-lvm:vm-100-disk-0,iothread=1,size=32G';
    expect(formatPropertyString(parsePropertyString(disk, 'file'), 'file')).toBe(disk);
  });
  it('refuses values Proxmox cannot hold: commas, empty strings, line breaks', () => {
    expect(() => formatPropertyString({ description: 'a,b' })).toThrow(/contains a comma/);
    expect(() => formatPropertyString({ description: '' })).toThrow(/empty value/);
    expect(() => formatPropertyString({ description: 'a\nb' })).toThrow(/line break/);
  });
});

describe('sizes', () => {
  it('parses and prints like PVE parse_size/format_size', () => {
    expect(parseSize('32G')).toBe(32 * 1024 ** 3);
    expect(parseSize('1.5T')).toBe(1.5 * 1024 ** 4);
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('32GB')).toBeUndefined();
    expect(formatSize(32 * 1024 ** 3)).toBe('32G');
    expect(formatSize(1536 * 1024 ** 2)).toBe('1536M');
    expect(formatSize(1000)).toBe('1000');
    expect(formatSize(2 * 1024 ** 4)).toBe('2T');
  });
});

describe('against the PVE 9.1.3 schema (the API contract)', () => {
  const create = () => loadSchema().match('/nodes/pve1/qemu')!.entry.methods['POST']!.parameters!.properties!;
  /** A parameter's property-string keys: inline in the schema, or a named format's typetext. */
  const keys = (param: ParamSchema): Record<string, ParamSchema> => {
    if (typeof param.format !== 'string') return param.format!;
    const named = (JSON.parse(readFileSync(contractFile(), 'utf8')) as ApiContract).propertyFormats;
    return formatFromTypetext(named[param.format]!);
  };

  it('names the default keys we use (default_key)', () => {
    const props = create();
    const expected: Record<string, string> = {
      'scsi[n]': 'file',
      'ide[n]': 'file',
      efidisk0: 'file',
      tpmstate0: 'file',
      'net[n]': 'model',
      memory: 'current',
      agent: 'enabled',
      'hostpci[n]': 'host',
    };
    for (const [param, key] of Object.entries(expected)) {
      const defaults = Object.entries(keys(props[param]!)).filter(([, v]) => v.default_key);
      expect(
        defaults.map(([k]) => k),
        param,
      ).toEqual([key]);
    }
  });
  it('lists exactly our NIC model aliases (alias macaddr, keyAlias model)', () => {
    const models = Object.entries(keys(create()['net[n]']!))
      .filter(([, v]) => v.alias === 'macaddr' && v.keyAlias === 'model')
      .map(([k]) => k);
    expect(models.sort()).toEqual([...NET_ALIASES.keys].sort());
  });
});
