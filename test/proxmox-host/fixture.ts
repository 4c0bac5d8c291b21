/**
 * A fake GPU-passthrough machine inside a real Debian 12 test host: what Proxmox VE's hardware
 * and tools look like to the proxmox-host role, with state that behaves as the real ones do.
 *
 * - /etc/fake-hw/machine.env (CPU vendor, booted kernel, bootloader, the firmware's IOMMU switch)
 *   and /etc/fake-hw/pci (the PCI functions: address, class, id, modules, IOMMU group);
 * - stand-ins in /usr/local/sbin for lspci, update-grub, update-initramfs, proxmox-boot-tool,
 *   pveum and pvesm (fixture/bin): they keep their state in the host's files (grub.cfg, a fake
 *   ESP, tar "initramfs" images, pveum's access.json, /etc/pve/storage.cfg) and log every call to
 *   /run/fake-hw/calls.log;
 * - the enterprise repository lists a Proxmox VE 8 installation has (fake-mirror.ts);
 * - fake-hw-boot.service (fixture/boot.py), run at every boot: from the bootloader's state it
 *   makes the command line, kernel release, CPU info, ACPI tables, IOMMU groups, PCI drivers and
 *   loaded modules the role reads under /run/fake-hw — so a reboot of the test host really
 *   changes what the role sees, as on a real server.
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostFixture } from '../support/hosts.js';
import { CEPH_LIST, PVE_ENTERPRISE_LIST } from './fake-mirror.js';

const HERE = join(fileURLToPath(import.meta.url), '..', 'fixture');

export interface Machine {
  cpu: 'intel' | 'amd';
  kernel: string;
  bootloader: 'grub' | 'systemd-boot';
  /** VT-d / AMD-Vi switched on in the firmware. */
  iommuFirmware: boolean;
  /** `ADDR CLASS VENDOR:DEVICE MODULES GROUP` per line. */
  pci: string;
  /** GRUB_CMDLINE_LINUX_DEFAULT, or /etc/kernel/cmdline's parameters, as the administrator left them. */
  adminCmdline: string;
}

/** A desktop board: root port, an RTX 3090 (VGA + HDMI audio) alone in group 1, on-board audio and USB. */
export const RTX3090_PCI = `0000:00:00.0 0600 8086:3e30 - 0
0000:00:01.0 0604 8086:1901 pcieport 1
0000:01:00.0 0300 10de:2204 nouveau 1
0000:01:00.1 0403 10de:1aef snd_hda_intel 1
0000:00:14.0 0c03 8086:a36d xhci_pci 2
0000:00:1f.3 0403 8086:a348 snd_hda_intel 3
0000:00:02.0 0300 8086:3e92 i915 4
`;

/** The RTX 3090's group also holds the on-board NIC. */
export const SHARED_GROUP_PCI = `${RTX3090_PCI}0000:02:00.0 0200 8086:1533 igb 1
`;

/** Only the integrated GPU. */
export const NO_GPU_PCI = `0000:00:00.0 0600 8086:3e30 - 0
0000:00:02.0 0300 8086:3e92 i915 4
0000:00:1f.3 0403 8086:a348 snd_hda_intel 3
`;

/** Where the role must read its facts on a fake machine (the role's `host_fact_paths`). */
export const FAKE_FACT_PATHS = {
  cmdline: '/run/fake-hw/proc/cmdline',
  osrelease: '/run/fake-hw/proc/sys/kernel/osrelease',
  cpuinfo: '/run/fake-hw/proc/cpuinfo',
  iommu_groups: '/run/fake-hw/sys/kernel/iommu_groups',
  acpi_tables: '/run/fake-hw/sys/firmware/acpi/tables',
  sys_module: '/run/fake-hw/sys/module',
};

const STORAGE_CFG = `dir: local
\tpath /var/lib/vz
\tcontent iso,vztmpl,backup

lvmthin: local-lvm
\tthinpool data
\tvgname pve
\tcontent rootdir,images
`;

function put(root: string, path: string, content: string, mode = 0o644): void {
  const target = join(root, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  chmodSync(target, mode);
}

/**
 * Installs the fake machine on a test host (again: everything is reset — the role's files, the
 * stand-ins' state, the call log) and boots its hardware fixture.
 */
export async function installMachine(f: HostFixture, name: string, m: Machine): Promise<void> {
  const root = f.hosts.host(name).rootDir;
  const reset = await f.hosts.exec(
    name,
    'rm -rf /etc/fake-hw /boot /var/lib/fake-pve /etc/pve /var/lib/vz /etc/kernel /etc/default/grub /etc/modprobe.d/novastation-* /etc/modules-load.d/novastation-* /run/fake-hw /etc/apt/sources.list.d/pve-* /etc/apt/sources.list.d/ceph.list',
  );
  if (reset.exitCode !== 0) throw new Error(reset.stderr);
  for (const tool of readdirSync(join(HERE, 'bin'))) {
    mkdirSync(join(root, 'usr/local/sbin'), { recursive: true });
    copyFileSync(join(HERE, 'bin', tool), join(root, 'usr/local/sbin', tool));
    chmodSync(join(root, 'usr/local/sbin', tool), 0o755);
  }
  mkdirSync(join(root, 'usr/local/lib/fake-hw'), { recursive: true });
  copyFileSync(join(HERE, 'boot.py'), join(root, 'usr/local/lib/fake-hw/boot.py'));
  copyFileSync(join(HERE, 'fake-hw-boot.service'), join(root, 'etc/systemd/system/fake-hw-boot.service'));
  const wants = join(root, 'etc/systemd/system/multi-user.target.wants/fake-hw-boot.service');
  mkdirSync(dirname(wants), { recursive: true });
  try {
    symlinkSync('/etc/systemd/system/fake-hw-boot.service', wants);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  put(
    root,
    'etc/fake-hw/machine.env',
    `CPU_VENDOR=${m.cpu === 'intel' ? 'GenuineIntel' : 'AuthenticAMD'}\nKERNEL=${m.kernel}\nBOOTLOADER=${m.bootloader}\nIOMMU_FIRMWARE=${m.iommuFirmware ? 'on' : 'off'}\n`,
  );
  put(root, 'etc/fake-hw/pci', m.pci);
  put(root, `boot/vmlinuz-${m.kernel}`, 'fake kernel\n');
  put(root, 'etc/pve/storage.cfg', STORAGE_CFG);
  // Proxmox VE 8's installer: the enterprise repositories only.
  put(root, 'etc/apt/sources.list.d/pve-enterprise.list', PVE_ENTERPRISE_LIST);
  put(root, 'etc/apt/sources.list.d/ceph.list', CEPH_LIST);
  mkdirSync(join(root, 'var/lib/vz'), { recursive: true });
  mkdirSync(join(root, 'etc/modprobe.d'), { recursive: true });
  mkdirSync(join(root, 'etc/modules-load.d'), { recursive: true });
  // Debian's own defaults, with the administrator's parameters.
  put(
    root,
    'etc/default/grub',
    `# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.

GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="Proxmox VE"
GRUB_CMDLINE_LINUX_DEFAULT="${m.adminCmdline}"
GRUB_CMDLINE_LINUX=""
`,
  );
  if (m.bootloader === 'systemd-boot') put(root, 'etc/kernel/cmdline', `${m.adminCmdline}\n`);
  // As installed: boot entries and initramfs made once, then this boot's facts.
  const boot = await f.hosts.exec(
    name,
    [
      'set -e',
      m.bootloader === 'grub' ? 'update-grub 2>/dev/null' : 'true',
      'update-initramfs -u -k all 2>/dev/null',
      'systemctl daemon-reload',
      'systemctl restart fake-hw-boot.service',
      'rm -f /run/fake-hw/calls.log',
    ].join('\n'),
  );
  if (boot.exitCode !== 0) throw new Error(`fake machine on ${name}: ${boot.stderr}${boot.stdout}`);
}

/** The stand-ins' calls since the machine was installed (or booted), one command line each. */
export async function calls(f: HostFixture, name: string): Promise<string[]> {
  const r = await f.hosts.exec(name, 'cat /run/fake-hw/calls.log 2>/dev/null || true');
  return r.stdout.split('\n').filter(Boolean);
}
