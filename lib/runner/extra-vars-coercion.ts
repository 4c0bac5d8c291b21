/**
 * `-e key=value` values are text, as in Ansible; NovaStation's role variables are typed. A `k=v`
 * value is converted to the type the role's schema declares for that variable only when the text
 * is an exact rendering of a value of that type (`80` → 80, `true` → true, `-1.5` → -1.5);
 * anything else (`80x`, `08`, `yes`) is refused with a message that says so. JSON and YAML `-e`
 * values already carry their types and are never converted.
 */
import { InvalidInputError } from '../errors.js';

/** Per merged extra-vars object: the keys whose values came from `k=v` text. */
const keyValueText = new WeakMap<object, Set<string>>();

export function markKeyValueText(vars: Record<string, unknown>, keys: Iterable<string>): void {
  keyValueText.set(vars, new Set(keys));
}

const RENDERINGS = {
  integer: { pattern: /^-?(0|[1-9][0-9]*)$/, parse: Number, what: 'an integer' },
  number: { pattern: /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/, parse: Number, what: 'a number' },
  boolean: {
    pattern: /^(true|false)$/,
    parse: (t: string) => t === 'true',
    what: 'a boolean (true or false)',
  },
} as const;

interface RoleLike {
  name: string;
  vars: { properties?: Record<string, unknown> };
}

/** `values` with its `k=v` texts converted for `role`'s schema; the same object when nothing is. */
export function coerceKeyValueVars(role: RoleLike, values: Record<string, unknown>): Record<string, unknown> {
  const keys = keyValueText.get(values);
  if (!keys?.size) return values;
  let out = values;
  for (const name of keys) {
    const text = values[name];
    const declared = (role.vars.properties?.[name] as { type?: unknown } | undefined)?.type;
    if (typeof text !== 'string' || declared === undefined) continue;
    const types = [declared].flat().filter((t): t is string => typeof t === 'string');
    if (types.includes('string')) continue;
    const kinds = types.filter((t): t is keyof typeof RENDERINGS => t in RENDERINGS);
    if (!kinds.length) continue; // objects, arrays: text cannot be one; the schema check says so
    const kind = kinds.find((k) => RENDERINGS[k].pattern.test(text));
    if (!kind) {
      const wanted = kinds.map((k) => RENDERINGS[k].what).join(' or ');
      throw new InvalidInputError(
        `--extra-vars ${name}=${text}: role ${role.name} declares ${name} as ${kinds.join(' or ')}, and "${text}" is not ${wanted} ` +
          `(k=v values are text and are converted only when they are an exact rendering, such as 80 or true; ` +
          `or give JSON: -e '{"${name}": …}')`,
        { field: name },
      );
    }
    if (out === values) out = { ...values };
    out[name] = RENDERINGS[kind].parse(text);
  }
  return out;
}
