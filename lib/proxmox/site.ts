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
import { secretString, Type, type Static } from '../define.js';

const storageId = { pattern: '^[a-zA-Z][a-zA-Z0-9_.-]*$' };
const isoName = { pattern: '^[A-Za-z0-9][A-Za-z0-9_.+-]*\\.iso$' };

/** The server's variables: a JSON Schema for ajv and the inventory schema, and (Static) their type. */
export const PveHostVars = Type.Object({
  pve_api_url: Type.String({
    pattern: '^https://[^/\\s:]+(:[0-9]{1,5})?/?$',
    description: 'Proxmox VE API URL, https://host:8006 (port 8006 when left out).',
  }),
  pve_token_id: Type.String({
    pattern: '^[^\\s@!]+@[^\\s@!]+![A-Za-z][A-Za-z0-9_.-]*$',
    description: 'API token id, user@realm!name.',
  }),
  pve_token_secret: secretString({
    description: 'API token secret: a vault reference (!secret NAME) or !env NAME.',
  }),
  pve_fingerprint: Type.Optional(
    Type.String({
      pattern: '^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$',
      description:
        "SHA-256 fingerprint of the server's TLS certificate, AA:BB:… (node → System → Certificates); or give pve_ca_file.",
    }),
  ),
  pve_ca_file: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'CA certificate file to verify the server with (e.g. a copy of /etc/pve/pve-root-ca.pem).',
    }),
  ),
  pve_node: Type.String({
    pattern: '^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$',
    description: 'Proxmox node name for new VMs.',
  }),
  pve_vm_storage: Type.Optional(
    Type.String({ ...storageId, description: 'Storage for VM disks (default local-lvm).' }),
  ),
  pve_iso_storage: Type.Optional(
    Type.String({ ...storageId, description: 'Storage for ISO images (default local).' }),
  ),
  pve_import_storage: Type.Optional(
    Type.String({
      ...storageId,
      description: 'Storage with the import content type, for cloud images (default local).',
    }),
  ),
  pve_bridge: Type.Optional(
    Type.String({
      pattern: '^[a-zA-Z][a-zA-Z0-9_.-]*$',
      description: 'Network bridge for VMs (default vmbr0).',
    }),
  ),
  pve_windows_iso: Type.Optional(
    Type.String({ ...isoName, description: 'Windows 11 install ISO in pve_iso_storage (uploaded by you).' }),
  ),
  pve_virtio_iso: Type.Optional(
    Type.String({ ...isoName, description: 'VirtIO drivers ISO (virtio-win-*.iso) in pve_iso_storage.' }),
  ),
});
export type PveHostVars = Static<typeof PveHostVars>;
/** The same schema under its earlier name. */
export const pveHostVarsSchema = PveHostVars;

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
