/**
 * The Proxmox VE server as the inventory describes it: the variables of its inventory host
 * (`pve1`), which VM roles read through `hostRefs` (`pve_host: pve1`), their JSON Schema (checked
 * before any host is touched) and the client connection made from them.
 *
 *   pve1:
 *     pve_api_url: https://pve1.studio.example:8006
 *     pve_token_id: novastation@pve!site
 *     pve_token_secret: !secret pve_token_secret
 *     pve_fingerprint: "AA:BB:…"      # SHA-256 of its certificate, as Proxmox shows it
 *     pve_node: pve1
 */
import { connectProxmox, type ProxmoxClient, type ProxmoxConnection } from './client.js';
import type { RoleVarsSchema } from '../define.js';
import type { Secret } from '../secret.js';

export interface PveHostVars {
  pve_api_url: string;
  pve_token_id: string;
  pve_token_secret: Secret;
  pve_fingerprint?: string;
  pve_ca_file?: string;
  pve_node: string;
  pve_vm_storage?: string;
  pve_iso_storage?: string;
  pve_import_storage?: string;
  pve_bridge?: string;
  pve_windows_iso?: string;
  pve_virtio_iso?: string;
}

const storageId = { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9_.-]*$' };
const isoName = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.+-]*\\.iso$' };

export const pveHostVarsSchema: RoleVarsSchema = {
  type: 'object',
  properties: {
    pve_api_url: {
      type: 'string',
      pattern: '^https://[^/\\s:]+(:[0-9]{1,5})?/?$',
      description: 'Proxmox VE API URL, https://host:8006 (port 8006 when left out).',
    },
    pve_token_id: {
      type: 'string',
      pattern: '^[^\\s@!]+@[^\\s@!]+![A-Za-z][A-Za-z0-9_.-]*$',
      description: 'API token id, user@realm!name.',
    },
    pve_token_secret: {
      type: 'string',
      minLength: 1,
      description: 'API token secret: a vault reference (!secret NAME) or !env NAME.',
    },
    pve_fingerprint: {
      type: 'string',
      pattern: '^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$',
      description:
        "SHA-256 fingerprint of the server's TLS certificate, AA:BB:… (node → System → Certificates); or give pve_ca_file.",
    },
    pve_ca_file: {
      type: 'string',
      minLength: 1,
      description: 'CA certificate file to verify the server with (e.g. a copy of /etc/pve/pve-root-ca.pem).',
    },
    pve_node: {
      type: 'string',
      pattern: '^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$',
      description: 'Proxmox node name for new VMs.',
    },
    pve_vm_storage: { ...storageId, description: 'Storage for VM disks (default local-lvm).' },
    pve_iso_storage: { ...storageId, description: 'Storage for ISO images (default local).' },
    pve_import_storage: {
      ...storageId,
      description: 'Storage with the import content type, for cloud images (default local).',
    },
    pve_bridge: {
      type: 'string',
      pattern: '^[a-zA-Z][a-zA-Z0-9_.-]*$',
      description: 'Network bridge for VMs (default vmbr0).',
    },
    pve_windows_iso: {
      ...isoName,
      description: 'Windows 11 install ISO in pve_iso_storage (uploaded by you).',
    },
    pve_virtio_iso: { ...isoName, description: 'VirtIO drivers ISO (virtio-win-*.iso) in pve_iso_storage.' },
  },
  required: ['pve_api_url', 'pve_token_id', 'pve_token_secret', 'pve_node'],
};

export interface PveSite {
  connection: ProxmoxConnection;
  node: string;
  vmStorage: string;
  isoStorage: string;
  importStorage: string;
  bridge: string;
  windowsIso?: string;
  virtioIso?: string;
}

export function pveSite(vars: PveHostVars): PveSite {
  return {
    connection: {
      url: vars.pve_api_url,
      tokenId: vars.pve_token_id,
      tokenSecret: vars.pve_token_secret,
      ...(vars.pve_fingerprint ? { fingerprint: vars.pve_fingerprint } : {}),
      ...(vars.pve_ca_file ? { caFile: vars.pve_ca_file } : {}),
    },
    node: vars.pve_node,
    vmStorage: vars.pve_vm_storage ?? 'local-lvm',
    isoStorage: vars.pve_iso_storage ?? 'local',
    importStorage: vars.pve_import_storage ?? 'local',
    bridge: vars.pve_bridge ?? 'vmbr0',
    ...(vars.pve_windows_iso ? { windowsIso: vars.pve_windows_iso } : {}),
    ...(vars.pve_virtio_iso ? { virtioIso: vars.pve_virtio_iso } : {}),
  };
}

/** Runs `fn` with a client for the site, closed afterwards. */
export async function withProxmox<T>(
  site: PveSite,
  log: (line: string) => void,
  fn: (client: ProxmoxClient) => Promise<T>,
): Promise<T> {
  const client = connectProxmox(site.connection, { log });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
