#!/usr/bin/env node
// Writes inventory/schema.json from the built roles (`npm run schema` after changing a role's vars).
import { writeFileSync } from 'node:fs';
import * as roles from '../dist/roles/index.js';
import { buildInventorySchema } from '../dist/lib/schema/inventory-schema.js';

const path = new URL('../inventory/schema.json', import.meta.url);
writeFileSync(path, JSON.stringify(buildInventorySchema(Object.values(roles)), null, 2) + '\n');
console.log(`wrote ${path.pathname}`);
