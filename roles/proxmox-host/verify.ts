/**
 * Whether the running system has what the boot configuration now holds, and whether
 * passthrough works: the IOMMU is active (it has groups), every function of the GPU is bound to
 * vfio-pci, and the GPU's IOMMU group holds nothing else but bridges (a PCIe root port above the
 * card is normal; an endpoint such as a NIC in the group would go to the VM with it).
 */
import type { HostFacts, PciFunction } from './facts.js';
import { missingFromRunning } from './cmdline.js';

export interface Pending {
  /** Why a reboot is required (empty: the running kernel has it all). */
  reasons: string[];
}

export function pendingReboot(
  facts: HostFacts,
  gpu: readonly PciFunction[],
  wanted: readonly string[],
): Pending {
  const reasons: string[] = [];
  const missing = missingFromRunning(facts.cmdline, wanted);
  if (missing.length) reasons.push(`the running kernel was booted without ${missing.join(' ')}`);
  if (!facts.groups.size) reasons.push('the IOMMU is not active (no IOMMU groups)');
  const unbound = gpu.filter((f) => f.driver !== 'vfio-pci');
  if (unbound.length)
    reasons.push(
      `${unbound.map((f) => `${f.address} is ${f.driver ? `bound to ${f.driver}` : 'not bound to any driver'}`).join(', ')}, not vfio-pci`,
    );
  return { reasons };
}

/** Devices sharing an IOMMU group with the GPU that are neither its functions nor bridges. */
export function groupNeighbours(facts: HostFacts, gpu: readonly PciFunction[]): PciFunction[] {
  const mine = new Set(gpu.map((f) => f.address));
  const groups = new Set(gpu.map((f) => facts.groups.get(f.address)).filter((g): g is string => !!g));
  return facts.pci.filter(
    (f) =>
      !mine.has(f.address) && groups.has(facts.groups.get(f.address) ?? '') && !f.klass.startsWith('0604'),
  );
}

export function neighbourWarning(
  neighbours: readonly PciFunction[],
  facts: HostFacts,
  gpu: readonly PciFunction[],
): string {
  const groups = [...new Set(gpu.map((f) => facts.groups.get(f.address)))].join(', ');
  return `warning: the GPU's IOMMU group ${groups} also holds ${neighbours
    .map((f) => `${f.address} [${f.id}${f.driver ? `, ${f.driver}` : ''}]`)
    .join(
      ', ',
    )}: a VM gets the whole group, so these would leave the host with the GPU. Move the card to another slot (one whose group holds only the card), or, accepting weaker isolation between the devices, add pcie_acs_override=downstream to kernel_cmdline_extra`;
}
