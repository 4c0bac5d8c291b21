/**
 * undici and proxmox-api, loaded on first use rather than when `novastation` is imported: every
 * playbook imports the library, most runs never talk to Proxmox, and loading these two costs
 * every run start-up time (the benchmark times the whole process). `require` (both ship CommonJS)
 * keeps `connectProxmox` synchronous; only the types are imported statically.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const undici = (): typeof import('undici') => require('undici') as typeof import('undici');
export const proxmoxApiPackage = (): typeof import('proxmox-api') =>
  require('proxmox-api') as typeof import('proxmox-api');
