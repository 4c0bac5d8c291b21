/**
 * Named property-string formats (`format: 'pve-qm-hostpci'`). PVE registers these as hash formats
 * but the schema dump keeps only their name and `typetext`, so each is rebuilt from its typetext
 * when the schema loads; the formats the product sends are written out in full from qemu-server
 * source instead, with their value rules:
 * - pve-qm-hostpci: qemu-server src/PVE/QemuServer/PCI.pm $hostpci_fmt
 * - pve-qm-ipconfig: qemu-server QemuServer.pm $ipconfig_fmt (ip/gw/ip6/gw6)
 */
import type { ParamSchema } from './load.js';
import { formatFromTypetext } from './typetext.js';

type Format = Record<string, ParamSchema>;

const PCIRE = String.raw`(?:[a-f0-9]{4,}:)?[a-f0-9]{2}:[a-f0-9]{2}(?:\.[a-f0-9])?`;
const hexId = { type: 'string', pattern: '^0x[0-9a-fA-F]{4}$', optional: 1 };

const exact: Record<string, Format> = {
  'pve-qm-hostpci': {
    host: { type: 'string', default_key: 1, optional: 1, pattern: `${PCIRE}(;${PCIRE})*` },
    mapping: { type: 'string', optional: 1, format: 'pve-configid' },
    rombar: { type: 'boolean', optional: 1 },
    romfile: { type: 'string', optional: 1, pattern: '[^,;]+' },
    pcie: { type: 'boolean', optional: 1 },
    'x-vga': { type: 'boolean', optional: 1 },
    'legacy-igd': { type: 'boolean', optional: 1 },
    mdev: { type: 'string', optional: 1, pattern: '[^/\\.:]+' },
    'vendor-id': hexId,
    'device-id': hexId,
    'sub-vendor-id': hexId,
    'sub-device-id': hexId,
    driver: { type: 'string', optional: 1, enum: ['vfio', 'keep'] },
  },
  'pve-qm-ipconfig': {
    ip: { type: 'string', optional: 1, format: 'pve-ipv4-config' },
    gw: { type: 'string', optional: 1, format: 'ipv4' },
    ip6: { type: 'string', optional: 1, format: 'pve-ipv6-config' },
    gw6: { type: 'string', optional: 1, format: 'ipv6' },
  },
};

const fromTypetext = new Map<string, Format>();

/** Called by the schema loader for every `format: <name>` whose typetext is a property string. */
export function registerTypetextFormat(name: string, typetext: string): void {
  if (exact[name] || fromTypetext.has(name)) return;
  if (!typetext.includes('=')) return;
  // pve-startup-order has a typetext like a property string but is a code validator in PVE.
  if (name === 'pve-startup-order') return;
  fromTypetext.set(name, formatFromTypetext(typetext));
}

export function namedPropertyFormat(name: string): Format | undefined {
  return exact[name] ?? fromTypetext.get(name);
}
