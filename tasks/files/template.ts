/**
 * `template`: a file rendered from a Handlebars template under templates/ (or an absolute path),
 * then managed like `file` (atomic write, validate, backup, diff).
 *
 * Strict: a variable the template uses but the caller did not give is an error naming the
 * template, the variable and where it is used — never an empty string in a config file. Handlebars'
 * own strict mode lets helper arguments (`{{#if x}}`, `{{json x}}`) be missing; every path in the
 * template is marked strict here so those fail too (pass `x: false` or `null` for an optional).
 * Helpers for our config formats come from tasks/files/template-helpers.ts. Secrets in `vars` are
 * revealed for rendering and make the file sensitive (no diff, no content in changes).
 */
import { readFileSync, statSync } from 'node:fs';
import { Type } from '../../lib/vendor/typebox.js';
import type { Static, TUnsafe } from '@sinclair/typebox';
import type HandlebarsNamespace from 'handlebars';
import HandlebarsModule from '../../lib/vendor/handlebars.js';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { resolveTemplatePath, type TemplateSource } from '../../lib/template-source.js';
import { isSecret } from '../../lib/secret.js';
import { convergeFile, managedFileResource, type ManagedFileResource } from './file.js';
import { AbsolutePath, checkOptions, Flag, InstanceOf, Options } from '../options.js';
import { writeAttributeOptions } from './file-options.js';
import { registerTemplateHelpers } from './template-helpers.js';

export const TemplateOptions = Options({
  path: AbsolutePath(),
  /**
   * The template: `./x.hbs` relative to the role's own module, a `URL`, an absolute path, or a
   * path under the package's templates/ (`base/motd.hbs`); see lib/template-source.ts.
   */
  src: Type.Union([Type.String({ minLength: 1 }), InstanceOf(URL)], {
    expected: 'must be a template path (./ relative to the role, under templates/, or absolute) or a URL',
  }) as unknown as TUnsafe<TemplateSource>,
  vars: Type.Record(Type.String(), Type.Unknown(), { expected: 'must be an object' }),
  /** Treat the rendered file as secret even without a Secret in vars. */
  sensitive: Type.Optional(Flag()),
  ...writeAttributeOptions,
});
export type TemplateOptions = Static<typeof TemplateOptions>;

type Handlebars = typeof HandlebarsNamespace;
type Render = (vars: Record<string, unknown>) => string;

// Bundled into one module by the build (lib/vendor/README.md), so loading it with the primitive
// costs little; the environment is made on first use.
let environment: { hb: Handlebars; Visitor: Handlebars['Visitor'] } | undefined;
function handlebars(): { hb: Handlebars; Visitor: Handlebars['Visitor'] } {
  if (!environment) {
    const module = HandlebarsModule as Handlebars;
    // An isolated environment: our helpers never leak into (or clash with) a global registration.
    const hb = module.create();
    registerTemplateHelpers(hb);
    environment = { hb, Visitor: module.Visitor };
  }
  return environment;
}

const compiled = new Map<string, { mtimeMs: number; render: Render }>();

function compile(src: string, path: string): Render {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    throw new Error(`template ${src}: not found (${path})`);
  }
  const cached = compiled.get(path);
  if (cached && cached.mtimeMs === mtimeMs) return cached.render;
  const { hb, Visitor } = handlebars();
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`template ${src}: ${(error as Error).message}`);
  }
  // Where each variable is used, to name the whole path (`site.name`) in an error.
  const paths = new Map<string, string>();
  class MarkStrict extends Visitor {
    override PathExpression(path: hbs.AST.PathExpression): void {
      (path as { strict?: boolean }).strict = true;
      paths.set(`${path.loc.start.line}:${path.loc.start.column}`, path.original);
    }
  }
  new MarkStrict().accept(ast);
  const template = hb.compile(ast, { strict: true, noEscape: true });
  const render: Render = (vars) => {
    try {
      return template(vars);
    } catch (error) {
      const e = error as Error & { lineNumber?: number; column?: number };
      const missing = /^"(.+)" not defined in /.exec(e.message);
      if (missing && e.lineNumber !== undefined && e.column !== undefined) {
        const name = paths.get(`${e.lineNumber}:${e.column}`) ?? missing[1];
        throw new Error(
          `template ${src}: variable "${name}" is not defined (line ${e.lineNumber}, column ${e.column + 1})`,
        );
      }
      throw new Error(`template ${src}: ${e.message}`);
    }
  };
  compiled.set(path, { mtimeMs, render });
  return render;
}

/** Secrets replaced by their values (for rendering); `secret` says whether there were any. */
function reveal(value: unknown, found: { secret: boolean }): unknown {
  if (isSecret(value)) {
    found.secret = true;
    return value.reveal();
  }
  if (Array.isArray(value)) return value.map((v) => reveal(v, found));
  if (
    value !== null &&
    typeof value === 'object' &&
    [Object.prototype, null].includes(Object.getPrototypeOf(value))
  ) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v, found)]));
  }
  return value;
}

function renderWithSecrets(
  src: TemplateSource,
  vars: Record<string, unknown>,
): { text: string; secret: boolean } {
  const found = { secret: false };
  const revealed = reveal(vars, found) as Record<string, unknown>;
  return { text: compile(String(src), resolveTemplatePath(src))(revealed), secret: found.secret };
}

/** The rendered text (synchronous). Secrets in `vars` are revealed into it: keep the result secret. */
export function renderTemplate(src: TemplateSource, vars: Record<string, unknown>): string {
  return renderWithSecrets(src, vars).text;
}

export function templateResource(options: TemplateOptions): ManagedFileResource {
  const primitive = 'template';
  checkOptions(primitive, TemplateOptions, options);
  const { text, secret } = renderWithSecrets(options.src, options.vars);
  return managedFileResource({
    id: `template ${options.path}`,
    path: options.path,
    attributes: options,
    sensitive: secret || options.sensitive === true,
    content: Buffer.from(text, 'utf8'),
  });
}

/**
 * A file rendered from a Handlebars template; a missing variable fails before the host is touched.
 *
 * @example
 * await template(host, { path: '/etc/motd', src: 'base/motd.hbs', vars: { banner: 'Hi', site_name: 'lab' }, mode: '0644' });
 */
export function template(host: Host, options: TemplateOptions): Promise<TaskOutcome> {
  return convergeFile(host, templateResource(options));
}
