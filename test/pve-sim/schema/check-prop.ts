/**
 * PVE's value check for one scalar parameter, in PVE's order (pve-common JSONSchema.pm check_prop):
 * missing/optional, type, format, pattern, maxLength, minLength, maximum, minimum, enum. Messages
 * are PVE's own. Values arrive as strings (form/query encoding), as PVE receives them.
 */
import { checkFormat } from './formats.js';
import type { ParamSchema } from './load.js';
import { perlPattern } from './regex.js';

export type Errors = Record<string, string>;

export function addError(errors: Errors, path: string, msg: string): void {
  const key = path || '_root';
  errors[key] = errors[key] ? `${errors[key]}\n${msg}` : msg;
}

const isNumber = (v: string) => /^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$/.test(v);
const isInteger = (v: string) => /^[+-]?\d+$/.test(v);

function checkType(
  type: string | undefined,
  value: string | string[],
  path: string,
  errors: Errors,
): boolean {
  if (!type || type === 'any') return true;
  if (type === 'array') {
    if (Array.isArray(value)) return true;
    addError(errors, path, `type check ('array') failed`);
    return false;
  }
  if (Array.isArray(value)) {
    // A key repeated in the form for a non-array parameter (PVE would see a \0-joined string).
    addError(errors, path, `type check ('${type}') failed - got ARRAY`);
    return false;
  }
  const ok =
    type === 'boolean'
      ? value === '0' || value === '1'
      : type === 'integer'
        ? isInteger(value)
        : type === 'number'
          ? isNumber(value)
          : true;
  if (!ok) addError(errors, path, `type check ('${type}') failed - got '${value}'`);
  return ok;
}

export function checkProp(
  value: string | string[] | undefined,
  schema: ParamSchema,
  path: string,
  errors: Errors,
): void {
  if (value === undefined) {
    if (!schema.optional && !schema.alias)
      addError(errors, path, 'property is missing and it is not optional');
    return;
  }
  if (!checkType(schema.type, value, path, errors)) return;
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((el, i) => checkProp(el, schema.items!, `${path}[${i}]`, errors));
    return;
  }
  if (schema.format) {
    const err = checkFormat(schema.format, value, path);
    if (err !== undefined) return addError(errors, path, `invalid format - ${err}`);
  }
  if (schema.pattern && !perlPattern(schema.pattern).test(value))
    return addError(errors, path, 'value does not match the regex pattern');
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    return addError(errors, path, `value may only be ${schema.maxLength} characters long`);
  }
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    return addError(errors, path, `value must be at least ${schema.minLength} characters long`);
  }
  if (isNumber(value)) {
    if (schema.maximum !== undefined && Number(value) > Number(schema.maximum)) {
      return addError(errors, path, `value must have a maximum value of ${schema.maximum}`);
    }
    if (schema.minimum !== undefined && Number(value) < Number(schema.minimum)) {
      return addError(errors, path, `value must have a minimum value of ${schema.minimum}`);
    }
  }
  if (schema.enum && !schema.enum.includes(value)) {
    addError(
      errors,
      path,
      `value '${value}' does not have a value in the enumeration '${schema.enum.join(', ')}'`,
    );
  }
}
