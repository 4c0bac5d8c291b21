/**
 * The GPU and its vfio set-up, as data: which PCI functions are "the GPU" (every function of the
 * card: VGA, HDMI audio, and USB-C/UCSI where present), the vfio modules loaded at boot, the
 * `vfio-pci ids=` that binds them, and how their host drivers are kept off them. Pure functions.
 */
import { kernelBefore, type PciFunction } from './facts.js';

export interface GpuSelector {
  /** vendor:device of the GPU function (`10de:2204`). */
  device?: string;
  /** `0000:01:00` (the slot: every function) or `0000:01:00.0`. */
  address?: string;
}

const slotOf = (address: string) => address.replace(/\.[0-7]$/, '');
const withDomain = (a: string) => (/^[0-9a-f]{4}:[0-9a-f]{2}:/.test(a) ? a : `0000:${a}`);

/** Every function of the selected card, in address order; an Error saying why when there is none or several. */
export function selectGpu(pci: readonly PciFunction[], selector: GpuSelector): PciFunction[] {
  const address = selector.address ? withDomain(selector.address.toLowerCase()) : undefined;
  const device = selector.device?.toLowerCase();
  const matches = pci.filter(
    (f) =>
      (!device || f.id === device) &&
      (!address || f.address === address || slotOf(f.address) === slotOf(address)),
  );
  const slots = [...new Set(matches.map((f) => slotOf(f.address)))];
  const wanted = [device && `id ${device}`, address && `address ${address}`].filter(Boolean).join(' and ');
  if (!slots.length) {
    const displays = pci.filter((f) => f.klass.startsWith('03'));
    throw new Error(
      `no GPU with ${wanted} on this machine${displays.length ? ` (display devices here: ${displays.map((f) => `${f.address} [${f.id}]`).join(', ')})` : ' (no display device at all)'}: check gpu_device / gpu_address (lspci -nn)`,
    );
  }
  if (slots.length > 1)
    throw new Error(
      `${slots.length} cards match ${wanted} (${slots.join(', ')}): set gpu_address to the one to pass through`,
    );
  return pci.filter((f) => slotOf(f.address) === slots[0]).sort((a, b) => a.address.localeCompare(b.address));
}

export function gpuSlot(functions: readonly PciFunction[]): string {
  return slotOf(functions[0]!.address);
}

/** vfio modules at boot; `vfio_virqfd` became part of `vfio` in 6.2. */
export function vfioModules(kernel: string): string[] {
  return ['vfio', 'vfio_iommu_type1', 'vfio_pci', ...(kernelBefore(kernel, 6, 2) ? ['vfio_virqfd'] : [])];
}

const norm = (m: string) => m.replace(/-/g, '_');

export interface DriverBlock {
  blacklist: string[];
  softdep: string[];
}

/**
 * How the host drivers of the GPU's functions are kept off it. `softdep`: `softdep M pre:
 * vfio-pci` for each (vfio-pci loads first and claims the ids; other devices keep M). `blacklist`:
 * `blacklist M` for each module no other device of the machine can use — one that another device
 * needs too (snd_hda_intel for on-board audio, xhci_pci for USB) gets a softdep instead, so the
 * host keeps its sound and USB.
 */
export function driverBlock(
  gpu: readonly PciFunction[],
  all: readonly PciFunction[],
  mode: 'softdep' | 'blacklist',
  extra: readonly string[] = [],
): DriverBlock {
  const mine = new Set(gpu.map((f) => f.address));
  const drivers = [...new Set([...gpu.flatMap((f) => f.modules), ...extra].map(norm))]
    .filter((m) => m !== 'vfio_pci')
    .sort();
  if (mode === 'softdep') return { blacklist: [], softdep: drivers };
  const shared = new Set(all.filter((f) => !mine.has(f.address)).flatMap((f) => f.modules.map(norm)));
  return {
    blacklist: drivers.filter((m) => !shared.has(m)),
    softdep: drivers.filter((m) => shared.has(m)),
  };
}

export const HEADER = '# Managed by NovaStation (role proxmox-host); changes here are overwritten.\n';

export function modulesLoadContent(modules: readonly string[]): string {
  return HEADER + modules.map((m) => `${m}\n`).join('');
}

export function vfioModprobeContent(gpu: readonly PciFunction[], block: DriverBlock): string {
  const ids = [...new Set(gpu.map((f) => f.id))];
  return (
    HEADER +
    `# The GPU at ${gpuSlot(gpu)}: every function bound to vfio-pci at boot.\n` +
    `options vfio-pci ids=${ids.join(',')}\n` +
    block.softdep.map((m) => `softdep ${m} pre: vfio-pci\n`).join('') +
    block.blacklist.map((m) => `blacklist ${m}\n`).join('')
  );
}

/** kvm/vfio options asked for, or null (then the file should not exist). */
export function kvmModprobeContent(o: { ignoreMsrs: boolean; unsafeInterrupts: boolean }): string | null {
  const lines = [
    ...(o.ignoreMsrs ? ['options kvm ignore_msrs=1 report_ignored_msrs=0'] : []),
    ...(o.unsafeInterrupts ? ['options vfio_iommu_type1 allow_unsafe_interrupts=1'] : []),
  ];
  return lines.length ? HEADER + lines.map((l) => `${l}\n`).join('') : null;
}
