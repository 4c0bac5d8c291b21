/**
 * A role's variables for one host: defaults < inventory < play vars < the role's use in the play
 * < --extra-vars (Ansible's order for these sources), then checked against the role's JSON Schema
 * with ajv (its validators kept between runs: ./validator-cache.ts). Errors name the file (and
 * line) where the offending value was set and the variable, and are all collected before any
 * host is touched.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { InvalidInputError, type SourceLocation } from '../errors.js';
import { isSecret, secret } from '../secret.js';
import { SecretReference } from '../secrets/reference.js';
import type { Role } from '../define.js';
import type { VariableSource } from '../inventory/types.js';
import { coerceKeyValueVars } from './extra-vars-coercion.js';
import { cachedValidator } from './validator-cache.js';

export interface VarLayer {
  /** What this layer is, for messages: `--extra-vars`, `site.ts (play "web" vars)`. */
  label: string;
  values: Record<string, unknown>;
  /** Per-variable source (inventory provides file and line per variable). */
  sources?: Record<string, VariableSource>;
  /** Fallback location for every variable of this layer. */
  where?: SourceLocation;
}

export interface ResolvedVars {
  /** The role's variables, validated. */
  vars: Record<string, unknown>;
  /** Everything the host has: all layers merged (for ctx.hostVars). */
  all: Record<string, unknown>;
}

const validators = new WeakMap<object, ValidateFunction>();

async function validatorFor(role: Role<any>): Promise<ValidateFunction> {
  let validate = validators.get(role);
  if (!validate) {
    try {
      validate = await cachedValidator(role.vars, { allErrors: true, strict: false });
    } catch (error) {
      throw new InvalidInputError(
        `role ${role.name}: its vars schema is invalid: ${(error as Error).message}`,
        { file: role.definedAt },
      );
    }
    validators.set(role, validate);
  }
  return validate;
}

export async function resolveRoleVars(
  role: Role<any>,
  host: string,
  layers: VarLayer[],
): Promise<ResolvedVars> {
  const defaults: VarLayer = {
    label: `role ${role.name} defaults`,
    values: (role.defaults ?? {}) as Record<string, unknown>,
    where: { file: role.definedAt },
  };
  const ordered = [defaults, ...layers];
  const all: Record<string, unknown> = {};
  const origin: Record<string, VarLayer> = {};
  for (const layer of ordered) {
    for (const [key, value] of Object.entries(coerceKeyValueVars(role, layer.values))) {
      all[key] = value; // Ansible replaces, never deep-merges, dictionaries.
      origin[key] = layer;
    }
  }
  const names = Object.keys(role.vars.properties);
  const vars: Record<string, unknown> = {};
  const view: Record<string, unknown> = {};
  // A reference still unresolved is a vault entry a role of this run produces (producesSecrets):
  // its value does not exist yet, so it is checked only for being there.
  const pending = new Set<string>();
  for (const name of names) {
    if (!(name in all)) continue;
    vars[name] = all[name];
    if (all[name] instanceof SecretReference) pending.add(name);
    else view[name] = revealForValidation(all[name]);
  }
  const validate = await validatorFor(role);
  if (!validate(view)) {
    const errors = (validate.errors ?? []).filter(
      (e) => !(e.keyword === 'required' && pending.has(topLevelName(e) ?? '')),
    );
    if (errors.length) {
      throw new InvalidInputError(
        errors.map((e) => describeError(e, role, host, origin)).join('\n'),
        errors.length === 1 ? locate(errors[0]!, origin) : {},
      );
    }
  }
  // A variable its schema marks writeOnly (`secretString()`) is typed Secret: a plain string
  // from the inventory or a play becomes one too, so it is masked like any vault value.
  for (const [name, schema] of Object.entries(role.vars.properties)) {
    if ((schema as { writeOnly?: boolean }).writeOnly && typeof vars[name] === 'string')
      vars[name] = all[name] = secret(vars[name]);
  }
  return { vars, all };
}

/** Secrets are checked as the strings they hold; ajv's messages do not quote values. */
function revealForValidation(value: unknown): unknown {
  if (isSecret(value)) return value.reveal();
  if (Array.isArray(value)) return value.map(revealForValidation);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealForValidation(v)]));
  }
  return value;
}

function topLevelName(error: ErrorObject): string | undefined {
  if (error.keyword === 'required') return (error.params as { missingProperty: string }).missingProperty;
  return error.instancePath.split('/')[1];
}

function locate(error: ErrorObject, origin: Record<string, VarLayer>): SourceLocation {
  const name = topLevelName(error);
  const layer = name ? origin[name] : undefined;
  if (!layer || !name) return {};
  const source = layer.sources?.[name];
  return { ...(source ? { file: source.file, line: source.line } : layer.where), field: name };
}

function describeError(
  error: ErrorObject,
  role: Role<any>,
  host: string,
  origin: Record<string, VarLayer>,
): string {
  const name = topLevelName(error);
  const field = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : name;
  if (error.keyword === 'required') {
    return `host ${host}, role ${role.name}: missing required variable ${name} (set it in the inventory, the play's vars or --extra-vars)`;
  }
  const layer = name ? origin[name] : undefined;
  const source = name ? layer?.sources?.[name] : undefined;
  const place = source
    ? `${source.file}${source.line ? `:${source.line}` : ''}`
    : (layer?.where?.file ?? layer?.label ?? '');
  const allowed =
    error.keyword === 'enum'
      ? ` (one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`
      : '';
  return `${place ? `${place}: ` : ''}host ${host}, role ${role.name}: variable ${field} (from ${layer?.label ?? 'unknown'}) ${error.message}${allowed}`;
}
