/**
 * Cloud-init snippets and the Ubuntu guest agent. Ubuntu's jammy cloud image has no
 * qemu-guest-agent: it exists only once cloud-init installs it, which it does when the VM's
 * `cicustom` hands it vendor (or user) data saying so — a snippet file on a storage with the
 * `snippets` content type (qemu-server Cloudinit.pm read_cloudinit_snippets_file; the snippet is
 * read when the VM starts and the cloud-init drive is generated, so a missing file fails the
 * start: "can't open '<path>' - No such file or directory").
 *
 * The model reads the snippet's text: it must be `#cloud-config` listing `qemu-guest-agent`
 * under `packages:` and starting it (`systemctl enable --now` or `start` in `runcmd`); anything
 * else leaves the image without an agent. Snippets are put on the storage over SSH (the API
 * cannot upload them) — tests call `addSnippet` as the proxmox-host role's write.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimCore } from '../core.js';
import { addVolume } from './drives.js';
import type { PveSimState, SimVm } from './model.js';

/** Where a dir storage keeps its files (`local` is /var/lib/vz on Proxmox). */
const storagePath = (storage: string) => (storage === 'local' ? '/var/lib/vz' : `/mnt/pve/${storage}`);

export function addSnippet(
  state: PveSimState,
  storage: string,
  filename: string,
  text: string,
  node = 'pve1',
): void {
  addVolume(
    state,
    {
      volid: `${storage}:snippets/${filename}`,
      storage,
      node,
      content: 'snippets',
      format: 'snippet',
      size: Buffer.byteLength(text),
      data: Buffer.from(text, 'utf8'),
    },
    Date.now(),
  );
}

/**
 * A snippet's text: a volume the simulator knows, or else a file in the storage's real folder
 * (`state.storageDirs`), as the node reads it from its file system when the VM starts.
 */
function snippetData(sim: SimCore, volid: string): Buffer | undefined {
  const vol = sim.state.volumes.get(volid);
  if (vol) return vol.content === 'snippets' ? vol.data : undefined;
  const [storage, rel] = volid.split(':') as [string, string | undefined];
  const dir = sim.state.storageDirs.get(storage);
  if (!dir || !rel?.startsWith('snippets/') || rel.includes('..')) return undefined;
  try {
    return readFileSync(join(dir, rel));
  } catch {
    return undefined;
  }
}

/** `cicustom: user=<volid>,vendor=<volid>,…` → the snippet volids by kind. */
function cicustom(vm: SimVm): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (vm.config.cicustom ?? '').split(',')) {
    const [k, v] = part.split('=');
    if (k && v) out[k] = v;
  }
  return out;
}

/** The check of a start: every referenced snippet must exist (else the start task fails). */
export function checkSnippets(sim: SimCore, vm: SimVm): void {
  for (const volid of Object.values(cicustom(vm))) {
    const [storage, rel] = volid.split(':') as [string, string | undefined];
    if (!rel?.startsWith('snippets/')) throw new Error(`${volid} is not in the snippets directory`);
    if (!snippetData(sim, volid))
      throw new Error(`can't open '${storagePath(storage)}/${rel}' - No such file or directory`);
  }
}

/** Does cloud-init data install and start qemu-guest-agent? */
export function installsGuestAgent(text: string): boolean {
  if (!/^#cloud-config\s*\n/.test(text)) return false;
  const packages = /^packages:\s*\n((?:\s+-\s*.*\n?)+)/m.exec(text)?.[1] ?? '';
  const listed = /^\s+-\s*['"]?qemu-guest-agent['"]?\s*$/m.test(packages);
  const started =
    /systemctl\W+(enable\W+--now|start)\W+qemu-guest-agent/.test(text) ||
    /systemctl\W+--now\W+enable\W+qemu-guest-agent/.test(text);
  return listed && started;
}

/** An Ubuntu cloud image VM: has cloud-init installed the guest agent on this boot? */
export function ubuntuHasAgent(sim: SimCore, vm: SimVm): boolean {
  const { user, vendor } = cicustom(vm);
  return [user, vendor].some((volid) => {
    const data = volid ? snippetData(sim, volid) : undefined;
    return data !== undefined && installsGuestAgent(data.toString('utf8'));
  });
}
