/**
 * What runs inside a VM, reduced to what the API can observe (the guest agent):
 * - A disk imported from the Ubuntu cloud image boots Ubuntu 22.04; with `agent` enabled the agent
 *   answers `bootMs` after start (linux, an address from ipconfig0 or DHCP on vmbr0) — only when
 *   cloud-init installs it: `cicustom` names a snippet that does (state/cloud-init.ts).
 * - A disk with Windows installed boots Windows 11; the agent answers after `bootMs` (mswindows).
 * - Windows install: booting the Windows ISO with an empty disk, an answer-file ISO attached and
 *   Windows 11's requirements met (OVMF + efidisk0, tpmstate0 v2.0, VirtIO drivers ISO when the
 *   disk is VirtIO) installs for `windowsInstallMs`; THE RULE: at the end the VM powers itself off
 *   (the answer file's last step is a shutdown) and its disk now boots Windows. The agent never
 *   answers during setup. A requirement missing leaves setup waiting forever (`guest.stuck`).
 *   How it ends, and a clone's first boot, follow the answer files (state/windows-identity.ts).
 */
import type { SimCore } from '../core.js';
import { die } from '../http/errors.js';
import { ubuntuHasAgent } from './cloud-init.js';
import { showBootPrompt } from './boot-prompt.js';
import { isCdrom, parseDrive } from './drives.js';
import { answerXml, installEnd, specializeOnBoot } from './windows-identity.js';
import type { SimVm, SimVolume } from './model.js';

const DISK_ORDER = /^(ide|sata|scsi|virtio)(\d+)$/;

export function resetGuest(vm: SimVm): void {
  vm.guest.timers.forEach(clearTimeout);
  vm.guest = { timers: [], execs: new Map(), nextPid: 1000 };
}

const agentEnabled = (vm: SimVm) =>
  /^(1|enabled=1)(,|$)/.test(vm.config.agent ?? '') || /(^|,)enabled=1(,|$)/.test(vm.config.agent ?? '');

export function guestIp(vm: SimVm): string {
  const ip = /(?:^|,)ip=([0-9.]+)\//.exec(vm.config.ipconfig0 ?? '')?.[1];
  return ip ?? `192.168.100.${(vm.vmid % 200) + 20}`;
}

/** Called when a VM has started: decides what boots and schedules the agent / the install. */
export function bootGuest(sim: SimCore, vm: SimVm): void {
  resetGuest(vm);
  const now = sim.clock.now();
  const attached = Object.keys(vm.config)
    .filter((k) => DISK_ORDER.test(k))
    .map((k) => {
      const d = parseDrive(vm.config[k]!);
      return { key: k, cdrom: isCdrom(d), volume: sim.state.volumes.get(d.file) };
    });
  const osDisk = attached.find((d) => !d.cdrom && (d.volume?.os === 'ubuntu' || d.volume?.os === 'windows'));
  if (osDisk) {
    vm.guest.os = osDisk.volume!.os as 'ubuntu' | 'windows';
    // A generalised Windows: this boot is its specialize + OOBE (state/windows-identity.ts).
    if (specializeOnBoot(sim, vm, osDisk.volume!, attached, () => guestPowerOff(vm))) return;
    if (vm.windows) {
      // A new boot: a pending rename takes effect, pending-reboot reasons are gone.
      vm.windows.bootTime = now;
      vm.windows.computer.active = vm.windows.computer.pending;
      vm.windows.externalRebootReasons.clear();
    }
    vm.guest.ip = guestIp(vm);
    // Ubuntu's cloud image has an agent only when cloud-init installs it (state/cloud-init.ts).
    const hasAgent = vm.guest.os === 'windows' || ubuntuHasAgent(sim, vm);
    if (agentEnabled(vm) && hasAgent) vm.guest.agentAt = now + sim.timing.bootMs;
    return;
  }
  const installer = attached.find((d) => d.cdrom && d.volume?.os === 'windows-installer');
  if (!installer) return; // nothing bootable: the VM sits at the firmware, no agent
  // Setup starts only once a key answers the ISO's boot prompt (state/boot-prompt.ts).
  showBootPrompt(sim, vm, () => startSetup(sim, vm, attached));
}

/** Windows Setup from the ISO: stuck on a missing requirement, or installing. */
function startSetup(
  sim: SimCore,
  vm: SimVm,
  attached: { key: string; cdrom: boolean; volume?: SimVolume }[],
): void {
  const target = attached.find((d) => !d.cdrom && d.volume);
  const why = !target
    ? 'Windows Setup: no disk to install to'
    : !attached.some((d) => d.cdrom && d.volume?.os === 'answer-file')
      ? 'Windows Setup: waiting for input (no answer file attached)'
      : vm.config.bios !== 'ovmf' || !vm.config.efidisk0 || !/version=v2\.0/.test(vm.config.tpmstate0 ?? '')
        ? "Windows Setup: This PC can't run Windows 11 (needs UEFI and TPM 2.0)"
        : (/^virtio\d/.test(target.key) ||
              (/^scsi\d/.test(target.key) && /^virtio-scsi/.test(vm.config.scsihw ?? ''))) &&
            !attached.some((d) => d.cdrom && d.volume?.os === 'virtio-drivers')
          ? 'Windows Setup: no drives found (VirtIO storage driver missing)'
          : undefined;
  if (why) {
    vm.guest.stuck = why;
    return;
  }
  vm.guest.installing = true;
  vm.guest.timers.push(
    setTimeout(() => {
      if (vm.status !== 'running' || !vm.guest.installing) return;
      target!.volume!.os = 'windows';
      // The answer file's last step decides: sysprep (generalised) or a shutdown, both power off.
      const answer = attached.map((d) => (d.cdrom ? answerXml(d.volume) : undefined)).find((x) => x);
      const end = installEnd(answer);
      target!.volume!.windows = end.disk;
      vm.guest.installing = false;
      if (end.powerOff) guestPowerOff(vm);
      else vm.guest.agentAt = sim.clock.now();
    }, sim.timing.windowsInstallMs),
  );
}

/** The guest powers the VM off (a shutdown inside it; no task). */
function guestPowerOff(vm: SimVm): void {
  vm.status = 'stopped';
  vm.startedAt = undefined;
  resetGuest(vm);
  applyPendingOnStop(vm);
}

/** Pending changes of a running VM become current when it stops (a guest-initiated poweroff too). */
export function applyPendingOnStop(vm: SimVm): void {
  Object.assign(vm.config, vm.pending);
  for (const k of vm.pendingDelete) delete vm.config[k];
  vm.pending = {};
  vm.pendingDelete.clear();
}

/** qemu-server Agent.pm assert_agent_available, then the agent's own liveness. */
export function assertAgent(sim: SimCore, vm: SimVm): void {
  if (vm.config.agent === undefined) throw die('No QEMU guest agent configured');
  if (vm.status !== 'running') throw die(`VM ${vm.vmid} is not running`);
  if (!agentEnabled(vm) || vm.guest.agentAt === undefined || sim.clock.now() < vm.guest.agentAt)
    throw die('QEMU guest agent is not running');
}

export function osInfo(vm: SimVm): Record<string, string> {
  if (vm.guest.os === 'windows') {
    return {
      id: 'mswindows',
      name: 'Microsoft Windows',
      'pretty-name': 'Windows 11 Pro',
      version: 'Microsoft Windows 11',
      'version-id': '11',
      'kernel-release': '26100',
      'kernel-version': '10.0',
      machine: 'x86_64',
      variant: 'client',
      'variant-id': 'client',
    };
  }
  return {
    id: 'ubuntu',
    name: 'Ubuntu',
    'pretty-name': 'Ubuntu 22.04.5 LTS',
    version: '22.04.5 LTS (Jammy Jellyfish)',
    'version-id': '22.04',
    'kernel-release': '5.15.0-131-generic',
    'kernel-version': '#141-Ubuntu SMP Fri Jan 10 21:18:28 UTC 2025',
    machine: 'x86_64',
  };
}

export function interfaces(vm: SimVm): unknown[] {
  const mac = (/=([0-9A-Fa-f:]{17})/.exec(vm.config.net0 ?? '')?.[1] ?? '00:00:00:00:00:00').toLowerCase();
  const win = vm.guest.os === 'windows';
  const ip = vm.guest.ip ?? guestIp(vm);
  return [
    {
      name: win ? 'Loopback Pseudo-Interface 1' : 'lo',
      'hardware-address': '00:00:00:00:00:00',
      'ip-addresses': [{ 'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', prefix: 8 }],
    },
    {
      name: win ? 'Ethernet' : 'eth0',
      'hardware-address': mac,
      'ip-addresses': [{ 'ip-address': ip, 'ip-address-type': 'ipv4', prefix: 24 }],
    },
  ];
}
