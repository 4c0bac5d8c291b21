/**
 * The named formats of the PVE schema (`format: 'pve-vmid'`, …). The schema names them but does
 * not define them, so the checks are written here from pve-common `src/PVE/JSONSchema.pm`
 * (register_format + pve_verify_*), pve-storage and qemu-server, with their error texts.
 * Formats the product sends get a real check; every other name is accepted as it is
 * (`acceptedByName`), which README.md lists. `-list` / `-opt` suffixes behave as in check_format.
 */
import { isIPv6 } from 'node:net';
import type { ParamSchema } from './load.js';
import { namedPropertyFormat } from './named-formats.js';
import { checkPropertyStringFormat } from './property-string.js';

export type FormatCheck = (value: string) => string | undefined; // an error text, or undefined when valid

const IPV4 = String.raw`(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`;
const ipv4Re = new RegExp(`^${IPV4}$`);
// Node's net.isIPv6 accepts the RFC 4291 text forms PVE's $IPV6RE accepts.
const isIpv6 = (v: string): boolean => isIPv6(v);

const cidr = (v: string, ip: (s: string) => boolean, min: number, max: number): boolean => {
  const m = /^(.+)\/(\d+)$/.exec(v);
  return !!m && ip(m[1]!) && Number(m[2]) > min && Number(m[2]) <= max;
};
const cidr4 = (v: string) => cidr(v, (s) => ipv4Re.test(s), 7, 32);
const cidr6 = (v: string) => cidr(v, isIpv6, 7, 128);
const dnsName = /^(([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)\.)*([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)$/;
const volumeIdRe = /^([a-z][a-z0-9\-_.]*[a-z0-9]):(.+)$/i;
/** qemu-server Drive.pm $NEW_DISK_RE: `[<storage>:]<size in GiB>` allocates a new volume. */
export const NEW_DISK_RE = /^(([^/:\s]+):)?(\d+(\.\d+)?)$/;
const contentTypes = ['images', 'rootdir', 'vztmpl', 'iso', 'backup', 'snippets', 'import', 'none'];

const fail = (ok: boolean, msg: string): string | undefined => (ok ? undefined : msg);

const checks: Record<string, FormatCheck> = {
  'pve-vmid': (v) => fail(/^[1-9][0-9]{2,8}$/.test(v), 'value does not look like a valid VM ID'),
  'pve-node': (v) =>
    fail(/^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)$/.test(v), 'value does not look like a valid node name'),
  'pve-storage-id': (v) =>
    fail(/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(v), `storage ID '${v}' contains illegal characters`),
  'pve-bridge-id': (v) => fail(/^[-_.\w\d]+$/.test(v), `invalid bridge ID '${v}'`),
  'pve-configid': (v) => fail(/^[a-z][a-z0-9_-]+$/i.test(v), `invalid configuration ID '${v}'`),
  'pve-poolid': (v) => fail(/^[A-Za-z0-9_-]+$/.test(v), `invalid pool ID '${v}'`),
  'pve-tag': (v) => fail(/^[a-z0-9_][a-z0-9_\-+.]*$/i.test(v), 'invalid characters in tag'),
  // pve-common pve_verify_urlencoded: the strict set that encodeURIComponent produces.
  urlencoded: (v) => fail(/^[-%a-zA-Z0-9_.!~*'()]*$/.test(v), `invalid urlencoded string: ${v}`),
  'dns-name': (v) => fail(dnsName.test(v), 'value does not look like a valid DNS name'),
  'mac-addr': (v) =>
    fail(
      /^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$/i.test(v),
      'value does not look like a valid unicast MAC address',
    ),
  ipv4: (v) => fail(ipv4Re.test(v), 'value does not look like a valid IPv4 address'),
  ipv6: (v) => fail(isIpv6(v), 'value does not look like a valid IPv6 address'),
  ip: (v) => fail(ipv4Re.test(v) || isIpv6(v), 'value does not look like a valid IP address'),
  CIDRv4: (v) => fail(cidr4(v), 'value does not look like a valid IPv4 CIDR network'),
  CIDRv6: (v) => fail(cidr6(v), 'value does not look like a valid IPv6 CIDR network'),
  CIDR: (v) => fail(cidr4(v) || cidr6(v), 'value does not look like a valid CIDR network'),
  'pve-ipv4-config': (v) =>
    fail(
      /^(?:dhcp|manual)$/.test(v) || cidr4(v),
      'value does not look like a valid ipv4 network configuration',
    ),
  'pve-ipv6-config': (v) =>
    fail(
      /^(?:auto|dhcp|manual)$/.test(v) || cidr6(v),
      'value does not look like a valid ipv6 network configuration',
    ),
  address: (v) =>
    fail(ipv4Re.test(v) || isIpv6(v) || dnsName.test(v), `value does not look like a valid address: ${v}`),
  'disk-size': (v) =>
    fail(/^(\d+(\.\d+)?)([KMGT])?$/.test(v), `value does not look like a valid disk size: ${v}`),
  'pve-storage-content': (v) => fail(contentTypes.includes(v), `invalid content type '${v}'`),
  // pve-storage parse_volume_id
  'pve-volume-id': (v) => fail(volumeIdRe.test(v), `unable to parse volume ID '${v}'`),
  'pve-volume-id-or-absolute-path': (v) =>
    fail(v.startsWith('/') || volumeIdRe.test(v), `unable to parse volume ID '${v}'`),
  // qemu-server Drive.pm verify_volume_id_or_qm_path (+ the with_alloc form `<storage>:<GiB>`)
  'pve-volume-id-or-qm-path': (v) =>
    fail(
      v === 'none' || v === 'cdrom' || v.startsWith('/') || NEW_DISK_RE.test(v) || volumeIdRe.test(v),
      `unable to parse volume ID '${v}'`,
    ),
  'pve-startup-order': (v) =>
    fail(
      v.split(',').every((p) => /^\s*$/.test(p) || /^(order=)?\d+$/.test(p) || /^(up|down)=\d+$/.test(p)) &&
        v !== '',
      'unable to parse startup options',
    ),
  'pve-qm-bootdisk': (v) =>
    fail(/^(ide|sata|scsi|virtio|efidisk|tpmstate)\d+$/.test(v), `invalid drive name '${v}'`),
  string: () => undefined,
};

/** Formats PVE defines but whose exact rules we do not reproduce; any value is accepted. */
export const acceptedByName = new Set([
  'pve-cpuset',
  'pve-priv-list',
  'pve-realm',
  'pve-userid',
  'pve-hotplug-features',
  'pve-qm-ide',
  'pve-iface',
  'pve-calendar-event',
  'pve-command-batch',
  'pve-groupid',
  'pve-roleid',
  'pve-tokenid',
  'email',
  'email-opt',
  'email-or-username',
  'pve-fw-addr-spec',
  'pve-fw-dport-spec',
  'pve-fw-sport-spec',
  'pve-fw-protocol-spec',
  'pve-fw-icmp-type-spec',
  'pve-sdn-zone-id',
  'pve-sdn-vnet-id',
  'storage-pair',
  'bridge-pair',
  'pve-ha-resource-or-vm-id',
  'IPorCIDR',
  'IPorCIDRorAlias',
  'pve-storage-path',
  'pve-storage-server',
  'pve-storage-vgname',
  'pve-replication-job-id',
  'pve-storage-options',
  'prune-backups',
  'pve-tfa-config',
  'realm-sync-options',
  'pve-dir-override',
]);

/**
 * Checks a value against a format (a name or an inline property-string format). Returns the error
 * text PVE would put after "invalid format - ", or undefined. `path` names the parameter, for the
 * nested errors of property strings.
 */
export function checkFormat(
  format: string | Record<string, ParamSchema>,
  value: string,
  path: string,
): string | undefined {
  if (typeof format === 'object') return checkPropertyStringFormat(format, value, path);
  const named = namedPropertyFormat(format);
  if (named) return checkPropertyStringFormat(named, value, path);
  const m = /^(.*?)(?:-(list|opt))?$/.exec(format)!;
  const name = m[1]!;
  const kind = m[2];
  const check = checks[name];
  if (!check) {
    if (acceptedByName.has(name) || acceptedByName.has(format)) return undefined;
    return undefined; // unknown to us: accepted by name as well (README lists the policy)
  }
  if (kind === 'list') {
    // PVE::Tools::split_list; empty lists are allowed.
    for (const item of value.split(/[\0;,\s]+/).filter(Boolean)) {
      const err = check(item);
      if (err) return `${err}\n`;
    }
    return undefined;
  }
  if (kind === 'opt' && !value) return undefined;
  const err = check(value);
  return err === undefined ? undefined : `${err}\n`;
}

/** Whether the simulator checks this format for real (used by the README table and tests). */
export function hasRealCheck(format: string): boolean {
  return !!namedPropertyFormat(format) || !!checks[/^(.*?)(?:-(list|opt))?$/.exec(format)![1]!];
}
