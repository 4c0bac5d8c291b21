/**
 * Loads a TypeScript playbook without a build step by the user. esbuild bundles the playbook and
 * the user's own local modules (not packages: `novastation` and other dependencies stay imports,
 * so they load precompiled); the result is cached beside the playbook under `.novastation/cache/`
 * (node resolves the playbook's dependencies from there) with a manifest of the source files'
 * sizes and modification times. When none changed, the cached bundle is imported directly and
 * esbuild is not even loaded (~0.1–0.2 s of start-up saved on every rerun).
 * `import.meta.url`/`dirname`/`filename` are rewritten to each source file's own, and the bundle
 * carries an inline source map (stack traces, so `defineRole`'s record of where a role was
 * defined, name the source file), so a user's role that finds its templates relative to itself
 * still does. `novastation` itself resolves to the package this CLI came from, so a playbook
 * in any folder can import it without installing it there (and never gets a second copy).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { InvalidInputError } from '../errors.js';
import { isPlaybook, type Playbook } from '../define.js';

/** Bumped when the bundle's form changes (2: inline source maps), so older caches are rebuilt. */
const BUNDLE_FORM = 2;

interface Manifest {
  form?: number;
  output: string;
  /** Absolute source path → `size:mtimeMs`. */
  inputs: Record<string, string>;
}

/** The playbook's cache folder: its bundle, and the role validators (lib/runner/validator-cache.ts). */
export function playbookCacheDir(file: string): string {
  return join(dirname(resolve(file)), '.novastation', 'cache');
}

export async function loadPlaybook(file: string): Promise<Playbook> {
  const path = resolve(file);
  if (!existsSync(path)) throw new InvalidInputError(`playbook not found`, { file });
  if (!/\.[cm]?[jt]s$/.test(path)) throw notTypeScript(file);
  const cacheDir = playbookCacheDir(path);
  // The manifest's name carries the bundle format, so bundles made with other options are not reused.
  const manifestFile = join(cacheDir, `${basename(path)}.${BUNDLE_FORMAT}.manifest.json`);
  const output = cachedOutput(manifestFile) ?? (await bundle(path, file, cacheDir, manifestFile));

  process.setSourceMapsEnabled(true);
  let module: { default?: unknown };
  try {
    module = await import(pathToFileURL(output).href);
  } catch (error) {
    throw new InvalidInputError(`failed to load: ${(error as Error).message}`, { file });
  }
  if (!isPlaybook(module.default)) {
    throw new InvalidInputError(
      'the default export must be definePlaybook({ name, plays }) (imported from "novastation")',
      { file },
    );
  }
  return module.default;
}

/** An Ansible YAML playbook (or any other file) given where a TypeScript playbook belongs. */
function notTypeScript(file: string): InvalidInputError {
  const yaml = /\.ya?ml$/i.test(file);
  return new InvalidInputError(
    `${yaml ? 'this is YAML (an Ansible playbook?); ' : ''}NovaStation playbooks are TypeScript: ` +
      'a .ts module whose default export is definePlaybook({ name, plays }) with roles written in ' +
      'TypeScript. See "Coming from Ansible" in the README (plays, flags and exit codes side by side).',
    { file },
  );
}

function fingerprint(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** The cached bundle, if every source it was built from is unchanged. */
function cachedOutput(manifestFile: string): string | undefined {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  if (manifest.form !== BUNDLE_FORM || !existsSync(manifest.output)) return undefined;
  for (const [input, print] of Object.entries(manifest.inputs))
    if (fingerprint(input) !== print) return undefined;
  return manifest.output;
}

async function bundle(path: string, file: string, cacheDir: string, manifestFile: string): Promise<string> {
  const esbuild = await import('esbuild');
  let code: string;
  let inputs: string[];
  try {
    const result = await esbuild.build({
      entryPoints: [path],
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      metafile: true,
      // Inline source maps (paths relative to the cache folder): with source maps on, stacks and
      // defineRole's `definedAt` name the user's .ts files and lines, not the bundle's.
      sourcemap: 'inline',
      outfile: join(cacheDir, `${basename(path)}.mjs`),
      absWorkingDir: dirname(path),
      logLevel: 'silent',
      plugins: [ownPackage(), importMetaPerFile()],
    });
    code = result.outputFiles[0]!.text;
    inputs = Object.keys(result.metafile.inputs).map((i) => resolve(dirname(path), i));
  } catch (error) {
    const first = (
      error as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }
    ).errors?.[0];
    if (first) {
      const where = first.location ? resolve(dirname(path), first.location.file) : file;
      throw new InvalidInputError(first.text, {
        file: where,
        line: first.location?.line,
        column: first.location ? first.location.column + 1 : undefined,
      });
    }
    throw error;
  }
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const output = join(cacheDir, `${basename(path)}.${hash}.mjs`);
  mkdirSync(cacheDir, { recursive: true });
  // Temp + rename: concurrent runs write the same content, and a reader never sees half a file.
  const write = (target: string, text: string) => {
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, target);
  };
  if (!existsSync(output)) write(output, code);
  const manifest: Manifest = {
    form: BUNDLE_FORM,
    output,
    inputs: Object.fromEntries(inputs.map((i) => [i, fingerprint(i) ?? ''])),
  };
  write(manifestFile, JSON.stringify(manifest));
  return output;
}

const BUNDLE_FORMAT = 'v2';

/**
 * `novastation` and `novastation/…` → this CLI's own package (Node's self-reference through the
 * package's `exports`), as absolute file URLs in the bundle.
 */
function ownPackage() {
  const require = createRequire(import.meta.url);
  return {
    name: 'novastation-own-package',
    setup(build: import('esbuild').PluginBuild) {
      build.onResolve({ filter: /^novastation(\/.*)?$/ }, (args) => {
        try {
          return { path: pathToFileURL(require.resolve(args.path)).href, external: true };
        } catch {
          return undefined; // not an export of ours: let esbuild report it
        }
      });
    },
  };
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
