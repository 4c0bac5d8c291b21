/**
 * Proxmox property strings: the comma lists in VM configs (`virtio=BC:24:11:00:00:01,bridge=vmbr0`,
 * `local-lvm:vm-100-disk-0,size=32G`, `[current=]2048`), parsed and printed the way pve-common's
 * PVE::JSONSchema parse_property_string / print_property_string do:
 *
 * - split on `,` (there is no quoting in PVE's parser, so a value cannot contain a comma; the
 *   printer refuses one, as PVE's does: "illegal value with commas");
 * - `key=value` splits at the first `=` (a value may contain `=`); a part without `=` is the
 *   format's default key (`file` for disks, `model` for NICs, `current` for memory,
 *   `enabled` for agent, `host` for hostpci) — the `[key=]` in the schema's typetext;
 * - key aliases: in a NIC, `<model>=<mac>` means model=<model>, macaddr=<mac> (the schema marks
 *   each model key with `alias: macaddr, keyAlias: model`); see NET_ALIASES.
 *
 * Values stay strings (booleans as PVE wrote them: `1`/`0`); sizes have parseSize/formatSize.
 */

export interface KeyAliases {
  /** Key that receives the alias key's own name (`model`). */
  keyAlias: string;
  /** Key that receives the value (`macaddr`). */
  alias: string;
  /** The keys that are aliases (`virtio`, `e1000`, …). */
  keys: readonly string[];
}

/** NIC models of `net[n]` (PVE 9.1 schema): `virtio=MAC` means model virtio with that MAC. */
export const NET_ALIASES: KeyAliases = {
  keyAlias: 'model',
  alias: 'macaddr',
  keys: [
    'e1000',
    'e1000-82540em',
    'e1000-82544gc',
    'e1000-82545em',
    'e1000e',
    'i82551',
    'i82557b',
    'i82559er',
    'ne2k_isa',
    'ne2k_pci',
    'pcnet',
    'rtl8139',
    'virtio',
    'vmxnet3',
  ],
};

export function parsePropertyString(
  text: string,
  defaultKey?: string,
  aliases?: KeyAliases,
): Record<string, string> {
  const result: Record<string, string> = {};
  const put = (key: string, value: string) => {
    if (Object.hasOwn(result, key)) throw new SyntaxError(`property string "${text}": duplicate key ${key}`);
    result[key] = value;
  };
  for (const part of text.split(',')) {
    if (/^\s*$/.test(part)) continue;
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (!defaultKey)
        throw new SyntaxError(`property string "${text}": "${part}" has no key and no default key was given`);
      put(defaultKey, part);
    } else if (eq === 0 || eq === part.length - 1) {
      throw new SyntaxError(`property string "${text}": "${part}" is missing its key or value`);
    } else {
      const key = part.slice(0, eq);
      const value = part.slice(eq + 1);
      if (aliases?.keys.includes(key)) {
        put(aliases.keyAlias, key);
        put(aliases.alias, value);
      } else put(key, value);
    }
  }
  return result;
}

export function formatPropertyString(
  values: Record<string, string | number | boolean | undefined>,
  defaultKey?: string,
  aliases?: KeyAliases,
): string {
  const parts: string[] = [];
  const done = new Set<string>();
  const text = (key: string, value: string | number | boolean): string => {
    const s = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    if (s === '')
      throw new TypeError(`property ${key}: an empty value cannot be written (leave the key out instead)`);
    if (s.includes(','))
      throw new TypeError(
        `property ${key}: "${s}" contains a comma, which Proxmox property strings cannot hold`,
      );
    if (/[\r\n]/.test(s)) throw new TypeError(`property ${key}: a value cannot contain a line break`);
    return s;
  };
  // `<model>=<mac>` when both are known, printed first like PVE does with the default key.
  if (aliases) {
    const model = values[aliases.keyAlias];
    const mac = values[aliases.alias];
    if (model !== undefined && mac !== undefined && aliases.keys.includes(String(model))) {
      parts.push(`${text(aliases.keyAlias, model)}=${text(aliases.alias, mac)}`);
      done.add(aliases.keyAlias).add(aliases.alias);
    }
  }
  if (defaultKey && !done.has(defaultKey) && values[defaultKey] !== undefined) {
    parts.push(text(defaultKey, values[defaultKey]!));
    done.add(defaultKey);
  }
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || done.has(key)) continue;
    if (!/^[A-Za-z0-9_.-]+$/.test(key)) throw new TypeError(`property key "${key}" is not a valid key`);
    parts.push(`${key}=${text(key, value)}`);
  }
  return parts.join(',');
}

/** A NIC (`net0`): `{ model, macaddr?, bridge?, … }`. */
export function parseNet(text: string): Record<string, string> {
  return parsePropertyString(text, 'model', NET_ALIASES);
}

export function formatNet(values: Record<string, string | number | boolean | undefined>): string {
  return formatPropertyString(values, 'model', NET_ALIASES);
}

/** `32G`, `512M`, `1.5T`, `4096` (bytes) → bytes, as PVE's parse_size; undefined if not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { K: 1, M: 2, G: 3, T: 4 }[m[2] as 'K' | 'M' | 'G' | 'T'] ?? 0;
  return Math.trunc(Number(m[1]) * 1024 ** unit);
}

/** Bytes → the largest exact unit, as PVE's format_size (`34359738368` → `32G`). */
export function formatSize(bytes: number): string {
  let size = Math.trunc(bytes);
  for (const unit of ['', 'K', 'M', 'G']) {
    if (size % 1024 !== 0) return `${size}${unit}`;
    size /= 1024;
  }
  return `${size}T`;
}
