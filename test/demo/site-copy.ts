/**
 * The example site (inventory/site.yml and its vault, unchanged) copied into a folder of its own,
 * with an overlay inventory beside it that points the site at what exists on this machine: pve1's
 * API at the Proxmox simulator, and — when the demo boots them — the Linux hosts at test hosts.
 * The CLI reads both (`-i site.yml -i overlay.yml`): the overlay's host variables win, as a later
 * inventory's do in Ansible. Run records, the site lock and the vault's new entries stay in that
 * folder, never in the repository.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

export const REPO = join(fileURLToPath(import.meta.url), '..', '..', '..');
/** The example vault's passphrase (README "Secrets"): demo secrets only. */
export const DEMO_VAULT_PASSPHRASE = 'novastation-demo';
/** The environment variable the overlay reads the simulator's API token from (`!env`). */
export const PVE_TOKEN_ENV = 'NOVASTATION_DEMO_PVE_TOKEN';

export interface SiteCopy {
  dir: string;
  /** `-i site.yml -i overlay.yml --vault … --runs-dir …` */
  args: string[];
  /** Writes the overlay: host name → variables (a host must exist in site.yml). */
  writeOverlay(hosts: Record<string, Record<string, unknown>>, vars?: Record<string, unknown>): void;
}

export function copySite(prefix = 'novastation-site-'): SiteCopy {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  copyFileSync(join(REPO, 'inventory', 'site.yml'), join(dir, 'site.yml'));
  copyFileSync(join(REPO, 'inventory', 'secrets.vault'), join(dir, 'secrets.vault'));
  const overlay = join(dir, 'overlay.yml');
  return {
    dir,
    args: [
      '-i',
      join(dir, 'site.yml'),
      '-i',
      overlay,
      '--vault',
      join(dir, 'secrets.vault'),
      '--runs-dir',
      join(dir, 'runs'),
    ],
    writeOverlay(hosts, vars = {}) {
      // `!env` is a YAML tag: placed as text after stringify.
      const text = stringify({ all: { vars, hosts } }).replace(/"?'?__ENV_(\w+)__'?"?/g, '!env $1');
      writeFileSync(overlay, text);
    },
  };
}

/** A value the overlay reads from the environment (`!env NAME`): a Secret, never in the file. */
export const fromEnvTag = (name: string) => `__ENV_${name}__`;

/** pve1's API pointed at a Proxmox simulator; its token from the environment. */
export function pveOverlay(sim: { url: string; fingerprint: string; token: { id: string } }) {
  return {
    pve_api_url: sim.url,
    pve_fingerprint: sim.fingerprint,
    pve_token_id: sim.token.id,
    pve_token_secret: fromEnvTag(PVE_TOKEN_ENV),
  };
}
