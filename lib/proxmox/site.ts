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
import { ProxmoxApiError } from './errors.js';
import { secretString, Type, type Static } from '../define.js';

const storageId = { pattern: '^[a-zA-Z][a-zA-Z0-9_.-]*$' };
const isoName = { pattern: '^[A-Za-z0-9][A-Za-z0-9_.+-]*\\.iso$' };

/**
 * Where the proxmox-host role writes the guest-agent snippet and where Ubuntu clones find it
 * (`cicustom: vendor=<storage>:snippets/<file>`): declared once, for both.
 */
export const SNIPPET_DEFAULTS = {
  pve_snippets_storage: 'local',
  pve_guest_agent_snippet: 'novastation-guest-agent.yaml',
} as const;
export const snippetVars = {
  pve_snippets_storage: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$',
      description: 'The file-based storage for cloud-init snippets (default local).',
    }),
  ),
  pve_guest_agent_snippet: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*\\.ya?ml$',
      description: 'File name of the guest-agent snippet (default novastation-guest-agent.yaml).',
    }),
  ),
};

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
  ...snippetVars,
});
export type PveHostVars = Static<typeof PveHostVars>;
/** The same schema under its earlier name. */
export const pveHostVarsSchema = PveHostVars;

export interface PveSite {
  /** The Proxmox server's inventory host (`pve1`), for messages. */
  hostName?: string;
  connection: ProxmoxConnection;
  node: string;
  vmStorage: string;
  isoStorage: string;
  importStorage: string;
  bridge: string;
  windowsIso?: string;
  virtioIso?: string;
  /** The proxmox-host role's guest-agent vendor snippet, as a volume id (`local:snippets/…`). */
  guestAgentSnippet: string;
}

export function pveSite(vars: PveHostVars, hostName?: string): PveSite {
  return {
    ...(hostName ? { hostName } : {}),
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
    guestAgentSnippet: `${vars.pve_snippets_storage ?? SNIPPET_DEFAULTS.pve_snippets_storage}:snippets/${
      vars.pve_guest_agent_snippet ?? SNIPPET_DEFAULTS.pve_guest_agent_snippet
    }`,
  };
}

/**
 * The credential check of each endpoint, once per run: keyed by the token secret's object (a new
 * one each run, so a long-lived process never keeps an old answer) and then by URL and token id.
 */
const endpointChecks = new WeakMap<object, Map<string, Promise<void>>>();

/**
 * Runs `fn` with a client for the site, closed afterwards. Before the first request of the run to
 * an endpoint, one `GET /version` checks that it answers and takes the token; every host that uses
 * the endpoint waits for that one answer, so a wrong token is one authentication failure in the
 * server's log (not one per VM) and every host fails with the same message naming the endpoint and
 * the variables to fix.
 */
export async function withProxmox<T>(
  site: PveSite,
  log: (line: string) => void,
  fn: (client: ProxmoxClient) => Promise<T>,
): Promise<T> {
  const client = connectProxmox(site.connection, { log });
  try {
    await endpointAnswers(site, client);
    return await fn(client);
  } finally {
    await client.close();
  }
}

function endpointAnswers(site: PveSite, client: ProxmoxClient): Promise<void> {
  const { url, tokenId } = site.connection;
  // The site's connection always has a token (the schema requires it); the object is the run's.
  const runKey: object = site.connection.tokenSecret ?? site.connection;
  const byEndpoint = endpointChecks.get(runKey) ?? new Map<string, Promise<void>>();
  endpointChecks.set(runKey, byEndpoint);
  const key = `${url}\0${tokenId}`;
  let check = byEndpoint.get(key);
  if (!check) {
    check = client.api.version.$get().then(
      () => undefined,
      (error: unknown) => {
        throw endpointError(site, error);
      },
    );
    byEndpoint.set(key, check);
  }
  return check;
}

function endpointError(site: PveSite, error: unknown): Error {
  const { url, tokenId } = site.connection;
  const of = site.hostName ? ` of ${site.hostName}` : " of the VM's Proxmox host (pve_host)";
  const status = error instanceof ProxmoxApiError ? error.status : undefined;
  const why = error instanceof Error ? error.message : String(error);
  const fix =
    status === 401 || status === 403
      ? `the API token ${tokenId} was refused: check pve_token_id and pve_token_secret${of}`
      : `check pve_api_url, and pve_fingerprint or pve_ca_file${of}`;
  return new Error(`Proxmox VE at ${url}: ${fix} (${why})`, { cause: error });
}
