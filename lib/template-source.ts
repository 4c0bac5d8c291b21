/**
 * Where a template lives, from what a role wrote as its `src`:
 * - a `URL` (`new URL('./templates/motd.hbs', import.meta.url)`) or an absolute path: that file;
 * - `./…` or `../…`: relative to the module of the role that is running (its `defineRole` call),
 *   so a role outside this package ships its templates beside itself;
 * - anything else (`base/motd.hbs`): a template shipped in this package's templates/.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from './package-root.js';
import { currentRole } from './runner/current-role.js';

export type TemplateSource = string | URL;

export function resolveTemplatePath(src: TemplateSource): string {
  if (src instanceof URL) return fileURLToPath(src);
  if (src.startsWith('file:')) return fileURLToPath(src);
  if (isAbsolute(src)) return src;
  if (/^\.\.?\//.test(src)) {
    const role = currentRole();
    if (!role?.definedAt)
      throw new Error(
        `template ${src}: a path relative to the role's module needs a running role whose file is known; give new URL('${src}', import.meta.url) instead`,
      );
    return resolve(dirname(role.definedAt), src);
  }
  return join(packageRoot(), 'templates', src);
}
