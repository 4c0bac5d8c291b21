/**
 * Ajv validators kept as code between runs (issue 21). Compiling a role's variables schema makes
 * Ajv generate and compile JavaScript: ~50–60 ms per role at every start, the largest single
 * cost of a no-op run before it connects. Ajv can write that code out (its "standalone" mode);
 * the first run keeps it in the playbook's cache folder (`.novastation/cache/`, beside the bundle
 * the playbook loader keeps there), keyed by a hash of Ajv's version, the options and the schema,
 * and later runs load it instead of compiling. The same generated code validates either way, so
 * the errors (and the messages made from them) are the same.
 *
 * Without a cache folder (the engine used as a library, no playbook) it compiles every time.
 * A cache file that cannot be read or run is compiled again and replaced.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Options, ValidateFunction } from 'ajv';
import { writeFileAtomic } from '../vault/files.js';

// Generated code may require Ajv's runtime helpers (`ajv/dist/runtime/…`): resolved from here.
const require = createRequire(import.meta.url);
const AJV_VERSION = (require('ajv/package.json') as { version: string }).version;

let cacheDir: string | undefined;

/** Where validators are kept (the CLI sets the playbook's cache folder; undefined: nowhere). */
export function setValidatorCacheDir(dir: string | undefined): void {
  cacheDir = dir;
}

// Loaded only to compile: a run whose validators are all cached never parses Ajv.
type AjvModule = typeof import('../vendor/ajv.js');
let ajvModule: AjvModule | undefined;
const instances = new Map<string, InstanceType<AjvModule['default']>>();

/** A validator for `schema` with Ajv `options`, from the cache when it holds one. */
export async function cachedValidator(schema: object, options: Options): Promise<ValidateFunction> {
  const optionsKey = JSON.stringify(options);
  const file = cacheDir && join(cacheDir, `ajv-${hashOf(optionsKey, schema)}.cjs`);
  if (file) {
    const loaded = load(file);
    if (loaded) return loaded;
  }
  const { default: Ajv, standaloneCode } = (ajvModule ??= await import('../vendor/ajv.js'));
  let ajv = instances.get(optionsKey);
  if (!ajv) instances.set(optionsKey, (ajv = new Ajv({ ...options, code: { source: true } })));
  const validate = ajv.compile(schema);
  if (file) await save(file, standaloneCode(ajv, validate));
  return validate;
}

function hashOf(optionsKey: string, schema: object): string {
  return createHash('sha256')
    .update(`${AJV_VERSION}\0${optionsKey}\0${JSON.stringify(schema)}`)
    .digest('hex')
    .slice(0, 32);
}

function load(file: string): ValidateFunction | undefined {
  let code: string;
  try {
    code = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const module = { exports: {} as unknown };
    new Function('require', 'module', 'exports', code)(require, module, module.exports);
    const validate = module.exports;
    return typeof validate === 'function' ? (validate as ValidateFunction) : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole or not at all (lib/vault/files.ts), so a reader never runs half a file. */
async function save(file: string, code: string): Promise<void> {
  try {
    await mkdir(join(file, '..'), { recursive: true });
    await writeFileAtomic(file, code, 0o644);
  } catch {
    // A read-only playbook folder: validators are compiled at each start, as without a cache.
  }
}
