/**
 * What a TypeBox declaration gives at run time: a secretString() variable arrives as a Secret even
 * when given as a plain string; the ajv check still names a wrong value; template paths resolve
 * beside the running role's module, from a URL, or in the package's templates/.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineRole, isSecret, secretString, Type } from '../../lib/index.js';
import { resolveRoleVars } from '../../lib/runner/role-vars.js';
import { runAsRole } from '../../lib/runner/current-role.js';
import { resolveTemplatePath } from '../../lib/template-source.js';
import { packageRoot } from '../../lib/package-root.js';

const role = defineRole({
  name: 'declared',
  vars: Type.Object({ token: secretString(), port: Type.Optional(Type.Integer({ minimum: 1 })) }),
  defaults: { port: 80 },
  async apply() {},
});

describe('a TypeBox role at run time', () => {
  it('wraps a plain string given for a secretString() variable in a Secret', async () => {
    const { vars } = await resolveRoleVars(role, 'h1', [
      { label: 'inventory', values: { token: 'plain-token' } },
    ]);
    expect(isSecret(vars.token)).toBe(true);
    expect(String(vars.token)).toBe('********');
    expect(vars.port).toBe(80);
  });

  it('still refuses a wrong value, naming the variable', async () => {
    await expect(
      resolveRoleVars(role, 'h1', [{ label: 'inventory', values: { token: 'x', port: 0 } }]),
    ).rejects.toThrow(/host h1, role declared: variable port .*must be >= 1/);
  });

  it('knows the file that defined it', () => {
    expect(role.definedAt).toBe(new URL(import.meta.url).pathname);
  });
});

describe('template paths', () => {
  it('resolves ./ beside the running role, a URL, an absolute path and a shipped template', async () => {
    const here = '/srv/site/roles/web/index.ts';
    const inRole = await runAsRole({ name: 'web', definedAt: here }, async () =>
      resolveTemplatePath('./templates/site.conf.hbs'),
    );
    expect(inRole).toBe('/srv/site/roles/web/templates/site.conf.hbs');
    expect(resolveTemplatePath(pathToFileURL('/srv/x.hbs'))).toBe('/srv/x.hbs');
    expect(resolveTemplatePath('/srv/y.hbs')).toBe('/srv/y.hbs');
    expect(resolveTemplatePath('base/motd.hbs')).toBe(join(packageRoot(), 'templates', 'base/motd.hbs'));
  });

  it('refuses ./ outside a role, saying what to write instead', () => {
    expect(() => resolveTemplatePath('./x.hbs')).toThrow(/new URL\('\.\/x\.hbs', import\.meta\.url\)/);
  });
});
