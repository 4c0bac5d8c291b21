/**
 * Checks the parameters of one request against its method's schema, as PVE's RESTHandler does
 * (`PVE::JSONSchema::validate` with additionalProperties 0 over path variables + query + body):
 * unknown names, `[n]` families (net0, hostpci3, scsi12 …) with their index ranges, required
 * parameters, `requires`, and each value through check_prop. Returns PVE's per-parameter errors
 * and the parameters with array-typed ones as arrays.
 */
import { addError, checkProp, type Errors } from './check-prop.js';
import type { MethodSchema, ParamSchema } from './load.js';

export type RawParams = Record<string, string | string[]>;

/**
 * Highest index + 1 of each `[n]` family, where the schema does not state it (its description's
 * "(n is 0 to N)", kept in the contract as `maxIndex`): qemu-server ($MAX_NETS = 32,
 * $MAX_HOSTPCI_DEVICES = 16, $MAX_UNUSED_DISKS = 256, $MAX_NUMA = 8, max_virtiofs 10; ipconfig
 * follows net), pve-container (mp/dev), corosync links.
 */
const FAMILY_MAX: Record<string, number> = {
  net: 32,
  ipconfig: 32,
  hostpci: 16,
  unused: 256,
  numa: 8,
  virtiofs: 10,
  mp: 256,
  dev: 256,
  link: 8,
  acmedomain: 6,
};

function familyLimit(base: string, schema: ParamSchema): number {
  if (schema.maxIndex !== undefined) return schema.maxIndex + 1;
  return FAMILY_MAX[base] ?? 32;
}

export function resolveParamSchema(method: MethodSchema, name: string): ParamSchema | undefined {
  const props = method.parameters?.properties ?? {};
  if (props[name]) return props[name];
  const m = /^([a-z][a-z_-]*?)(\d+)$/.exec(name);
  if (!m) return undefined;
  const family = props[`${m[1]}[n]`];
  if (!family) return undefined;
  const index = Number(m[2]);
  if (String(index) !== m[2] || index >= familyLimit(m[1]!, family)) return undefined;
  return family;
}

export function validateParams(
  method: MethodSchema,
  input: RawParams,
): { params: RawParams; errors: Errors } {
  const props = method.parameters?.properties ?? {};
  const errors: Errors = {};
  const params: RawParams = {};
  for (const [name, value] of Object.entries(input)) {
    const schema = resolveParamSchema(method, name);
    if (!schema) {
      addError(
        errors,
        name,
        'property is not defined in schema and the schema does not allow additional properties',
      );
      continue;
    }
    params[name] = schema.type === 'array' && !Array.isArray(value) ? [value] : value;
  }
  for (const [name, schema] of Object.entries(props)) {
    if (name.endsWith('[n]')) continue;
    if (errors[name]) continue;
    checkProp(params[name], schema, name, errors);
  }
  for (const [name, value] of Object.entries(params)) {
    const schema = resolveParamSchema(method, name)!;
    if (!props[name]) checkProp(value, schema, name, errors);
    if (schema.requires && params[schema.requires] === undefined) {
      addError(errors, schema.requires, `missing property - '${name}' requires this property`);
    }
  }
  return { params, errors };
}
