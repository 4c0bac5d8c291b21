// The role reference pages (docs/roles/*.md) are what `npm run docs` generates from the roles
// today: regenerated here and compared, so a role's variables cannot change without its page.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';
import { DOCS_DIR, rolePages } from '../../scripts/role-docs/main.js';
import { constraintsOf, renderRolePage, typeOf } from '../../scripts/role-docs/render.js';
import * as roles from '../../roles/index.js';

describe('role reference pages', () => {
  const pages = rolePages(repoRoot);
  const dir = join(repoRoot, DOCS_DIR);

  it('one page per role, and no page without a role', () => {
    const names = Object.values(roles).map((r) => `${r.name}.md`);
    expect([...pages.keys()].sort()).toEqual([...names, 'README.md'].sort());
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith('.md'))
        .sort(),
    ).toEqual([...pages.keys()].sort());
  });

  for (const [file, text] of pages)
    it(`${DOCS_DIR}/${file} is up to date (else: npm run docs)`, () => {
      expect(existsSync(join(dir, file))).toBe(true);
      expect(readFileSync(join(dir, file), 'utf8')).toBe(text);
    });

  it('every variable of every role is on its page, with its default', () => {
    for (const role of Object.values(roles)) {
      const page = pages.get(`${role.name}.md`)!;
      for (const name of Object.keys(role.vars.properties)) expect(page).toContain(`| \`${name}\` |`);
      for (const [name, value] of Object.entries(role.defaults ?? {})) {
        const row = page.split('\n').find((l) => l.startsWith(`| \`${name}\` |`))!;
        expect(row).toContain(`| \`${JSON.stringify(value).replace(/\|/g, '\\|')}\` |`);
      }
    }
  });
});

describe('the page renderer', () => {
  it('types, constraints, secrets, examples and what "required" means', () => {
    expect(typeOf({ enum: ['a', 'b'] })).toBe('"a" | "b"');
    expect(typeOf({ type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] } })).toBe(
      '(string | integer)[]',
    );
    expect(typeOf({ type: 'object', properties: { a: {}, b: {} }, required: ['a'] })).toBe('{ a, b? }');
    expect(typeOf({ type: 'string', writeOnly: true, minLength: 1 })).toBe('secret string');
    expect(constraintsOf({ type: 'integer', minimum: 1, maximum: 9, pattern: 'x|y' })).toEqual([
      '≥ 1',
      '≤ 9',
      'matches `x|y`',
    ]);
    const page = renderRolePage(
      {
        name: 'demo',
        vars: {
          properties: {
            port: { type: 'integer', examples: [8443] },
            host: { type: 'string' },
            mode: { type: 'string', description: 'from the schema' },
          },
          required: ['port', 'host'],
        },
        defaults: { port: 443 },
      },
      { about: 'What demo does.', comments: new Map([['host', 'from a doc comment']]) },
    );
    expect(page).toContain('What demo does.');
    expect(page).toContain('| `host` | `string` | yes |  | from a doc comment |');
    expect(page).toContain('| `port` | `integer` |  | `443` | Example: `8443`. |');
    expect(page).toContain('| `mode` | `string` |  |  | from the schema |');
  });
});
