/**
 * The proxmox-host role's pure parts: command-line edits, lspci records, GPU selection, how host
 * drivers are kept off the GPU, the vfio module list by kernel, storage.cfg, verification, the
 * repository edits.
 */
import { describe, expect, it } from 'vitest';
import {
  editGrubDefault,
  editKernelCmdline,
  mergeParams,
  wantedParams,
} from '../../roles/proxmox-host/cmdline.js';
import { parseFacts, parseLspci, type PciFunction } from '../../roles/proxmox-host/facts.js';
import {
  codenameOf,
  commentOutEnterprise,
  entryElsewhere,
  NO_SUBSCRIPTION_LIST,
  pveRelease,
} from '../../roles/proxmox-host/repositories.js';
import { parseStorageCfg, snippetStorage } from '../../roles/proxmox-host/snippets.js';
import { groupNeighbours, pendingReboot } from '../../roles/proxmox-host/verify.js';
import { driverBlock, selectGpu, vfioModules } from '../../roles/proxmox-host/vfio.js';

const fn = (address: string, klass: string, id: string, modules: string[], driver?: string): PciFunction => ({
  address,
  klass,
  id,
  modules,
  ...(driver ? { driver } : {}),
});
const PCI = [
  fn('0000:00:01.0', '0604', '8086:1901', ['pcieport'], 'pcieport'),
  fn('0000:01:00.0', '0300', '10de:2204', ['nouveau'], 'nouveau'),
  fn('0000:01:00.1', '0403', '10de:1aef', ['snd_hda_intel'], 'snd_hda_intel'),
  fn('0000:00:1f.3', '0403', '8086:a348', ['snd_hda_intel'], 'snd_hda_intel'),
  fn('0000:00:02.0', '0300', '8086:3e92', ['i915'], 'i915'),
];

describe('kernel command line', () => {
  it('needs intel_iommu=on only on Intel before 6.8, iommu=pt when asked, then the extras', () => {
    const wish = { iommuPassthrough: true, extra: ['initcall_blacklist=sysfb_init'] };
    expect(wantedParams({ cpuVendor: 'intel', kernel: '6.5.13-6-pve' }, wish)).toEqual([
      'intel_iommu=on',
      'iommu=pt',
      'initcall_blacklist=sysfb_init',
    ]);
    expect(wantedParams({ cpuVendor: 'intel', kernel: '6.8.12-4-pve' }, wish)).toEqual([
      'iommu=pt',
      'initcall_blacklist=sysfb_init',
    ]);
    expect(
      wantedParams({ cpuVendor: 'amd', kernel: '5.15.131-1-pve' }, { iommuPassthrough: false, extra: [] }),
    ).toEqual([]);
  });

  it('keeps every parameter where it was, replaces a same-key value in place, appends the rest', () => {
    expect(mergeParams(['quiet', 'iommu=soft', 'nomodeset'], ['intel_iommu=on', 'iommu=pt'])).toEqual([
      'quiet',
      'iommu=pt',
      'nomodeset',
      'intel_iommu=on',
    ]);
    expect(mergeParams(['quiet', 'iommu=pt'], ['iommu=pt'])).toEqual(['quiet', 'iommu=pt']);
  });

  it('edits the last GRUB_CMDLINE_LINUX_DEFAULT, counts GRUB_CMDLINE_LINUX, and leaves the rest of the file', () => {
    const file = `# comment\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX_DEFAULT='quiet splash'\nGRUB_CMDLINE_LINUX="iommu=pt"\n`;
    const edit = editGrubDefault(file, ['intel_iommu=on', 'iommu=pt'], '/etc/default/grub');
    expect(edit.content).toBe(
      `# comment\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX_DEFAULT="quiet splash intel_iommu=on"\nGRUB_CMDLINE_LINUX="iommu=pt"\n`,
    );
    expect(editGrubDefault(edit.content, ['intel_iommu=on', 'iommu=pt'], 'g').content).toBe(edit.content);
    expect(editGrubDefault('GRUB_TIMEOUT=5\n', ['iommu=pt'], 'g').content).toBe(
      'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT="iommu=pt"\n',
    );
    expect(() =>
      editGrubDefault('GRUB_CMDLINE_LINUX_DEFAULT="$EXTRA quiet"\n', ['iommu=pt'], '/etc/default/grub'),
    ).toThrow(/\/etc\/default\/grub: .*uses shell expansion; NovaStation will not edit it/);
  });

  it('edits /etc/kernel/cmdline as one line', () => {
    expect(editKernelCmdline('root=ZFS=rpool/ROOT/pve-1 boot=zfs\n', ['iommu=pt']).content).toBe(
      'root=ZFS=rpool/ROOT/pve-1 boot=zfs iommu=pt\n',
    );
    const same = 'root=ZFS=rpool/ROOT/pve-1 iommu=pt\n';
    expect(editKernelCmdline(same, ['iommu=pt']).content).toBe(same);
  });
});

describe('facts', () => {
  it('reads lspci -Dnvmmk records: ids, class, driver, modules', () => {
    const text =
      'Slot:\t0000:01:00.0\nClass:\t0300\nVendor:\t10de\nDevice:\t2204\nSVendor:\t1458\nDriver:\tvfio-pci\nModule:\tnouveau\nModule:\tnvidia\n\nSlot:\t01:00.1\nClass:\t0403\nVendor:\t10de\nDevice:\t1aef\n';
    expect(parseLspci(text)).toEqual([
      fn('0000:01:00.0', '0300', '10de:2204', ['nouveau', 'nvidia'], 'vfio-pci'),
      fn('0000:01:00.1', '0403', '10de:1aef', []),
    ]);
  });

  it('takes systemd-boot from proxmox-boot-tool only when an ESP is configured with uefi', () => {
    const facts = (boottool: string) => parseFacts(`@@ns boottool\n${boottool}\n@@ns kernel\n6.8.12-4-pve\n`);
    expect(facts('9E2B-4B2B is configured with: uefi (versions: 6.8.12-4-pve)').bootloader).toBe(
      'systemd-boot',
    );
    expect(facts('4A7B-1C2D is configured with: grub (versions: 6.8.12-4-pve)').bootloader).toBe('grub');
    expect(facts('E: /etc/kernel/proxmox-boot-uuids does not exist.').bootloader).toBe('grub');
  });
});

describe('the GPU', () => {
  it('is every function of the matching card', () => {
    expect(selectGpu(PCI, { device: '10de:2204' }).map((f) => f.address)).toEqual([
      '0000:01:00.0',
      '0000:01:00.1',
    ]);
    expect(selectGpu(PCI, { address: '0000:01:00' }).map((f) => f.address)).toEqual([
      '0000:01:00.0',
      '0000:01:00.1',
    ]);
  });

  it('is refused when missing or ambiguous, naming what is there', () => {
    expect(() => selectGpu(PCI, { device: '10de:1b80' })).toThrow(
      'no GPU with id 10de:1b80 on this machine (display devices here: 0000:01:00.0 [10de:2204], 0000:00:02.0 [8086:3e92])',
    );
    const two = [...PCI, fn('0000:02:00.0', '0300', '10de:2204', ['nouveau'])];
    expect(() => selectGpu(two, { device: '10de:2204' })).toThrow(
      /2 cards match id 10de:2204 .*set gpu_address/,
    );
  });

  it('is kept off its drivers: softdep for all; blacklist only for drivers no other device needs', () => {
    const gpu = selectGpu(PCI, { device: '10de:2204' });
    expect(driverBlock(gpu, PCI, 'softdep')).toEqual({
      blacklist: [],
      softdep: ['nouveau', 'snd_hda_intel'],
    });
    expect(driverBlock(gpu, PCI, 'blacklist', ['nvidia'])).toEqual({
      blacklist: ['nouveau', 'nvidia'],
      softdep: ['snd_hda_intel'],
    });
  });

  it('needs vfio_virqfd only before kernel 6.2', () => {
    expect(vfioModules('6.1.0-18-amd64')).toContain('vfio_virqfd');
    expect(vfioModules('6.2.16-3-pve')).not.toContain('vfio_virqfd');
  });
});

describe('verification', () => {
  const facts = (cmdline: string[], groups: [string, string][], pci = PCI) =>
    ({ ...parseFacts(''), cmdline, groups: new Map(groups), pci }) as ReturnType<typeof parseFacts>;

  it('says why a reboot is required, or nothing', () => {
    const gpu = selectGpu(PCI, { device: '10de:2204' });
    expect(pendingReboot(facts(['quiet'], []), gpu, ['iommu=pt']).reasons).toEqual([
      'the running kernel was booted without iommu=pt',
      'the IOMMU is not active (no IOMMU groups)',
      '0000:01:00.0 is bound to nouveau, 0000:01:00.1 is bound to snd_hda_intel, not vfio-pci',
    ]);
    const bound = gpu.map((f) => ({ ...f, driver: 'vfio-pci' }));
    expect(pendingReboot(facts(['iommu=pt'], [['0000:01:00.0', '1']]), bound, ['iommu=pt']).reasons).toEqual(
      [],
    );
  });

  it('names endpoints sharing the GPU group, not bridges', () => {
    const nic = fn('0000:02:00.0', '0200', '8086:1533', ['igb'], 'igb');
    const groups: [string, string][] = [
      ['0000:00:01.0', '1'],
      ['0000:01:00.0', '1'],
      ['0000:01:00.1', '1'],
      ['0000:02:00.0', '1'],
    ];
    const gpu = selectGpu(PCI, { device: '10de:2204' });
    expect(groupNeighbours(facts([], groups, [...PCI, nic]), gpu)).toEqual([nic]);
    expect(groupNeighbours(facts([], groups.slice(0, 3)), gpu)).toEqual([]);
  });
});

describe('snippets storage', () => {
  const cfg =
    'dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl\n\nlvmthin: local-lvm\n\tthinpool data\n\tcontent images\n';
  it('reads storage.cfg and refuses a storage without a path', () => {
    expect(parseStorageCfg(cfg)[0]).toEqual({
      type: 'dir',
      id: 'local',
      path: '/var/lib/vz',
      content: ['iso', 'vztmpl'],
    });
    expect(() => snippetStorage(cfg, 'local-lvm')).toThrow(/storage local-lvm \(type lvmthin\) has no path/);
    expect(() => snippetStorage(cfg, 'nas')).toThrow(/storage nas is not in \/etc\/pve\/storage.cfg/);
  });
});

describe('Proxmox VE repositories', () => {
  it('comments out only the enterprise.proxmox.com lines, once', () => {
    const ceph = [
      '# Ceph',
      'deb https://enterprise.proxmox.com/debian/ceph-quincy bookworm enterprise',
      'deb [arch=amd64] https://enterprise.proxmox.com/debian/ceph-reef bookworm enterprise',
      'deb http://download.proxmox.com/debian/ceph-quincy bookworm no-subscription',
      '',
    ].join('\n');
    const once = commentOutEnterprise(ceph);
    expect(once).toBe(
      [
        '# Ceph',
        '# deb https://enterprise.proxmox.com/debian/ceph-quincy bookworm enterprise',
        '# deb [arch=amd64] https://enterprise.proxmox.com/debian/ceph-reef bookworm enterprise',
        'deb http://download.proxmox.com/debian/ceph-quincy bookworm no-subscription',
        '',
      ].join('\n'),
    );
    expect(commentOutEnterprise(once)).toBe(once);
  });

  it('knows Proxmox VE 8 on bookworm only, and says so for another release', () => {
    expect(codenameOf('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n')).toBe(
      'bookworm',
    );
    expect(pveRelease('bookworm')).toEqual({ codename: 'bookworm', pve: '8' });
    expect(() => pveRelease('trixie')).toThrow(
      /^pve_repository: no-subscription is known for Proxmox VE 8 \(Debian bookworm\) only; this server runs Debian trixie: .*Nothing was changed\.$/,
    );
    expect(() => pveRelease(undefined)).toThrow(/no VERSION_CODENAME in \/etc\/os-release/);
  });

  it('finds an entry the administrator already has, in any one-line file but ours', () => {
    const line = 'deb http://download.proxmox.com/debian/pve bookworm pve-no-subscription\n';
    const files = new Map([
      ['/etc/apt/sources.list', `deb http://deb.debian.org/debian bookworm main\n${line}`],
      ['/etc/apt/sources.list.d/old.list', `# ${line}`],
      ['/etc/apt/sources.list.d/bullseye.list', line.replace('bookworm', 'bullseye')],
      [NO_SUBSCRIPTION_LIST, line],
    ]);
    expect(entryElsewhere(files, 'bookworm')).toEqual(['/etc/apt/sources.list']);
    files.delete('/etc/apt/sources.list');
    expect(entryElsewhere(files, 'bookworm')).toEqual([]);
  });
});
