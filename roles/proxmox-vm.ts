/**
 * What the Proxmox VM roles (vm-template, dev-vm, gpu-vm) share: the inventory variables of a
 * VM host, with their JSON Schemas, and how a clone's declared settings become a VM
 * configuration. Each VM is an inventory host whose name is its name in Proxmox; `pve_host`
 * names the inventory host of its Proxmox server, whose API settings the roles read
 * (tasks/proxmox/connect.ts).
 */
import type { RoleVarsSchema } from '../lib/define.js';
import type { VmConfigSpec } from '../tasks/proxmox/vm-config.js';
import type { PveSite } from '../lib/proxmox/site.js';

export {
  pveHostVarsSchema,
  pveSite,
  withProxmox,
  type PveHostVars,
  type PveSite,
} from '../lib/proxmox/site.js';

/** Properties every VM host has (templates, dev VMs, the GPU VM). */
export const vmProperties = {
  pve_host: {
    type: 'string',
    minLength: 1,
    description: 'Inventory name of the Proxmox VE server the VM lives on (its pve_* API settings are used).',
  },
  vm_id: {
    type: 'integer',
    minimum: 100,
    maximum: 999999999,
    description: 'VMID; default: allocated when the VM is created (the VM is found by its name).',
  },
  vm_node: {
    type: 'string',
    pattern: '^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$',
    description: 'Node for a new VM (default: pve_node of pve_host).',
  },
  vm_cores: { type: 'integer', minimum: 1, maximum: 512, description: 'CPU cores.' },
  vm_memory: { type: 'integer', minimum: 16, description: 'Memory in MiB.' },
  vm_disk_gb: {
    type: 'integer',
    minimum: 1,
    maximum: 65536,
    description: 'Size of the system disk (scsi0) in GiB; grown, never shrunk.',
  },
  vm_storage: {
    type: 'string',
    pattern: '^[a-zA-Z][a-zA-Z0-9_.-]*$',
    description: 'Storage of the system disk (default: pve_vm_storage).',
  },
  vm_bridge: {
    type: 'string',
    pattern: '^[a-zA-Z][a-zA-Z0-9_.-]*$',
    description: 'Bridge of the first NIC (default: pve_bridge).',
  },
  vm_vlan: {
    type: 'integer',
    minimum: 1,
    maximum: 4094,
    description: 'VLAN tag of the first NIC (default: untagged).',
  },
  vm_mac: {
    type: 'string',
    pattern: '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$',
    description: 'MAC address of the first NIC (default: the one Proxmox generated).',
  },
  vm_allow_unsafe: {
    type: 'boolean',
    description:
      'Allow changes that lose data or identity: a disk moved to another storage (new empty disk), another MAC address. Default false.',
  },
} as const;

/** Properties of a VM cloned from a template (dev VMs, the GPU VM). */
export const cloneProperties = {
  ...vmProperties,
  vm_template: {
    type: 'string',
    minLength: 1,
    description: 'Inventory name of the template to clone (a host of the vm-template role).',
  },
  vm_clone: {
    enum: ['full', 'linked'],
    description: "Full clone (own disks; default) or linked clone (shares the template's base disk).",
  },
  vm_power: { enum: ['running', 'stopped'], description: 'Desired power state (default running).' },
  ci_user: { type: 'string', pattern: '^[a-z_][a-z0-9_-]*$', description: 'Cloud-init user (Ubuntu).' },
  ci_ssh_keys: {
    type: 'array',
    items: {
      type: 'string',
      pattern: '^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( .*)?$',
    },
    description: 'SSH public keys for the cloud-init user (Ubuntu).',
  },
  vm_ip: {
    type: 'string',
    pattern: '^(dhcp|([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2})$',
    description: 'IPv4 of the first NIC for cloud-init: dhcp or address/prefix (Ubuntu).',
  },
  vm_gateway: {
    type: 'string',
    pattern: '^([0-9]{1,3}\\.){3}[0-9]{1,3}$',
    description: 'IPv4 gateway with a static vm_ip (Ubuntu).',
  },
} as const;

/** What a clone reads from its template's inventory host. */
export const templateRefSchema: RoleVarsSchema = {
  type: 'object',
  properties: {
    vm_os: { enum: ['ubuntu', 'windows'], description: 'The OS the template installs.' },
    vm_id: vmProperties.vm_id,
  },
  required: ['vm_os'],
};

export interface VmVars {
  pve_host: string;
  vm_id?: number;
  vm_node?: string;
  vm_cores: number;
  vm_memory: number;
  vm_disk_gb?: number;
  vm_storage?: string;
  vm_bridge?: string;
  vm_vlan?: number;
  vm_mac?: string;
  vm_allow_unsafe: boolean;
}

export interface CloneVars extends VmVars {
  vm_template: string;
  vm_clone: 'full' | 'linked';
  vm_power: 'running' | 'stopped';
  ci_user?: string;
  ci_ssh_keys?: string[];
  vm_ip?: string;
  vm_gateway?: string;
}

export interface TemplateRef {
  vm_os: 'ubuntu' | 'windows';
  vm_id?: number;
}

export const cloneDefaults: Partial<CloneVars> = {
  vm_cores: 2,
  vm_memory: 4096,
  vm_clone: 'full',
  vm_power: 'running',
  vm_allow_unsafe: false,
};

/** A static address needs its prefix; a gateway makes sense only with one. */
export function ipconfig(vars: Pick<CloneVars, 'vm_ip' | 'vm_gateway'>): string | undefined {
  if (!vars.vm_ip) return undefined;
  if (vars.vm_ip === 'dhcp') return 'ip=dhcp';
  return `ip=${vars.vm_ip}${vars.vm_gateway ? `,gw=${vars.vm_gateway}` : ''}`;
}

/** The configuration a clone keeps in line: CPU, memory, system disk, first NIC, cloud-init (Ubuntu). */
export function cloneConfig(vars: CloneVars, site: PveSite, os: TemplateRef['vm_os']): VmConfigSpec {
  const ci = os === 'ubuntu';
  const ip = ci ? ipconfig(vars) : undefined;
  return {
    options: {
      cores: vars.vm_cores,
      memory: vars.vm_memory,
      ...(ci && vars.ci_user ? { ciuser: vars.ci_user } : {}),
      ...(ip ? { ipconfig0: ip } : {}),
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
