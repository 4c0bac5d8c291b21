/**
 * Role validators kept as Ajv's generated code between runs (lib/runner/validator-cache.ts): the
 * second start loads the file instead of compiling, with the same verdicts and errors; a damaged
 * file is compiled again and replaced; without a cache folder nothing is written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '../../lib/vendor/typebox.js';
import { cachedValidator, setValidatorCacheDir } from '../../lib/runner/validator-cache.js';

const schema = Type.Object({
  port: Type.Integer({ minimum: 1 }),
  name: Type.String({ minLength: 2 }),
  tags: Type.Array(Type.String(), { uniqueItems: true }),
});
const options = { allErrors: true, strict: false };
const bad = { port: 0, name: 'x', tags: ['a', 'a'] };

let dir: string | undefined;
afterEach(() => {
  setValidatorCacheDir(undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('validator cache', () => {
  it('keeps the validator as code and gives the same errors from it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ns-validators-'));
    setValidatorCacheDir(dir);
    const compiled = await cachedValidator(schema, options);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^ajv-[0-9a-f]{32}\.cjs$/);
    // It uses Ajv's runtime helpers (ucs2length for minLength, equal for uniqueItems).
    expect(readFileSync(join(dir, files[0]!), 'utf8')).toMatch(/require\("ajv\/dist\/runtime\//);
    const loaded = await cachedValidator(schema, options);
    expect(loaded).not.toBe(compiled); // really loaded from the file
    expect(loaded(bad)).toBe(false);
    expect(compiled(bad)).toBe(false);
    expect(loaded.errors).toEqual(compiled.errors);
    expect(loaded.errors?.map((e) => e.instancePath).sort()).toEqual(['/name', '/port', '/tags']);
    expect(loaded({ port: 1, name: 'ab', tags: ['a', 'b'] })).toBe(true);
  });

  it('another schema or other options get another file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ns-validators-'));
    setValidatorCacheDir(dir);
    await cachedValidator(schema, options);
    await cachedValidator(schema, { ...options, allErrors: false });
    await cachedValidator(Type.Object({ port: Type.Integer({ minimum: 2 }) }), options);
    expect(readdirSync(dir)).toHaveLength(3);
  });

  it('a damaged cache file is compiled again and replaced', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ns-validators-'));
    setValidatorCacheDir(dir);
    await cachedValidator(schema, options);
    const file = join(dir, readdirSync(dir)[0]!);
    writeFileSync(file, 'module.exports = (');
    const validate = await cachedValidator(schema, options);
    expect(validate(bad)).toBe(false);
    expect(readFileSync(file, 'utf8')).toMatch(/module\.exports = validate/);
  });

  it('writes nothing without a cache folder', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ns-validators-'));
    const validate = await cachedValidator(schema, options);
    expect(validate(bad)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
