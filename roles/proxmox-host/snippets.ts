/**
 * Snippets on a Proxmox storage: `/etc/pve/storage.cfg` says each storage's type, path and
 * content types. A cloud-init snippet can only be put there over SSH (the API cannot upload
 * snippets), into `<path>/snippets/`, and only on a file-based storage whose content includes
 * `snippets` (`pvesm set <id> --content …,snippets` adds it, keeping the others).
 */
export interface StorageEntry {
  type: string;
  id: string;
  path?: string;
  content: string[];
}

/** `type: id` headers, then indented `key value` lines. */
export function parseStorageCfg(text: string): StorageEntry[] {
  const out: StorageEntry[] = [];
  let current: StorageEntry | undefined;
  for (const line of text.split('\n')) {
    const head = /^(\S+):\s*(\S+)\s*$/.exec(line);
    if (head) {
      current = { type: head[1]!, id: head[2]!, content: [] };
      out.push(current);
      continue;
    }
    const kv = /^\s+(\S+)\s+(.*?)\s*$/.exec(line);
    if (!kv || !current) continue;
    if (kv[1] === 'path') current.path = kv[2]!;
    if (kv[1] === 'content') current.content = kv[2]!.split(',').filter(Boolean);
  }
  return out;
}

/** The storage to hold snippets, or an Error saying why it cannot. */
export function snippetStorage(text: string | null, id: string): StorageEntry & { path: string } {
  if (text === null) throw new Error('/etc/pve/storage.cfg not found: is this a Proxmox VE server?');
  const entry = parseStorageCfg(text).find((s) => s.id === id);
  if (!entry)
    throw new Error(
      `storage ${id} is not in /etc/pve/storage.cfg: set pve_snippets_storage to a directory storage`,
    );
  if (!entry.path)
    throw new Error(
      `storage ${id} (type ${entry.type}) has no path: snippets need a file-based storage (dir, nfs, cifs, cephfs); set pve_snippets_storage`,
    );
  return { ...entry, path: entry.path };
}

/**
 * Vendor data for Ubuntu clones (`cicustom: vendor=<storage>:snippets/<name>`): install and
 * start the QEMU guest agent on first boot (Ubuntu's cloud image does not ship it). Vendor data
 * leaves the user data Proxmox generates (user, SSH keys, network) in charge.
 */
export const GUEST_AGENT_SNIPPET = `#cloud-config
# Managed by NovaStation (role proxmox-host). Use as vendor data:
#   cicustom: vendor=<storage>:snippets/<this file>
package_update: true
packages:
  - qemu-guest-agent
runcmd:
  - [systemctl, enable, --now, qemu-guest-agent]
`;
