/**
 * What the Proxmox VM roles (vm-template, dev-vm, gpu-vm) share: the inventory variables of a
 * VM host, with their JSON Schemas, and how a clone's declared settings become a VM
 * configuration. Each VM is an inventory host whose name is its name in Proxmox; `pve_host`
 * names the inventory host of its Proxmox server, whose API settings the roles read
 * (lib/proxmox/site.ts).
 */
import {
  oneOf,
  secretString,
  Type,
  type RoleContext,
  type Static,
  type WithDefaults,
} from '../lib/define.js';
import type { ProxmoxClient } from '../lib/proxmox/index.js';
import { pveVmPower } from '../tasks/proxmox/power.js';
import type { VmConfigSpec } from '../tasks/proxmox/vm-config.js';
import { pveVm } from '../tasks/proxmox/vm.js';
import { windowsFirstBoot } from './windows-first-boot.js';
import { PveHostVars, type PveSite } from '../lib/proxmox/site.js';

export { PveHostVars, pveHostVarsSchema, pveSite, withProxmox, type PveSite } from '../lib/proxmox/site.js';

const name = '^[a-zA-Z][a-zA-Z0-9_.-]*$';

/** Properties every VM host has (templates, dev VMs, the GPU VM). */
export const vmProperties = {
  pve_host: Type.String({
    minLength: 1,
    description: 'Inventory name of the Proxmox VE server the VM lives on (its pve_* API settings are used).',
  }),
  vm_id: Type.Optional(
    Type.Integer({
      minimum: 100,
      maximum: 999999999,
      description: 'VMID; default: allocated when the VM is created (the VM is found by its name).',
    }),
  ),
  vm_node: Type.Optional(
    Type.String({
      pattern: '^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$',
      description: 'Node for a new VM (default: pve_node of pve_host).',
    }),
  ),
  vm_cores: Type.Optional(Type.Integer({ minimum: 1, maximum: 512, description: 'CPU cores.' })),
  vm_memory: Type.Optional(Type.Integer({ minimum: 16, description: 'Memory in MiB.' })),
  vm_disk_gb: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 65536,
      description: 'Size of the system disk (scsi0) in GiB; grown, never shrunk.',
    }),
  ),
  vm_storage: Type.Optional(
    Type.String({ pattern: name, description: 'Storage of the system disk (default: pve_vm_storage).' }),
  ),
  vm_bridge: Type.Optional(
    Type.String({ pattern: name, description: 'Bridge of the first NIC (default: pve_bridge).' }),
  ),
  vm_vlan: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 4094,
      description: 'VLAN tag of the first NIC (default: untagged).',
    }),
  ),
  vm_mac: Type.Optional(
    Type.String({
      pattern: '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$',
      description: 'MAC address of the first NIC (default: the one Proxmox generated).',
    }),
  ),
  vm_allow_unsafe: Type.Optional(
    Type.Boolean({
      description:
        'Allow changes that lose data or identity: a disk moved to another storage (new empty disk), another MAC address. Default false.',
    }),
  ),
};

/** Properties of a VM cloned from a template (dev VMs, the GPU VM). */
export const cloneProperties = {
  ...vmProperties,
  vm_template: Type.String({
    minLength: 1,
    description: 'Inventory name of the template to clone (a host of the vm-template role).',
  }),
  vm_clone: Type.Optional(
    oneOf(['full', 'linked'], {
      description: "Full clone (own disks; default) or linked clone (shares the template's base disk).",
    }),
  ),
  vm_power: Type.Optional(
    oneOf(['running', 'stopped'], {
      description: 'Desired power state (default running).',
    }),
  ),
  vm_restart_for_changes: Type.Optional(
    Type.Boolean({
      description:
        'Let the role restart the running VM (clean shutdown, then start) to apply configuration changes Proxmox keeps pending because it cannot hot-plug them (memory, cores, CPU type…). Default false: they are reported as pending until the VM restarts.',
    }),
  ),
  ci_user: Type.Optional(
    Type.String({ pattern: '^[a-z_][a-z0-9_-]*$', description: 'Cloud-init user (Ubuntu).' }),
  ),
  ci_ssh_keys: Type.Optional(
    Type.Array(
      Type.String({
        pattern: '^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( .*)?$',
      }),
      { description: 'SSH public keys for the cloud-init user (Ubuntu).' },
    ),
  ),
  vm_ip: Type.Optional(
    Type.String({
      pattern: '^(dhcp|([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2})$',
      description: 'IPv4 of the first NIC for cloud-init: dhcp or address/prefix (Ubuntu).',
    }),
  ),
  vm_gateway: Type.Optional(
    Type.String({
      pattern: '^([0-9]{1,3}\\.){3}[0-9]{1,3}$',
      description: 'IPv4 gateway with a static vm_ip (Ubuntu).',
    }),
  ),
};

/**
 * What a clone reads from its template's inventory host; for Windows, what its first boot's
 * answer file needs (the administrator, locale, time zone: roles/windows-first-boot.ts).
 */
export const TemplateRef = Type.Object({
  vm_os: oneOf(['ubuntu', 'windows'], {
    description: 'The OS the template installs.',
  }),
  vm_id: vmProperties.vm_id,
  win_admin_user: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,20}$' })),
  win_admin_password: Type.Optional(secretString({ minLength: 8 })),
  win_locale: Type.Optional(Type.String({ pattern: '^[a-z]{2,3}-[A-Z]{2}$' })),
  win_timezone: Type.Optional(Type.String({ minLength: 1 })),
});
export type TemplateRef = Static<typeof TemplateRef>;
/** The same schema under its earlier name. */
export const templateRefSchema = TemplateRef;

/** The hosts a clone reads: its Proxmox server and its template. */
export const cloneRefs = { pve_host: PveHostVars, vm_template: TemplateRef };

export const cloneDefaults = {
  vm_cores: 2,
  vm_memory: 4096,
  vm_clone: 'full',
  vm_power: 'running',
  vm_allow_unsafe: false,
  vm_restart_for_changes: false,
} as const;

export const CloneVarsSchema = Type.Object(cloneProperties);
/** A clone's variables inside `apply` (the defaults above filled in). */
export type CloneVars = WithDefaults<Static<typeof CloneVarsSchema>, typeof cloneDefaults>;

/** A static address needs its prefix; a gateway makes sense only with one. */
export function ipconfig(vars: Pick<CloneVars, 'vm_ip' | 'vm_gateway'>): string | undefined {
  if (!vars.vm_ip) return undefined;
  if (vars.vm_ip === 'dhcp') return 'ip=dhcp';
  return `ip=${vars.vm_ip}${vars.vm_gateway ? `,gw=${vars.vm_gateway}` : ''}`;
}

/**
 * The configuration a clone keeps in line: CPU, memory, system disk, first NIC, cloud-init
 * (Ubuntu: user, SSH keys, IP, and the proxmox-host role's snippet as vendor data — the cloud
 * image has no qemu-guest-agent until cloud-init installs it from there).
 */
export function cloneConfig(vars: CloneVars, site: PveSite, os: TemplateRef['vm_os']): VmConfigSpec {
  const ci = os === 'ubuntu';
  const ip = ci ? ipconfig(vars) : undefined;
  return {
    options: {
      cores: vars.vm_cores,
      memory: vars.vm_memory,
      ...(ci && vars.ci_user ? { ciuser: vars.ci_user } : {}),
      ...(ip ? { ipconfig0: ip } : {}),
      ...(ci ? { cicustom: `vendor=${site.guestAgentSnippet}` } : {}),
    },
    ...(ci && vars.ci_ssh_keys ? { sshKeys: vars.ci_ssh_keys } : {}),
    disks: {
      scsi0: {
        storage: vars.vm_storage ?? site.vmStorage,
        ...(vars.vm_disk_gb ? { sizeGb: vars.vm_disk_gb } : {}),
      },
    },
    nics: {
      net0: {
        model: 'virtio',
        bridge: vars.vm_bridge ?? site.bridge,
        ...(vars.vm_vlan ? { tag: vars.vm_vlan } : {}),
        ...(vars.vm_mac ? { macaddr: vars.vm_mac.toUpperCase() } : {}),
      },
    },
  };
}

export interface CloneSteps {
  client: ProxmoxClient;
  site: PveSite;
  template: TemplateRef;
  node: string;
  /** The VM configuration to keep in line (cloneConfig's, plus what the role adds). */
  config: VmConfigSpec;
  /** Appended to the clone task's name, e.g. ` with the GPU`. */
  what?: string;
}

/**
 * The two steps every cloned VM takes: the clone (made if missing, its configuration kept in
 * line) and its power state. Shared by dev-vm and gpu-vm.
 */
export async function cloneAndPower(
  ctx: RoleContext<CloneVars, typeof cloneRefs>,
  { client, site, template, node, config, what = '' }: CloneSteps,
): Promise<void> {
  const { vars, inventoryHost: name, host, task } = ctx;
  const vmid = vars.vm_id;
  const full = vars.vm_clone === 'full';
  await task(`${vars.vm_clone} clone of ${vars.vm_template}${what}`, () =>
    pveVm(host, {
      client,
      name,
      ...(vmid !== undefined ? { vmid } : {}),
      node,
      source: {
        clone: {
          template: vars.vm_template,
          ...(template.vm_id ? { templateVmid: template.vm_id } : {}),
          full,
          ...(full ? { storage: vars.vm_storage ?? site.vmStorage } : {}),
        },
      },
      config,
      allowUnsafe: vars.vm_allow_unsafe,
      // Changes Proxmox keeps pending: applied by a restart when allowed; a VM declared stopped
      // gets them when the power step shuts it down.
      restartForChanges: vars.vm_restart_for_changes,
      restartVar: 'vm_restart_for_changes',
      stopsAfter: vars.vm_power === 'stopped',
      lock: ctx.lock,
      vmidLock: `vmid:${vars.pve_host}`,
      log: ctx.log,
    }),
  );
  // A clone of a generalised Windows template: its first boot gives it its identity.
  if (template.vm_os === 'windows') await windowsFirstBoot(ctx, { client, site, template });
  await task(`power ${vars.vm_power}`, () =>
    pveVmPower(host, {
      client,
      name,
      ...(vmid !== undefined ? { vmid } : {}),
      state: vars.vm_power,
      log: ctx.log,
    }),
  );
}
