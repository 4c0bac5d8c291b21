/**
 * What the proxmox-host role reads before it changes anything, in one round trip: the CPU
 * vendor, the running kernel and its command line, the bootloader (`proxmox-boot-tool status`:
 * "configured with: uefi" is systemd-boot, anything else GRUB), the PCI functions (`lspci
 * -Dnvmmk`: ids, class, driver in use, modules able to drive each), the IOMMU groups, the ACPI
 * tables that say the firmware has an IOMMU (DMAR on Intel, IVRS on AMD), the vfio modules
 * loaded, and the boot configuration files the role edits.
 *
 * Every kernel and firmware path is a variable (`host_fact_paths`): on a real server they are
 * /proc and /sys; the tests point them at a fake machine's tree (test/proxmox-host/fixture).
 */
import type { Host } from '../../lib/host/host.js';
import { quotePosix } from '../../lib/shell/quote.js';

export interface FactPaths {
  cmdline: string;
  osrelease: string;
  cpuinfo: string;
  iommu_groups: string;
  acpi_tables: string;
  sys_module: string;
}

export const DEFAULT_FACT_PATHS: FactPaths = {
  cmdline: '/proc/cmdline',
  osrelease: '/proc/sys/kernel/osrelease',
  cpuinfo: '/proc/cpuinfo',
  iommu_groups: '/sys/kernel/iommu_groups',
  acpi_tables: '/sys/firmware/acpi/tables',
  sys_module: '/sys/module',
};

export const GRUB_DEFAULT = '/etc/default/grub';
export const KERNEL_CMDLINE = '/etc/kernel/cmdline';
export const STORAGE_CFG = '/etc/pve/storage.cfg';

export interface PciFunction {
  /** `0000:01:00.0` */
  address: string;
  /** `0300` */
  klass: string;
  /** `10de:2204` */
  id: string;
  driver?: string;
  /** Kernel modules able to drive it (lspci's "Module:" lines). */
  modules: string[];
}

export interface HostFacts {
  cpuVendor: 'intel' | 'amd' | 'other';
  /** The running kernel, `6.8.12-4-pve`. */
  kernel: string;
  /** The running kernel's command line, split into parameters. */
  cmdline: string[];
  bootloader: 'grub' | 'systemd-boot';
  pci: PciFunction[];
  /** PCI address → IOMMU group; empty when the IOMMU is not active. */
  groups: Map<string, string>;
  /** ACPI tables present (DMAR, IVRS, …). */
  acpiTables: string[];
  /** vfio modules loaded now. */
  loaded: Set<string>;
  /** /etc/default/grub, /etc/kernel/cmdline and /etc/pve/storage.cfg (null when absent). */
  grubDefault: string | null;
  kernelCmdline: string | null;
  storageCfg: string | null;
  /** lspci is installed. */
  hasLspci: boolean;
}

const SECTIONS = [
  'cpuinfo',
  'kernel',
  'cmdline',
  'boottool',
  'lspci',
  'groups',
  'acpi',
  'modules',
  'grub',
  'kcmdline',
  'storage',
] as const;
type Section = (typeof SECTIONS)[number];

const mark = (name: Section) => `echo '@@ns ${name}'`;
const catIf = (path: string) =>
  `if [ -f ${quotePosix(path)} ]; then cat ${quotePosix(path)}; echo; echo '@@present'; fi`;

/** One shell script printing every fact, each section after a `@@ns NAME` line. */
export function factsScript(paths: FactPaths): string {
  const q = quotePosix;
  return [
    mark('cpuinfo'),
    `grep -m1 '^vendor_id' ${q(paths.cpuinfo)} || true`,
    mark('kernel'),
    `cat ${q(paths.osrelease)}`,
    mark('cmdline'),
    `cat ${q(paths.cmdline)}`,
    mark('boottool'),
    `if command -v proxmox-boot-tool >/dev/null; then proxmox-boot-tool status 2>&1 || true; fi`,
    mark('lspci'),
    `if command -v lspci >/dev/null; then echo '@@present'; lspci -Dnvmmk; fi`,
    mark('groups'),
    `for d in ${q(paths.iommu_groups)}/*/devices/*; do [ -e "$d" ] && echo "$d"; done; true`,
    mark('acpi'),
    `ls ${q(paths.acpi_tables)} 2>/dev/null || true`,
    mark('modules'),
    `for m in vfio vfio_pci vfio_iommu_type1 vfio_virqfd; do [ -d ${q(paths.sys_module)}/"$m" ] && echo "$m"; done; true`,
    mark('grub'),
    catIf(GRUB_DEFAULT),
    mark('kcmdline'),
    catIf(KERNEL_CMDLINE),
    mark('storage'),
    catIf(STORAGE_CFG),
  ].join('\n');
}

function splitSections(stdout: string): Record<Section, string> {
  const out = Object.fromEntries(SECTIONS.map((s) => [s, ''])) as Record<Section, string>;
  let current: Section | undefined;
  const lines: Record<string, string[]> = {};
  for (const line of stdout.split('\n')) {
    const m = /^@@ns (\w+)$/.exec(line);
    if (m && (SECTIONS as readonly string[]).includes(m[1]!)) {
      current = m[1] as Section;
      lines[current] = [];
    } else if (current) lines[current]!.push(line);
  }
  for (const s of SECTIONS) out[s] = (lines[s] ?? []).join('\n');
  return out;
}

/** A file's exact text from a `catIf` section (the newline echoed before the mark removed), or null. */
function fileSection(text: string): string | null {
  const i = text.lastIndexOf('\n@@present');
  return i < 0 ? null : text.slice(0, i);
}

/** `lspci -Dnvmmk` records (blank-line separated `Key:\tvalue` lines). */
export function parseLspci(text: string): PciFunction[] {
  const out: PciFunction[] = [];
  for (const record of text.split(/\n\s*\n/)) {
    const fields: [string, string][] = [];
    for (const line of record.split('\n')) {
      const m = /^(\w+):\s*(.*)$/.exec(line);
      if (m) fields.push([m[1]!, m[2]!.trim()]);
    }
    const get = (k: string) => fields.find(([key]) => key === k)?.[1];
    const slot = get('Slot');
    const vendor = get('Vendor');
    const device = get('Device');
    if (!slot || !vendor || !device) continue;
    const address = /^[0-9a-f]{4}:/i.test(slot) ? slot : `0000:${slot}`;
    const driver = get('Driver');
    out.push({
      address: address.toLowerCase(),
      klass: (get('Class') ?? '').toLowerCase(),
      id: `${vendor}:${device}`.toLowerCase(),
      ...(driver ? { driver } : {}),
      modules: fields.filter(([k]) => k === 'Module').map(([, v]) => v),
    });
  }
  return out;
}

/** `…/iommu_groups/12/devices/0000:01:00.0` lines → address → group. */
export function parseGroups(text: string): Map<string, string> {
  const groups = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /\/(\d+)\/devices\/([0-9a-fA-F:.]+)$/.exec(line.trim());
    if (m) groups.set(m[2]!.toLowerCase(), m[1]!);
  }
  return groups;
}

export function parseFacts(stdout: string): HostFacts {
  const s = splitSections(stdout);
  const vendor = /vendor_id\s*:\s*(\S+)/.exec(s.cpuinfo)?.[1];
  const lspci = s.lspci.startsWith('@@present');
  return {
    cpuVendor: vendor === 'GenuineIntel' ? 'intel' : vendor === 'AuthenticAMD' ? 'amd' : 'other',
    kernel: s.kernel.trim(),
    cmdline: s.cmdline.trim().split(/\s+/).filter(Boolean),
    // "…is configured with: uefi (versions: …)" means systemd-boot; "grub", or no
    // proxmox-boot-tool set-up at all (a plain GRUB install), means GRUB.
    bootloader: /configured with:\s*uefi\b/.test(s.boottool) ? 'systemd-boot' : 'grub',
    pci: lspci ? parseLspci(s.lspci.replace(/^@@present\n?/, '')) : [],
    groups: parseGroups(s.groups),
    acpiTables: s.acpi.split(/\s+/).filter(Boolean),
    loaded: new Set(s.modules.split(/\s+/).filter(Boolean)),
    grubDefault: fileSection(s.grub),
    kernelCmdline: fileSection(s.kcmdline),
    storageCfg: fileSection(s.storage),
    hasLspci: lspci,
  };
}

export async function readHostFacts(host: Host, paths: FactPaths): Promise<HostFacts> {
  const r = await host.probe`eval ${factsScript(paths)}`;
  return parseFacts(r.stdout);
}

/** `6.8.12-4-pve` → [6, 8]. */
export function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) throw new Error(`cannot read the kernel version from ${JSON.stringify(release)}`);
  return [Number(m[1]), Number(m[2])];
}

export function kernelBefore(release: string, major: number, minor: number): boolean {
  const [a, b] = kernelVersion(release);
  return a < major || (a === major && b < minor);
}
