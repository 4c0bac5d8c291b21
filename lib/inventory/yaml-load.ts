/**
 * YAML as Ansible reads it: PyYAML's YAML 1.1 resolvers (ansible-core 2.14 uses PyYAML's
 * `Resolver` + its own `AnsibleConstructor`), so values get the same types as in Ansible:
 * - booleans are only yes/no/true/false/on/off in their three spellings (not `y`/`n`),
 * - `0755` is octal 493, `1:20` is sexagesimal 80, `1_000` is 1000,
 * - floats need a dot: `1e5` stays a string, `1.0e+5` is 100000.0,
 * - `2001-12-14` stays that text (Python's date prints the same); a full timestamp becomes
 *   Python's `isoformat()` text, which is what `ansible-inventory --list` prints,
 * - `!vault` / `!vault-encrypted` become VaultedValue, `!unsafe` becomes UnsafeText,
 * - `<<` merge keys work (explicit keys win; in a list of maps the first map wins).
 * Unlike Ansible (which only warns, DUPLICATE_YAML_DICT_KEY=warn), a key written twice in one
 * mapping is an error: the earlier value would be silently lost.
 */
import {
  Document,
  LineCounter,
  Scalar,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
} from '../vendor/yaml.js';
import type { Node as YamlNode, ParsedNode, ScalarTag, Tags } from 'yaml';
import { InvalidInputError } from '../errors.js';
import { UnsafeText, VaultedValue } from './tagged-values.js';
import { SECRET_YAML_TAGS, SecretReference } from '../secrets/reference.js';
import { markItems, setWithMark, type PyKind } from './python-types.js';

export interface YamlFile {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /**
   * Ansible's loader tries JSON before YAML (`from_yaml`: `json.loads` first), so text that is
   * valid JSON gets JSON's types (`1e5` is a number there) and AnsibleJSONDecoder's
   * `{"__ansible_vault": ...}` / `{"__ansible_unsafe": ...}` objects.
   */
  json: boolean;
}

const tag = (name: string) => `tag:yaml.org,2002:${name}`;
/**
 * A resolver may return a Scalar node, which the yaml package then uses as the node: that is how
 * we remember which scalars were Python floats or dates (see python-types.ts).
 */
const pyScalar = (value: unknown, pyKind: PyKind): Scalar => Object.assign(new Scalar(value), { pyKind });

function pyInt(text: string): number {
  let v = text.replace(/_/g, '');
  let sign = 1;
  if (v[0] === '-') sign = -1;
  if (v[0] === '-' || v[0] === '+') v = v.slice(1);
  if (v === '0') return 0;
  if (v.startsWith('0b')) return sign * parseInt(v.slice(2), 2);
  if (v.startsWith('0x')) return sign * parseInt(v.slice(2), 16);
  if (v[0] === '0') return sign * parseInt(v, 8);
  if (v.includes(':')) return sign * sexagesimal(v.split(':').map((p) => parseInt(p, 10)));
  return sign * parseInt(v, 10);
}

function pyFloat(text: string): number {
  let v = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (v[0] === '-') sign = -1;
  if (v[0] === '-' || v[0] === '+') v = v.slice(1);
  if (v === '.inf') return sign * Infinity;
  if (v === '.nan') return NaN;
  if (v.includes(':')) return sign * sexagesimal(v.split(':').map((p) => parseFloat(p)));
  return sign * parseFloat(v);
}

function sexagesimal(parts: number[]): number {
  let value = 0;
  for (const p of parts) value = value * 60 + p;
  return value;
}

const TIMESTAMP =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/;

/** PyYAML's construct_yaml_timestamp followed by Python's isoformat(). */
function pyTimestamp(text: string, onError: (msg: string) => void): string {
  const m = TIMESTAMP.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s, frac, tz, tzSign, tzH, tzM] = m;
  const pad = (x: string | number, n = 2) => String(x).padStart(n, '0');
  const month = Number(mo);
  const day = Number(d);
  const probe = new Date(Date.UTC(Number(y), month - 1, day));
  if (month < 1 || month > 12 || probe.getUTCDate() !== day) {
    onError(`invalid date ${text}`);
    return text;
  }
  const date = `${y}-${pad(month)}-${pad(day)}`;
  if (h === undefined) return date;
  let out = `${date}T${pad(h)}:${mi}:${s}`;
  const micro = frac ? Number(frac.slice(0, 6).padEnd(6, '0')) : 0;
  if (micro) out += `.${pad(micro, 6)}`;
  if (tzSign) out += `${tzSign}${pad(tzH as string)}:${pad(tzM ?? '00')}`;
  else if (tz) out += '+00:00';
  return out;
}

/** The scalar resolvers of PyYAML's `Resolver` (yaml/resolver.py), in its order. */
const PYYAML_SCALARS: ScalarTag[] = [
  {
    tag: tag('bool'),
    default: true,
    test: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/,
    resolve: () => true,
  },
  {
    tag: tag('bool'),
    default: true,
    test: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/,
    resolve: () => false,
  },
  {
    tag: tag('float'),
    default: true,
    test: /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
    resolve: (s: string) => pyScalar(pyFloat(s), 'float'),
  },
  {
    tag: tag('int'),
    default: true,
    test: /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
    resolve: pyInt,
  },
  {
    tag: tag('null'),
    default: true,
    test: /^(?:~|null|Null|NULL|)$/,
    resolve: () => null,
  },
  {
    tag: tag('timestamp'),
    default: true,
    test: /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/,
    resolve: (s: string, onError: (msg: string) => void) => {
      const iso = pyTimestamp(s, onError);
      return pyScalar(iso, iso.includes('T') ? 'datetime' : 'date');
    },
  },
  { tag: '!vault', resolve: (s: string) => new VaultedValue(s) },
  { tag: '!vault-encrypted', resolve: (s: string) => new VaultedValue(s) },
  { tag: '!unsafe', resolve: (s: string) => new UnsafeText(s) },
  // NovaStation's own: `!secret NAME` (a vault entry) and `!env NAME` (lib/secrets/reference.ts).
  ...SECRET_YAML_TAGS,
];

const KEEP_FROM_CORE = new Set([tag('map'), tag('seq'), tag('str')]);
const customTags = (tags: Tags): Tags => [
  ...tags.filter((t) => typeof t === 'object' && KEEP_FROM_CORE.has(t.tag)),
  ...PYYAML_SCALARS,
];

/** `<<` may repeat (PyYAML merges each); every other key must be unique. */
const sameKey = (a: ParsedNode, b: ParsedNode): boolean => {
  if (isScalar(a) && isScalar(b)) {
    if (a.value === '<<' && b.value === '<<' && a.type === Scalar.PLAIN && b.type === Scalar.PLAIN)
      return false;
    return a.value === b.value;
  }
  return a === b;
};

/** Parse one YAML document; any syntax error, duplicate key or unknown tag is an InvalidInputError. */
export function parseYaml(text: string, file: string): YamlFile {
  const lines = new LineCounter();
  let json = false;
  if (/^\s*[[{"]/.test(text)) {
    try {
      JSON.parse(text);
      json = true;
    } catch {
      json = false;
    }
  }
  const doc = parseDocument(text, {
    version: json ? '1.2' : '1.1',
    schema: json ? 'json' : 'core',
    customTags: json ? null : customTags,
    uniqueKeys: sameKey,
    lineCounter: lines,
    prettyErrors: false,
  });
  const first = doc.errors[0];
  if (first) {
    const pos = lines.linePos(first.pos[0]);
    const key = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^:\n]+)/.exec(text.slice(first.pos[0]))?.[1]?.trim() ?? '';
    const detail =
      first.code === 'DUPLICATE_KEY'
        ? `key ${key} appears twice in the same mapping (Ansible would silently keep only the last one)`
        : `YAML syntax error: ${first.message.replace(/\s+at line \d+.*$/s, '')}`;
    throw new InvalidInputError(detail, { file, line: pos.line, column: pos.col });
  }
  for (const w of doc.warnings) {
    if (w.code !== 'TAG_RESOLVE_FAILED') continue;
    // `!unsafe` on a mapping or list is handled when converting (it wraps every string inside).
    if (/^Unresolved tag: !unsafe\b/.test(w.message)) continue;
    const pos = lines.linePos(w.pos[0]);
    const tagName = /Unresolved tag: (\S+)/.exec(w.message)?.[1]?.replace('tag:yaml.org,2002:', '!!') ?? '';
    throw new InvalidInputError(
      `unsupported YAML tag ${tagName} (understood: the standard scalar tags, !vault, !vault-encrypted, !unsafe, !secret NAME and !env NAME)`,
      {
        file,
        line: pos.line,
        column: pos.col,
      },
    );
  }
  return { file, doc, lines, json };
}

export function lineOf(y: YamlFile, node: YamlNode | null | undefined): number | undefined {
  const start = node?.range?.[0];
  return start === undefined ? undefined : y.lines.linePos(start).line;
}

/** Follow aliases to the node they name. */
export function deref(y: YamlFile, node: unknown): YamlNode | null {
  let n = node as YamlNode | null;
  for (let hops = 0; n && isAlias(n); hops++) {
    if (hops > 100) break;
    n = n.resolve(y.doc) ?? null;
  }
  return n;
}

/** A mapping key as Ansible would see it (a Python value), spelt as a string. */
export function keyText(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof UnsafeText) return value.value;
  return String(value);
}

/**
 * The pairs of a mapping node after `<<` merges, as PyYAML's flatten_mapping orders them: merged
 * pairs first (so explicit keys override them), then the mapping's own pairs.
 */
export function mapPairs(y: YamlFile, node: YamlNode): { key: YamlNode | null; value: YamlNode | null }[] {
  if (!isMap(node)) return [];
  const merged: { key: YamlNode | null; value: YamlNode | null }[] = [];
  const own: { key: YamlNode | null; value: YamlNode | null }[] = [];
  for (const pair of node.items) {
    const key = pair.key as YamlNode | null;
    const value = pair.value as YamlNode | null;
    if (isScalar(key) && key.value === '<<' && key.type === Scalar.PLAIN && !key.tag) {
      const src = deref(y, value);
      const maps = isSeq(src) ? src.items.map((it) => deref(y, it)) : [src];
      const groups = maps.map((m) => {
        if (!isMap(m)) {
          throw new InvalidInputError('a << merge key needs a mapping or a list of mappings', {
            file: y.file,
            line: lineOf(y, value),
          });
        }
        return mapPairs(y, m);
      });
      // PyYAML reverses the list so that earlier maps override later ones.
      for (const g of groups.reverse()) merged.push(...g);
    } else {
      own.push({ key, value });
    }
  }
  // A Python dict keeps a key where it first appeared and the value it was given last.
  const out: { key: YamlNode | null; value: YamlNode | null }[] = [];
  const index = new Map<unknown, number>();
  for (const pair of [...merged, ...own]) {
    const k = isScalar(pair.key) ? pair.key.value : pair.key;
    const i = index.get(k);
    if (i === undefined) {
      index.set(k, out.length);
      out.push(pair);
    } else {
      out[i] = { key: (out[i] as { key: YamlNode | null }).key, value: pair.value };
    }
  }
  return out;
}

/** Convert a node to a plain JS value (Ansible's Python value). */
export function toValue(y: YamlFile, node: unknown, depth = 0): unknown {
  if (depth > 200)
    throw new InvalidInputError('YAML value nested too deeply (recursive alias?)', { file: y.file });
  const n = deref(y, node);
  if (n === null || n === undefined) return null;
  const unsafe = n.tag === '!unsafe';
  let value: unknown;
  if (isScalar(n)) {
    // A secret reference remembers its own file and line, for "missing secret" errors.
    value = n.value instanceof SecretReference ? n.value.at(y.file, lineOf(y, n)) : n.value;
  } else if (isMap(n)) {
    const out: Record<string, unknown> = {};
    for (const { key, value: v } of mapPairs(y, n)) {
      const k = keyText(toValue(y, key, depth + 1));
      // Re-assigning keeps the first position, as a Python dict does.
      setWithMark(out, k, toValue(y, v, depth + 1), pyKindOfNode(y, v));
    }
    value = out;
    if (y.json && '__ansible_vault' in out) value = new VaultedValue(String(out.__ansible_vault));
    else if (y.json && '__ansible_unsafe' in out) value = wrapUnsafe(out.__ansible_unsafe);
  } else if (isSeq(n)) {
    const items = n.items.map((it) => toValue(y, it, depth + 1));
    markItems(
      items,
      n.items.map((it) => pyKindOfNode(y, it)),
    );
    value = items;
  } else {
    value = null;
  }
  return unsafe ? wrapUnsafe(value) : value;
}

/** The Python type JS loses for this node: a float (YAML 1.1, `!!float`, JSON `1.0`/`1e3`) or a date. */
export function pyKindOfNode(y: YamlFile, node: unknown): PyKind | undefined {
  const n = deref(y, node);
  if (!isScalar(n)) return undefined;
  if (y.json)
    return typeof n.value === 'number' && /[.eE]/.test(String(n.source ?? '')) ? 'float' : undefined;
  const kind = (n as Scalar & { pyKind?: PyKind }).pyKind;
  if (kind) return kind;
  return n.tag === tag('float') && typeof n.value === 'number' ? 'float' : undefined;
}

/** Ansible's wrap_var: every string inside becomes unsafe. */
export function wrapUnsafe(value: unknown): unknown {
  if (typeof value === 'string') return new UnsafeText(value);
  if (Array.isArray(value)) return value.map(wrapUnsafe);
  if (value && typeof value === 'object' && value.constructor === Object) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = wrapUnsafe(v);
    return out;
  }
  return value;
}

/** A short name for a value's type in error messages ("a list", "a string"...). */
export function describeType(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string' || value instanceof UnsafeText) return `a string ("${String(value)}")`;
  if (typeof value === 'number') return `a number (${value})`;
  if (typeof value === 'boolean') return `a boolean (${value})`;
  if (value instanceof VaultedValue) return 'a vaulted value';
  if (value instanceof SecretReference) return `a secret reference (${value})`;
  return 'a mapping';
}
