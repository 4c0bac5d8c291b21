/**
 * Windows identity across templates and clones: what sysprep does, as the API can observe it.
 *
 * - The end of a Windows install is what the template's answer file says (its bytes are kept
 *   from the upload): `sysprep.exe /generalize /oobe /shutdown` → the disk is **generalised**
 *   (no machine SID, no name, no accounts of its own) and the VM is off; a plain `shutdown /s`
 *   → the disk is an installed Windows with its own SID, a random name and the answer file's
 *   accounts; neither → Windows stays up (agent answering).
 * - A cached answer file: Setup copies the answer file to C:\Windows\Panther\unattend.xml, and
 *   on a clone's first boot that copy comes before any other (Microsoft's implicit search order).
 *   Unless the template deletes it before sysprep, a clone finds the template's answer file.
 * - **Cloning** a template whose Windows disk is not generalised is flagged (`sim.state.
 *   identityFlags`): every such clone shares the template's machine SID and name. PVE itself
 *   says nothing; tests expect the list empty.
 * - A generalised disk's **first boot** runs the specialize and oobeSystem passes: from the
 *   answer file on an attached CD (`Autounattend.xml` at the root of removable media — the
 *   implicit search), its `ComputerName` and `LocalAccounts` (passwords in Setup's hidden form),
 *   a new machine SID; then its FirstLogonCommands (a shutdown powers the VM off). No answer
 *   file → OOBE waits for a person (`guest.stuck`), the agent does not answer.
 */
import { randomInt } from 'node:crypto';
import type { SimCore } from '../core.js';
import type { SimVm, SimVolume } from './model.js';

export interface WindowsDisk {
  state: 'generalized' | 'specialized';
  /** Specialised: the machine SID, name and local accounts made by Setup. */
  machineSid?: string;
  computerName?: string;
  accounts?: { name: string; password: string; admin: boolean }[];
  /** Generalised while C:\Windows\Panther\unattend.xml (the template's answer file) remained. */
  cachedAnswerFile?: boolean;
}

type Attached = { key: string; cdrom: boolean; volume?: SimVolume };

/** The answer file inside an uploaded ISO (the writer stores files uncompressed). */
export function answerXml(vol: SimVolume | undefined): string | undefined {
  return vol?.data ? /<\?xml[\s\S]*?<\/unattend>/.exec(vol.data.toString('latin1'))?.[0] : undefined;
}

const pass = (xml: string, name: string) =>
  new RegExp(`<settings pass="${name}">([\\s\\S]*?)</settings>`).exec(xml)?.[1] ?? '';
const commands = (xml: string) =>
  [...xml.matchAll(/<(?:CommandLine|Path)>([^<]*)<\/(?:CommandLine|Path)>/g)].map((m) =>
    m[1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&'),
  );
const SYSPREP = /sysprep\.exe"?\s+(?=.*\/generalize)(?=.*\/oobe)(?=.*\/shutdown)/i;
const SHUTDOWN = /shutdown(\.exe)?\s+(?=.*\/s\b)/i;
const DELETES_PANTHER = /(del|Remove-Item)\b.*Panther\\unattend\.xml/i;

function newSid(): string {
  return `S-1-5-21-${[0, 0, 0].map(() => randomInt(1_000_000_000, 4_000_000_000)).join('-')}`;
}
const randomName = () =>
  `DESKTOP-${randomInt(36 ** 6, 36 ** 7)
    .toString(36)
    .toUpperCase()}`;

/** Setup's hidden form: base64 of UTF-16LE password + field name. */
function hidden(value: string, field: string, plain: boolean): string {
  if (plain) return value;
  const text = Buffer.from(value, 'base64').toString('utf16le');
  return text.endsWith(field) ? text.slice(0, -field.length) : text;
}

function accountsOf(xml: string): NonNullable<WindowsDisk['accounts']> {
  const oobe = pass(xml, 'oobeSystem');
  return [...oobe.matchAll(/<LocalAccount\b[\s\S]*?<\/LocalAccount>/g)].map(([a]) => ({
    name: /<Name>([^<]*)<\/Name>/.exec(a)?.[1] ?? '',
    password: hidden(
      /<Value>([^<]*)<\/Value>/.exec(a)?.[1] ?? '',
      'Password',
      /<PlainText>true<\/PlainText>/.test(a),
    ),
    admin: /<Group>Administrators<\/Group>/.test(a),
  }));
}

/** The end of the install: what the template's answer file does last. */
export function installEnd(xml: string | undefined): { disk: WindowsDisk; powerOff: boolean } {
  const cmds = commands(xml ?? '');
  if (cmds.some((c) => SYSPREP.test(c)))
    return {
      disk: { state: 'generalized', cachedAnswerFile: !cmds.some((c) => DELETES_PANTHER.test(c)) },
      powerOff: true,
    };
  return {
    disk: {
      state: 'specialized',
      machineSid: newSid(),
      computerName: randomName(),
      accounts: accountsOf(xml ?? ''),
    },
    powerOff: cmds.some((c) => SHUTDOWN.test(c)),
  };
}

/** Clone of a disk that holds a Windows not generalised: flagged (shared SID and name). */
export function flagSharedIdentity(sim: SimCore, source: SimVm, target: SimVm): void {
  for (const vol of sim.state.volumes.values()) {
    if (vol.vmid !== target.vmid || vol.os !== 'windows' || vol.windows?.state === 'generalized') continue;
    sim.state.identityFlags.push(
      `VM ${target.vmid} cloned from VM ${source.vmid}: its Windows was not generalised (sysprep), so the clone shares the machine SID ${vol.windows?.machineSid ?? "(the template's)"} and the name ${vol.windows?.computerName ?? "(the template's)"}`,
    );
  }
}

/**
 * The boot of a generalised disk: specialize + OOBE from the attached answer file. True when it
 * took over the boot (the disk was generalised), false for an ordinary boot.
 */
export function specializeOnBoot(
  sim: SimCore,
  vm: SimVm,
  disk: SimVolume,
  attached: Attached[],
  powerOff: () => void,
): boolean {
  if (disk.windows?.state !== 'generalized') return false;
  if (disk.windows.cachedAnswerFile) {
    vm.guest.stuck =
      "Windows specialize: used the template's cached answer file (C:\\Windows\\Panther\\unattend.xml), not the clone's";
    return true;
  }
  const xml = attached
    .filter((d) => d.cdrom)
    .map((d) => answerXml(d.volume))
    .find((x) => x);
  const name = xml ? /<ComputerName>([^<]*)<\/ComputerName>/.exec(pass(xml, 'specialize'))?.[1] : undefined;
  const accounts = xml ? accountsOf(xml) : [];
  if (!xml || !accounts.length) {
    vm.guest.stuck = 'Windows OOBE: waiting for someone to create an account (no answer file for the clone)';
    return true;
  }
  vm.guest.timers.push(
    setTimeout(() => {
      if (vm.status !== 'running') return;
      disk.windows = {
        state: 'specialized',
        machineSid: newSid(),
        computerName: !name || name === '*' ? randomName() : name.toUpperCase(),
        accounts,
      };
      if (commands(pass(xml, 'oobeSystem')).some((c) => SHUTDOWN.test(c))) powerOff();
      else vm.guest.agentAt = sim.clock.now();
    }, sim.timing.bootMs * 3),
  );
  return true;
}

/** The Windows disk a VM boots, for the guest model (state/windows.ts). */
export function windowsDiskOf(sim: SimCore, vm: SimVm): WindowsDisk | undefined {
  for (const [k, v] of Object.entries(vm.config)) {
    if (!/^(ide|sata|scsi|virtio)\d+$/.test(k) || /media=cdrom/.test(v)) continue;
    const vol = sim.state.volumes.get(v.split(',')[0]!);
    if (vol?.os === 'windows') return vol.windows;
  }
  return undefined;
}
