/**
 * `npm run pve-contract [-- --check] [UPSTREAM.json]`: regenerates pve-api.json from the upstream
 * Proxmox VE API schema (default ../shared/reference/pve-api-schema.json beside the repository,
 * or $PVE_API_SCHEMA) for the simulator's route table. `--check` writes nothing and exits 1 when the committed
 * contract differs from what the upstream file gives.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { implementedRoutes } from '../handlers/index.js';
import { deriveContract } from './derive.js';
import { contractFile, contractText, upstreamFile } from './files.js';

const USAGE = 'usage: npm run pve-contract -- [--check] [UPSTREAM.json]';

export async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const rest = argv.filter((a) => a !== '--check');
  if (rest.some((a) => a.startsWith('-')) || rest.length > 1) {
    console.error(USAGE);
    return 5;
  }
  const upstream = rest[0] ?? upstreamFile();
  if (!existsSync(upstream)) {
    console.error(`pve-contract: the upstream PVE API schema is not at ${upstream}\n${USAGE}`);
    return 1;
  }
  const text = await contractText(deriveContract(readFileSync(upstream, 'utf8'), implementedRoutes()));
  const file = contractFile();
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (check) {
    if (current === text) {
      console.log(`pve-contract: ${file} matches ${upstream}`);
      return 0;
    }
    console.error(`pve-contract: ${file} differs from what ${upstream} gives; run npm run pve-contract`);
    return 1;
  }
  writeFileSync(file, text);
  console.log(
    `pve-contract: ${current === text ? 'unchanged' : 'wrote'} ${file} (${Buffer.byteLength(text)} bytes)`,
  );
  return 0;
}
