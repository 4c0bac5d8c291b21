/**
 * `pvePciMapping`: a cluster PCI resource mapping (`/cluster/mapping/pci`, Proxmox VE ≥ 8.0)
 * for a device the node reports in `/nodes/{node}/hardware/pci`.
 *
 * Why a mapping: Proxmox lets only `root@pam` itself put a raw PCI address in `hostpciN`
 * ("only root can set 'hostpci0' config for non-mapped devices"); an API token — even root's —
 * cannot. A VM may instead reference a mapping (`hostpci0: mapping=<id>,…`), which a token with
 * `Mapping.Modify` can create and `Mapping.Use` can use.
 *
 * The device is found by vendor:device id (e.g. `10de:2204`, an RTX 3090), or by address when
 * the node has several. The mapping's entry for this node names the device without its function
 * (`path=0000:01:00`), which maps all of its functions — the GPU and its HDMI audio — and, as
 * Proxmox asks for a whole-device path, carries the first function's id, subsystem id and IOMMU
 * group, which Proxmox checks at VM start to notice changed hardware. Other nodes' entries are
 * kept.
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { formatPropertyString, parsePropertyString, type ProxmoxClient } from '../../lib/proxmox/index.js';
import { converge, type Resource } from '../../lib/resource.js';
import { pveGet, pveWrite } from '../../lib/proxmox/requests.js';

export interface PvePciMappingOptions {
  client: ProxmoxClient;
  /** The mapping's id (`rtx3090`). */
  id: string;
  node: string;
  /** vendor:device, e.g. `10de:2204`. */
  device: string;
  /** `0000:01:00` or `0000:01:00.0`, when the node has more than one such device. */
  address?: string;
  description?: string;
}

export interface PciRow {
  id: string;
  class?: string;
  vendor?: string;
  device?: string;
  iommugroup?: number;
  subsystem_vendor?: string;
  subsystem_device?: string;
  device_name?: string;
}

interface MappingRow {
  id: string;
  map?: string[] | string;
  description?: string;
  digest?: string;
}

export interface PciMappingState {
  /** The device's whole-slot entry as this node should have it. */
  entry: string;
  functions: string[];
  mapping?: MappingRow;
}

const hex4 = (value: string | undefined) => (value ?? '').replace(/^0x/i, '').toLowerCase().padStart(4, '0');

/** The device's functions on the node, and the mapping entry that covers all of them. */
export function deviceEntry(
  rows: PciRow[],
  o: Pick<PvePciMappingOptions, 'node' | 'device' | 'address'>,
): { entry: string; functions: string[] } {
  const [vendor, device] = o.device.toLowerCase().split(':');
  const slot = (id: string) => id.toLowerCase().replace(/\.[0-7]$/, '');
  let matches = rows.filter((r) => hex4(r.vendor) === vendor && hex4(r.device) === device);
  if (o.address) matches = matches.filter((r) => slot(r.id) === slot(o.address!));
  if (!matches.length) {
    throw new Error(
      `PCI device ${o.device}${o.address ? ` at ${o.address}` : ''} not found on node ${o.node} (is it installed, and not hidden by the BIOS?)`,
    );
  }
  const slots = [...new Set(matches.map((r) => slot(r.id)))];
  if (slots.length > 1)
    throw new Error(
      `node ${o.node} has ${slots.length} PCI devices ${o.device} (${slots.join(', ')}): give the address to use`,
    );
  const first = matches.sort((a, b) => a.id.localeCompare(b.id))[0]!;
  const functions = rows
    .filter((r) => slot(r.id) === slots[0])
    .map((r) => `${r.id} ${r.device_name ?? r.class ?? ''}`.trim());
  const values: Record<string, string | number | undefined> = {
    node: o.node,
    path: slots[0],
    id: `${hex4(first.vendor)}:${hex4(first.device)}`,
    ...(first.subsystem_vendor && first.subsystem_device
      ? { 'subsystem-id': `${hex4(first.subsystem_vendor)}:${hex4(first.subsystem_device)}` }
      : {}),
    ...(first.iommugroup !== undefined ? { iommugroup: first.iommugroup } : {}),
  };
  return { entry: formatPropertyString(values), functions };
}

const entryNode = (entry: string) => parsePropertyString(entry).node;
const asList = (map: MappingRow['map']) => (map === undefined ? [] : Array.isArray(map) ? map : [map]);

function sameEntry(a: string, b: string): boolean {
  const x = parsePropertyString(a);
  const y = parsePropertyString(b);
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  return [...keys].every((k) => (x[k] ?? '').toLowerCase() === (y[k] ?? '').toLowerCase());
}

export function pvePciMappingResource(o: PvePciMappingOptions): Resource<PciMappingState> {
  if (!/^[a-z][a-z0-9_-]*$/i.test(o.id))
    throw new Error(`pvePciMapping: id "${o.id}" must be a Proxmox config id (letters, digits, _ -)`);
  if (!/^[0-9a-f]{4}:[0-9a-f]{4}$/i.test(o.device))
    throw new Error(`pvePciMapping: device "${o.device}" must be vendor:device, like 10de:2204`);
  return {
    id: `pci mapping ${o.id}`,
    async read() {
      const rows =
        (await pveGet<PciRow[]>(o.client, `/nodes/${encodeURIComponent(o.node)}/hardware/pci`)) ?? [];
      const { entry, functions } = deviceEntry(rows, o);
      const mappings = (await pveGet<MappingRow[]>(o.client, '/cluster/mapping/pci')) ?? [];
      const mapping = mappings.find((m) => m.id === o.id);
      return { entry, functions, ...(mapping ? { mapping } : {}) };
    },
    plan({ entry, functions, mapping }) {
      const devices = `${entry} (${functions.join('; ')})`;
      if (!mapping) return [{ field: 'mapping', to: devices }];
      const mine = asList(mapping.map).find((m) => entryNode(m) === o.node);
      const changes =
        mine && sameEntry(mine, entry)
          ? []
          : [{ field: `map for ${o.node}`, ...(mine ? { from: mine } : {}), to: devices }];
      if (o.description !== undefined && (mapping.description ?? '') !== o.description)
        changes.push({ field: 'description', from: mapping.description ?? '', to: o.description });
      return changes;
    },
    async apply(_host, { entry, mapping }) {
      if (!mapping) {
        await pveWrite(o.client, 'POST', '/cluster/mapping/pci', {
          id: o.id,
          map: [entry],
          ...(o.description ? { description: o.description } : {}),
        });
        return;
      }
      const others = asList(mapping.map).filter((m) => entryNode(m) !== o.node);
      await pveWrite(o.client, 'PUT', `/cluster/mapping/pci/${encodeURIComponent(o.id)}`, {
        map: [...others, entry],
        ...(o.description !== undefined ? { description: o.description } : {}),
        ...(mapping.digest ? { digest: mapping.digest } : {}),
      });
    },
  };
}

/**
 * @example
 * await pvePciMapping(ctx.host, { client, id: 'rtx3090', node: 'pve1', device: '10de:2204' });
 */
export function pvePciMapping(host: Host, options: PvePciMappingOptions): Promise<TaskOutcome> {
  return converge(host, pvePciMappingResource(options));
}
