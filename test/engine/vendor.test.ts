/**
 * Start-up (issue 21): the engine loads its heavy third-party packages only through lib/vendor/,
 * whose modules the build replaces with one bundle each. A run-time import of such a package
 * anywhere else in lib/ or tasks/ would load it again as its hundreds of files (and, for TypeBox,
 * a second set of registries, so formats registered in one would be unknown to the other).
 * The built bundles must also load on their own and give what the sources give.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../lib/package-root.js';

const root = packageRoot();
const BUNDLED = ['@sinclair/typebox', 'yaml', 'ajv', 'handlebars', 'diff'];

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('third-party packages are loaded through lib/vendor only', () => {
  it('no run-time import of a bundled package outside lib/vendor', () => {
    const offenders: string[] = [];
    for (const file of [...sources('lib'), ...sources('tasks')]) {
      if (file.includes('/lib/vendor/')) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(
        /^\s*import\s+(?!type\b)[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)|require\('([^']+)'\)/gm,
      )) {
        const spec = m[1] ?? m[2] ?? m[3] ?? '';
        if (spec.endsWith('/package.json')) continue; // data (a version), not code
        if (BUNDLED.some((p) => spec === p || spec.startsWith(`${p}/`)))
          offenders.push(`${file.slice(root.length + 1)}: ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the built bundles are one file each and export what the sources do', async () => {
    const dist = join(root, 'dist', 'lib', 'vendor');
    if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
    for (const file of readdirSync(join(root, 'lib', 'vendor')).filter((f) => f.endsWith('.ts'))) {
      const built = join(dist, file.replace(/\.ts$/, '.js'));
      const text = readFileSync(built, 'utf8');
      // A bundle has the package inside: no import of it is left.
      expect(text, built).not.toMatch(/from ["'](@sinclair\/typebox|yaml|ajv|handlebars|diff)["/]/);
      const bundle = (await import(pathToFileURL(built).href)) as Record<string, unknown>;
      const source = (await import(pathToFileURL(join(root, 'lib', 'vendor', file)).href)) as Record<
        string,
        unknown
      >;
      expect(Object.keys(bundle).sort(), file).toEqual(Object.keys(source).sort());
    }
    const { Type, Value } = (await import(
      pathToFileURL(join(dist, 'typebox.js')).href
    )) as typeof import('../../lib/vendor/typebox.js');
    expect(Value.Check(Type.Integer({ minimum: 1 }), 2)).toBe(true);
    const { parseDocument } = (await import(
      pathToFileURL(join(dist, 'yaml.js')).href
    )) as typeof import('../../lib/vendor/yaml.js');
    expect(parseDocument('a: 1').toJS()).toEqual({ a: 1 });
    const Handlebars = (
      (await import(
        pathToFileURL(join(dist, 'handlebars.js')).href
      )) as typeof import('../../lib/vendor/handlebars.js')
    ).default;
    expect(Handlebars.create().compile('x={{x}}')({ x: 1 })).toBe('x=1');
    const Ajv = (
      (await import(pathToFileURL(join(dist, 'ajv.js')).href)) as typeof import('../../lib/vendor/ajv.js')
    ).default;
    expect(new Ajv().compile({ type: 'integer' })(1.5)).toBe(false);
  });
});
