import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as roles from '../../roles/index.js';
import { buildInventorySchema } from '../../lib/schema/inventory-schema.js';

describe('inventory/schema.json', () => {
  it("is up to date with the roles (run `npm run schema` after changing a role's vars)", () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../inventory/schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(buildInventorySchema(Object.values(roles)));
  });
  it('accepts the example inventory and rejects a wrong type', async () => {
    const { parse } = await import('yaml');
    const Ajv = ((await import('ajv')).default as unknown as { default: typeof import('ajv').default })
      .default;
    const validate = new Ajv({ strict: false }).compile(buildInventorySchema(Object.values(roles)));
    const site = parse(readFileSync(new URL('../../inventory/site.yml', import.meta.url), 'utf8'));
    expect(validate(site), JSON.stringify(validate.errors)).toBe(true);
    site.all.vars.site_name = 42;
    expect(validate(site)).toBe(false);
  });
});
