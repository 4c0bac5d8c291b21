/**
 * A VM's declared configuration compared with what Proxmox reports (`GET …/config`), as data:
 * the changes to show, the one `POST …/config` that makes them (only the keys that differ), and
 * the disk resizes. Pure, so it is tested without a server.
 *
 * Only declared keys are managed: a key the inventory does not mention is left as it is (a
 * clone keeps its template's settings). Property strings are compared by their parts, so
 * `agent: 1` and `agent: enabled=1` agree, and the parts Proxmox adds itself (a disk's `size`,
 * a NIC's generated MAC) are not drift.
 *
 * Some changes would lose something and are refused unless allowed (Ansible's
 * `update_unsafe`, Terraform's "forces replacement", without the silent part):
 * - a disk on another storage: Proxmox would attach a new, empty disk and keep the old one
 *   only as an `unused` volume;
 * - a different MAC address: the guest sees a new NIC (DHCP leases, licences, udev names);
 * - a new EFI or TPM state disk (other type or version): the guest's boot entries, keys or
 *   BitLocker state are on the old one.
 * A smaller disk is always refused: Proxmox cannot shrink disks.
 */
import {
  formatNet,
  formatPropertyString,
  parseNet,
  parsePropertyString,
  parseSize,
} from '../../lib/proxmox/index.js';
import type { Change } from '../../lib/resource.js';

export type OptionValue = string | number | boolean;

export interface DiskSpec {
  /** Storage for a new disk (`local-lvm`); an existing disk on another storage is unsafe to replace. */
  storage: string;
  /** GiB. A new disk gets this size; an existing one is grown to it (never shrunk). */
  sizeGb?: number;
  /** Drive options compared one by one: iothread, discard, ssd, efitype, pre-enrolled-keys, version… */
  options?: Record<string, OptionValue>;
}

export interface NicSpec {
  model: string;
  bridge: string;
  /** VLAN tag; undefined means untagged. */
  tag?: number;
  firewall?: boolean;
  /** Declared MAC; undefined keeps whatever Proxmox generated. */
  macaddr?: string;
}

export interface VmConfigSpec {
  /** Plain options (cores, memory, cpu, agent, ciuser, ipconfig0, hostpci0, boot…); null: must be absent. */
  options?: Record<string, OptionValue | null>;
  /** `sshkeys` as plain text, one key per line (sent URL-encoded, as Proxmox requires). */
  sshKeys?: string[];
  disks?: Record<string, DiskSpec>;
  nics?: Record<string, NicSpec>;
}

export interface ConfigPlan {
  changes: Change[];
  /** Parameters of the config POST (without `digest`). */
  params: Record<string, string>;
  /** Keys to remove (`delete=…`). */
  delete: string[];
  /** PUT …/resize calls: `{ disk: 'scsi0', size: '64G' }`. */
  resize: { disk: string; size: string }[];
  /** Pending values to drop (`revert=…`): declared as the running VM has them (vm-pending.ts). */
  revert?: string[];
}

/** How a property-string option is compared: its default key, and subset (declared parts only) or exact. */
const PROPERTY_OPTIONS: [RegExp, string | undefined, 'subset' | 'exact'][] = [
  [/^memory$/, 'current', 'exact'],
  [/^agent$/, 'enabled', 'subset'],
  [/^cpu$/, 'cputype', 'subset'],
  [/^vga$/, 'type', 'subset'],
  [/^hostpci\d+$/, 'host', 'exact'],
  [/^ipconfig\d+$/, undefined, 'exact'],
  [/^boot$/, 'legacy', 'exact'],
  [/^machine$/, 'type', 'subset'],
];

/**
 * `q35` is the machine type family; Proxmox pins a Windows VM to a version of it
 * (`pc-q35-10.1+pve0`) so a QEMU update does not change the guest's hardware. Declaring `q35`
 * accepts any pinned q35 version (changing the pin is what Proxmox avoids on purpose).
 */
function machineFamily(type: string): string {
  return type.replace(/^pc-(q35|i440fx)-[0-9.]+(\+pve\d+)?$/, (_, family: string) =>
    family === 'q35' ? 'q35' : 'pc',
  );
}

const GiB = 1024 ** 3;

function text(value: unknown): string {
  if (value === true) return '1';
  if (value === false) return '0';
  return value === undefined || value === null ? '' : String(value);
}

/** Booleans as Proxmox prints them, so `on`/`true`/`1` compare equal. */
function norm(value: string): string {
  return /^(1|on|true|yes)$/i.test(value) ? '1' : /^(0|off|false|no)$/i.test(value) ? '0' : value;
}

function partsEqual(want: Record<string, string>, have: Record<string, string>, exact: boolean): boolean {
  const keys = new Set([...Object.keys(want), ...(exact ? Object.keys(have) : [])]);
  return [...keys].every((k) => norm(want[k] ?? '') === norm(have[k] ?? ''));
}

function optionEqual(key: string, want: string, have: string): boolean {
  const rule = PROPERTY_OPTIONS.find(([re]) => re.test(key));
  if (!rule) return norm(want) === norm(have);
  try {
    const [w, h] = [parsePropertyString(want, rule[1]), parsePropertyString(have, rule[1])];
    if (key === 'machine') [w.type, h.type] = [machineFamily(w.type ?? 'pc'), machineFamily(h.type ?? 'pc')];
    return partsEqual(w, h, rule[2] === 'exact');
  } catch {
    return want === have;
  }
}

function keyLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

function decodeKeys(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const count = (n: number) => `${n} key${n === 1 ? '' : 's'}`;

export function planVmConfig(
  vm: string,
  desired: VmConfigSpec,
  current: Record<string, unknown>,
  allowUnsafe: boolean,
): ConfigPlan {
  const plan: ConfigPlan = { changes: [], params: {}, delete: [], resize: [] };
  const unsafe: string[] = [];
  const impossible: string[] = [];

  for (const [key, value] of Object.entries(desired.options ?? {})) {
    const have = current[key];
    if (value === null) {
      if (have !== undefined) {
        plan.delete.push(key);
        plan.changes.push({ field: key, from: text(have), to: '(removed)' });
      }
      continue;
    }
    const want = text(value);
    if (have === undefined || !optionEqual(key, want, text(have))) {
      plan.params[key] = want;
      plan.changes.push({ field: key, ...(have !== undefined ? { from: text(have) } : {}), to: want });
    }
  }

  if (desired.sshKeys) {
    const want = desired.sshKeys.map((k) => k.trim()).filter(Boolean);
    const have = current.sshkeys === undefined ? [] : keyLines(decodeKeys(text(current.sshkeys)));
    if (want.join('\n') !== have.join('\n')) {
      // Proxmox checks sshkeys as strict URL-encoding (pve-common pve_verify_urlencoded).
      plan.params.sshkeys = encodeURIComponent(want.join('\n'));
      plan.changes.push({
        field: 'sshkeys',
        from: count(have.length),
        to: want.length === have.length ? `${count(want.length)} (changed)` : count(want.length),
      });
    }
  }

  for (const [key, disk] of Object.entries(desired.disks ?? {})) {
    const have = current[key] === undefined ? undefined : parsePropertyString(text(current[key]), 'file');
    const fresh = formatPropertyString(
      { file: `${disk.storage}:${disk.sizeGb ?? 1}`, ...disk.options },
      'file',
    );
    if (!have || have.file === 'none') {
      plan.params[key] = fresh;
      plan.changes.push({
        field: key,
        to: `new disk on ${disk.storage}${disk.sizeGb ? ` (${disk.sizeGb}G)` : ''}`,
      });
      continue;
    }
    const storage = have.file!.split(':')[0];
    const isStateDisk = /^(efidisk|tpmstate)\d+$/.test(key);
    const optionsDiffer = !partsEqual(
      Object.fromEntries(Object.entries(disk.options ?? {}).map(([k, v]) => [k, text(v)])),
      have,
      false,
    );
    if (storage !== disk.storage || have.media === 'cdrom' || (isStateDisk && optionsDiffer)) {
      const why =
        have.media === 'cdrom'
          ? `a new disk in place of the CD-ROM ${have.file}`
          : storage !== disk.storage
            ? `a new, empty disk on ${disk.storage} in place of the current one on ${storage} (which would be kept only as an unused volume)`
            : `a new ${key} (${formatPropertyString(disk.options ?? {})}) in place of the current one (${current[key]})`;
      if (allowUnsafe) {
        plan.params[key] = fresh;
        plan.changes.push({ field: key, from: text(current[key]), to: `replaced: ${why}` });
      } else unsafe.push(`${key}: ${why}`);
      continue;
    }
    if (optionsDiffer) {
      // The same volume with other options (never a bare `storage:size`, which would allocate a new disk).
      const merged = {
        ...have,
        ...Object.fromEntries(Object.entries(disk.options ?? {}).map(([k, v]) => [k, text(v)])),
      };
      plan.params[key] = formatPropertyString(merged, 'file');
      plan.changes.push({ field: key, from: text(current[key]), to: plan.params[key]! });
    }
    if (disk.sizeGb !== undefined && !isStateDisk) {
      const bytes = have.size !== undefined ? parseSize(have.size) : undefined;
      const wanted = disk.sizeGb * GiB;
      if (bytes !== undefined && wanted > bytes) {
        plan.resize.push({ disk: key, size: `${disk.sizeGb}G` });
        plan.changes.push({ field: `${key} size`, from: have.size!, to: `${disk.sizeGb}G` });
      } else if (bytes !== undefined && wanted < bytes) {
        impossible.push(
          `${key}: the disk would shrink from ${have.size} to ${disk.sizeGb}G (Proxmox VE cannot shrink disks; declare at least ${have.size})`,
        );
      }
    }
  }

  for (const [key, nic] of Object.entries(desired.nics ?? {})) {
    const want: Record<string, string | number | boolean | undefined> = {
      model: nic.model,
      bridge: nic.bridge,
      tag: nic.tag,
      firewall: nic.firewall,
      macaddr: nic.macaddr,
    };
    if (current[key] === undefined) {
      plan.params[key] = formatNet(want);
      plan.changes.push({ field: key, to: plan.params[key]! });
      continue;
    }
    const have = parseNet(text(current[key]));
    if (nic.macaddr && have.macaddr && nic.macaddr.toUpperCase() !== have.macaddr.toUpperCase()) {
      const why = `MAC address ${have.macaddr} → ${nic.macaddr} (the guest would see a new network card)`;
      if (!allowUnsafe) {
        unsafe.push(`${key}: ${why}`);
        continue;
      }
    }
    const differs =
      have.model !== nic.model ||
      have.bridge !== nic.bridge ||
      text(have.tag) !== text(nic.tag) ||
      (nic.firewall !== undefined && norm(have.firewall ?? '0') !== text(nic.firewall)) ||
      (nic.macaddr !== undefined && nic.macaddr.toUpperCase() !== (have.macaddr ?? '').toUpperCase());
    if (differs) {
      // Re-sent with the MAC it has (a NIC without macaddr gets a new random one).
      const merged: Record<string, string | number | boolean | undefined> = {
        ...have,
        ...want,
        macaddr: nic.macaddr ?? have.macaddr,
      };
      if (nic.tag === undefined) delete merged.tag;
      if (nic.firewall === undefined) merged.firewall = have.firewall;
      plan.params[key] = formatNet(merged);
      plan.changes.push({ field: key, from: text(current[key]), to: plan.params[key]! });
    }
  }

  if (impossible.length || unsafe.length) {
    const lines = [
      ...impossible,
      ...unsafe.map((u) => `${u} — unsafe; set vm_allow_unsafe: true for ${vm} to allow it`),
    ];
    throw new Error(
      `${vm}: refusing ${lines.length === 1 ? 'a change' : `${lines.length} changes`} that would lose data or identity: ${lines.join('; ')}`,
    );
  }
  return plan;
}
