/** What the sync is told besides the site model: who logs in, how connections look, pruning. */
import type { Secret } from '../../secret.js';

export type CertPolicy = 'ignore' | 'tofu' | 'verify';
export type Clipboard = 'both' | 'copy' | 'paste' | 'none';

export interface RdpOptions {
  /** `ignore` (ignore-cert: xrdp's snakeoil and Windows' self-signed certificates), `tofu`, `verify`. */
  certPolicy: CertPolicy;
  /** Which way the clipboard works: `both`, `copy` (remote → local only), `paste`, `none`. */
  clipboard: Clipboard;
  /** A per-user redirected drive (guacd's drive-path, `${GUAC_USERNAME}` expanded by Guacamole). */
  drive: boolean;
  drivePath: string;
  driveName: string;
  /** The user's Guacamole credentials sent on (`${GUAC_USERNAME}`/`${GUAC_PASSWORD}`): one login. */
  passThrough: boolean;
  /** `security` per guest OS: xrdp speaks TLS (no NLA server), Windows wants NLA. */
  security: { ubuntu: string; windows: string };
  /** Keyboard layout of the server (RDP is scancode-based). */
  serverLayout?: string;
  timezone?: string;
  /** 1.6's graphics pipeline is on by default; turn off for servers that misbehave with it. */
  disableGfx: boolean;
  /** Used only with disableGfx (GFX forces 32 bpp): 16 keeps slow links fast. */
  colorDepth?: 8 | 16 | 24;
  disableAudio: boolean;
}

export interface SyncOptions {
  /** Login of the site user who administers Guacamole; the sync logs in as this user. */
  admin: string;
  /** The default account of a fresh database, used only until the admin exists. */
  defaultAdmin: { username: string; password: Secret; action: 'delete' | 'disable' };
  /** Key of the password digests (markers.ts); a vault secret. */
  passwordKey: Secret;
  /** Connection group names per VM kind. */
  groupNames: { dev: string; gpu: string };
  rdp: RdpOptions;
  /** Remove objects NovaStation created that the site no longer declares. */
  prune: boolean;
  /** Plan only: read, list the writes, send none. */
  check: boolean;
  log?: (line: string) => void;
}

export const DEFAULT_RDP: RdpOptions = {
  certPolicy: 'ignore',
  clipboard: 'both',
  drive: false,
  drivePath: '/drive/${GUAC_USERNAME}',
  driveName: 'Shared',
  passThrough: true,
  security: { ubuntu: 'tls', windows: 'nla' },
  disableGfx: false,
  disableAudio: false,
};
