/**
 * Property strings (`virtio,bridge=vmbr0,firewall=1`), parsed and checked exactly as pve-common
 * JSONSchema.pm parse_property_string + check_object do: `key=value` parts, one value without a
 * key for the `default_key`, `alias`/`keyAlias` (net's `virtio=<mac>` sets model and macaddr),
 * booleans read by parse_boolean, unknown keys refused, then every key checked by check_prop.
 */
import { addError, checkProp, type Errors } from './check-prop.js';
import type { ParamSchema } from './load.js';

export type PropertyFormat = Record<string, ParamSchema>;

export class PropertyStringError extends Error {}

function parseBoolean(v: string): string | undefined {
  if (/^(1|on|yes|true)$/i.test(v)) return '1';
  if (/^(0|off|no|false)$/i.test(v)) return '0';
  return undefined;
}

/** Parses `data` with `format`; throws PropertyStringError with PVE's message on a syntax error. */
export function parsePropertyString(format: PropertyFormat, data: string): Record<string, string> {
  const res: Record<string, string> = {};
  let defaultKey: string | undefined;
  for (const part of data.split(',')) {
    if (/^\s*$/.test(part)) continue;
    const kv = /^([^=]+)=(.+)$/s.exec(part);
    if (kv) {
      let k = kv[1]!;
      let v = kv[2]!;
      if (res[k] !== undefined)
        throw new PropertyStringError(`duplicate key in comma-separated list property: ${k}`);
      let schema = format[k];
      if (schema?.alias) {
        if (schema.keyAlias) {
          if (res[schema.keyAlias] !== undefined)
            throw new PropertyStringError(`key alias '${schema.keyAlias}' is already defined`);
          res[schema.keyAlias] = k;
        }
        k = schema.alias;
        schema = format[k];
      }
      if (!schema) throw new PropertyStringError(`invalid key in comma-separated list property: ${k}`);
      if (schema.type === 'boolean') v = parseBoolean(v) ?? v;
      res[k] = v;
    } else if (!part.includes('=')) {
      if (defaultKey)
        throw new PropertyStringError(`duplicate key in comma-separated list property: ${defaultKey}`);
      defaultKey = Object.keys(format).find((key) => format[key]!.default_key);
      if (!defaultKey)
        throw new PropertyStringError('value without key, but schema does not define a default key');
      if (res[defaultKey])
        throw new PropertyStringError(`duplicate key in comma-separated list property: ${defaultKey}`);
      res[defaultKey] = part;
    } else {
      throw new PropertyStringError('missing key in comma-separated list property');
    }
  }
  return res;
}

/**
 * The text after "invalid format - " for a bad property string, or undefined. Nested errors are
 * appended as PVE::Exception stringifies them: "format error\n<path>.<key>: <msg>\n".
 */
export function checkPropertyStringFormat(
  format: PropertyFormat,
  value: string,
  path: string,
): string | undefined {
  let parsed: Record<string, string>;
  try {
    parsed = parsePropertyString(format, value);
  } catch (e) {
    if (e instanceof PropertyStringError) return `${e.message}\n`;
    throw e;
  }
  const errors: Errors = {};
  for (const [key, schema] of Object.entries(format)) {
    if (schema.alias) continue;
    checkProp(parsed[key], schema, path ? `${path}.${key}` : key, errors);
  }
  if (!Object.keys(errors).length) return undefined;
  return `format error\n${Object.entries(errors)
    .map(([k, v]) => `${k}: ${v}\n`)
    .join('')}`;
}

export { addError };
