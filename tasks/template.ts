/**
 * `template`: a file rendered from a Handlebars template under templates/ (or an absolute path),
 * in strict mode: a variable the template uses but the caller did not give is an error naming
 * the template and the variable, never an empty string in a config file.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { TaskOutcome } from '../lib/define.js';
import type { Host } from '../lib/host/host.js';
import { packageRoot } from '../lib/package-root.js';
import { file, type FileOptions } from './file.js';

export interface TemplateOptions extends Omit<FileOptions, 'content'> {
  /** Path under the package's templates/ (e.g. `base/motd.hbs`) or absolute. */
  src: string;
  vars: Record<string, unknown>;
}

type Compiled = (vars: Record<string, unknown>) => string;
const compiled = new Map<string, Compiled>();

export async function renderTemplate(src: string, vars: Record<string, unknown>): Promise<string> {
  const path = isAbsolute(src) ? src : join(packageRoot(), 'templates', src);
  let render = compiled.get(path);
  if (!render) {
    const { default: Handlebars } = await import('handlebars');
    render = Handlebars.compile(readFileSync(path, 'utf8'), { strict: true, noEscape: true });
    compiled.set(path, render);
  }
  try {
    return render(vars);
  } catch (error) {
    throw new Error(`template ${src}: ${(error as Error).message}`);
  }
}

export async function template(host: Host, options: TemplateOptions): Promise<TaskOutcome> {
  const { src, vars, ...rest } = options;
  return file(host, { ...rest, content: await renderTemplate(src, vars) });
}
