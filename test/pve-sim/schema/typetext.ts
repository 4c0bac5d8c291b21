/**
 * A property-string format derived from a schema `typetext`, for named formats the schema gives
 * only by name (e.g. `[[host=]<HOSTPCIID[;HOSTPCIID2...]>] [,pcie=<1|0>] …`). Each part gives a
 * key; `[key=]` marks the default key; a part not wrapped in brackets is required;
 * `<1|0>` is a boolean, `<a|b>` an enum, `<integer>`/`<number>` numeric, anything else a string.
 */
import type { ParamSchema } from './load.js';

export function formatFromTypetext(typetext: string): Record<string, ParamSchema> {
  const format: Record<string, ParamSchema> = {};
  // Parts start at "[," or " ," (commas inside <…> never follow whitespace).
  for (const raw of typetext.trim().split(/\s+(?=\[?,)/)) {
    let part = raw.trim();
    const optional =
      part.startsWith('[[') || part.startsWith('[,') || (part.startsWith('[') && !/^\[[\w-]+=\]/.test(part));
    if (optional) part = part.slice(1, part.endsWith(']') ? -1 : undefined);
    part = part.replace(/^,/, '');
    const dk = /^\[([\w-]+)=\](.*)$/.exec(part);
    const kv = dk ?? /^([\w-]+)=(.*)$/.exec(part);
    if (!kv) continue; // e.g. net's "[,<model>=<macaddr>]" alias family
    const value = kv[2]!;
    const schema: ParamSchema = { type: 'string' };
    const choice = /^<([^<>]*\|[^<>]*)>$/.exec(value);
    if (value === '<1|0>') schema.type = 'boolean';
    else if (value === '<integer>') schema.type = 'integer';
    else if (value === '<number>') schema.type = 'number';
    else if (choice && choice[1]!.split('|').every((alt) => /^[A-Za-z_/][\w./-]*$/.test(alt)))
      schema.enum = choice[1]!.split('|');
    if (optional) schema.optional = 1;
    if (dk) schema.default_key = 1;
    format[kv[1]!] = schema;
  }
  return format;
}
