/**
 * Loads a TypeScript playbook without a build step by the user. esbuild bundles the playbook and
 * the user's own local modules (not packages: `novastation` and other dependencies stay imports,
 * so they load precompiled) in ~10 ms; the result is cached beside the playbook under
 * `.novastation/cache/` (node resolves the playbook's dependencies from there) and imported.
 * `import.meta.url`/`dirname`/`filename` are rewritten to each source file's own, so a user's role
 * that finds its templates relative to itself still does.
 */
import { mkdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../errors.js';
import { isPlaybook, type Playbook } from '../define.js';

export async function loadPlaybook(file: string): Promise<Playbook> {
  const path = resolve(file);
  if (!existsSync(path)) throw new InvalidInputError(`playbook not found`, { file });
  const esbuild = await import('esbuild');
  let code: string;
  try {
    const result = await esbuild.build({
      entryPoints: [path],
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      plugins: [importMetaPerFile()],
    });
    code = result.outputFiles[0]!.text;
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors?.[0];
    if (first) throw new InvalidInputError(first.text, { file: first.location?.file ?? file, line: first.location?.line, column: first.location ? first.location.column + 1 : undefined });
    throw error;
  }

  const cacheDir = join(dirname(path), '.novastation', 'cache');
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const out = join(cacheDir, `${basename(path)}.${hash}.mjs`);
  if (!existsSync(out)) {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, out); // concurrent runs write the same content: last rename wins, both fine
  }

  let module: { default?: unknown };
  try {
    module = await import(pathToFileURL(out).href);
  } catch (error) {
    throw new InvalidInputError(`failed to load: ${(error as Error).message}`, { file });
  }
  if (!isPlaybook(module.default)) {
    throw new InvalidInputError('the default export must be definePlaybook({ name, plays }) (imported from "novastation")', { file });
  }
  return module.default;
}

function importMetaPerFile() {
  return {
    name: 'import-meta-per-file',
    setup(build: import('esbuild').PluginBuild) {
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta')) return undefined;
        const contents = source
          .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href))
          .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(dirname(args.path)))
          .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(args.path));
        const loader = args.path.endsWith('ts') ? 'ts' : 'js';
        return { contents, loader };
      });
    },
  };
}
