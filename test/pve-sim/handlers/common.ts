/**
 * Helpers shared by the handlers: parameter access, node and VM lookup with PVE's error texts,
 * the config lock check, MAC/UUID generation and typed JSON output of config values.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { SimCore } from '../core.js';
import { die } from '../http/errors.js';
import type { HandlerContext } from '../router.js';
import type { SimNode, SimVm } from '../state/model.js';

export const str = (ctx: HandlerContext, key: string): string | undefined => {
  const v = ctx.params[key];
  return Array.isArray(v) ? v[0] : v;
};
export const int = (ctx: HandlerContext, key: string): number | undefined => {
  const v = str(ctx, key);
  return v === undefined ? undefined : Number(v);
};
export const bool = (ctx: HandlerContext, key: string): boolean | undefined => {
  const v = str(ctx, key);
  return v === undefined ? undefined : v === '1';
};

/** pveproxy proxies to `node`; an unknown node fails the name lookup. */
export function nodeOrDie(sim: SimCore, name: string | undefined): SimNode {
  const node = name ? sim.state.node(name) : undefined;
  if (!node)
    throw die(
      `hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`,
    );
  if (!node.online) throw die(`node '${name}' is offline`);
  return node;
}

/** PVE::QemuConfig->load_config on `node` (the VM must live there). */
export function loadVm(sim: SimCore, vmid: number, node: string): SimVm {
  const vm = sim.state.vm(vmid);
  if (!vm || vm.node !== node)
    throw die(`Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist`);
  return vm;
}

/** AbstractConfig check_lock. */
export function checkLock(vm: SimVm): void {
  if (vm.config.lock) throw die(`VM ${vm.vmid} is locked (${vm.config.lock})`);
}

/** PVE::Tools::random_ether_addr with the default Proxmox prefix BC:24:11. */
export function randomMac(): string {
  const b = randomBytes(3);
  return ['BC', '24', '11', ...[...b].map((x) => x.toString(16).toUpperCase().padStart(2, '0'))].join(':');
}

export const uuid = (): string => randomUUID();

export const DRIVE_KEY = /^(ide|sata|scsi|virtio)\d+$|^efidisk0$|^tpmstate0$/;
export const isDriveKey = (k: string) => DRIVE_KEY.test(k);

/** Integer/number/boolean config values come back as JSON numbers, like PVE's API. */
export function typedConfig(sim: SimCore, config: Record<string, string>): Record<string, string | number> {
  const get = sim.schema.match('/nodes/x/qemu/100/config')?.entry.methods.GET;
  const props =
    (get?.returns as { properties?: Record<string, { type?: string }> } | undefined)?.properties ?? {};
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(config)) {
    const family = k.replace(/\d+$/, '[n]');
    const type = (props[k] ?? props[family])?.type;
    out[k] =
      (type === 'integer' || type === 'number' || type === 'boolean') && /^-?\d+(\.\d+)?$/.test(v)
        ? Number(v)
        : v;
  }
  return out;
}

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

/** pve-common format_size: the largest unit that divides the size. */
export function formatSize(bytes: number): string {
  const units = ['', 'K', 'M', 'G', 'T'];
  let n = bytes;
  let i = 0;
  while (i < units.length - 1 && n % 1024 === 0 && n > 0) {
    n /= 1024;
    i++;
  }
  return `${n}${units[i]}`;
}

/** pve-common parse_size. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(\.\d+)?)([KMGT])?$/.exec(text);
  if (!m) return undefined;
  const mult = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[3] as 'K'] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

/** PVE::Tools::validate_ssh_public_keys on the uri-unescaped `sshkeys` (create and config). */
export function checkSshKeys(encoded: string | undefined): void {
  if (encoded === undefined) return;
  let text: string;
  try {
    text = decodeURIComponent(encoded);
  } catch {
    text = encoded; // uri_unescape leaves a malformed escape as it is
  }
  for (const line of text.split('\n').filter((l) => l.trim())) {
    if (!/^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-\S+|sk-\S+)\s+[A-Za-z0-9+/=]+/.test(line.trim()))
      throw die(`unable to parse ssh key: ${line}`);
  }
}
