/**
 * The ubuntu-dev role's variables: the desktop (packages, xrdp's TLS and session limits), the
 * firewall, and the development tools, each behind a variable. The users come from the site
 * model (lib/site/), not from here.
 */
import type { RoleVarsSchema } from '../../lib/define.js';
import type { Secret } from '../../lib/secret.js';

export type ToolSource = 'none' | 'distro' | 'repository';

export interface AptRepo {
  /** `https://download.docker.com/linux/ubuntu` */
  uri: string;
  suite: string;
  components: string[];
  /** The repository's signing key (ASCII-armoured or binary OpenPGP), pinned here, not downloaded. */
  key: string;
}

export interface UbuntuDevVars {
  /** The desktop packages: xrdp, xorgxrdp and a light XFCE session by default. */
  desktop_packages: string[];
  /** The command ~/.xsession starts (through /etc/X11/Xsession, which xrdp's startwm.sh runs). */
  desktop_session: string;
  /** xrdp's TLS certificate and key (PEM). Unset: the host's snakeoil pair (ssl-cert). */
  xrdp_tls_cert?: string;
  xrdp_tls_key?: string | Secret;
  /** Controller files holding them, instead of the values. */
  xrdp_tls_cert_file?: string;
  xrdp_tls_key_file?: string;
  /** xrdp's security layer: `tls` (the default here), `negotiate` or `rdp`. */
  xrdp_security_layer: 'tls' | 'negotiate' | 'rdp';
  /** sesman [Sessions]: total sessions on this VM, and what happens to disconnected ones. */
  xrdp_max_sessions: number;
  /** One session per user (`UBC`: user, bpp, connection) or per display size too (`Default`). */
  xrdp_session_policy: 'Default' | 'UBD' | 'UBI' | 'UBC' | 'UBDI' | 'UBDC';
  xrdp_kill_disconnected: boolean;
  /** Seconds a disconnected session is kept (0: for ever). */
  xrdp_disconnected_time_limit: number;
  /** Seconds without input before a session is disconnected (0: never). */
  xrdp_idle_time_limit: number;
  /** nftables: RDP and SSH only from site_gateway_addresses and site_admin_networks. */
  firewall: boolean;
  /** When ufw is active: `leave` it (and write no nftables rules) or `replace` it by ours. */
  firewall_ufw: 'leave' | 'replace';
  /** apt lists older than this (seconds) are refreshed before installing. */
  apt_cache_valid_time: number;
  /** Development tools. `distro`: the distribution's package; `repository`: the vendor's apt repository. */
  dev_docker: ToolSource;
  /** Site users (logins) put in the `docker` group on this VM (root-equivalent: choose with care). */
  dev_docker_users: string[];
  /** Docker's repository; default Docker's own for this distribution (its key must be given). */
  dev_docker_repository?: Partial<AptRepo>;
  /** Node.js: `default` follows the distribution table (NodeSource on Ubuntu 22.04, Debian's on 12). */
  dev_nodejs: ToolSource | 'default';
  dev_nodejs_major: number;
  dev_nodejs_repository?: Partial<AptRepo>;
  dev_git: boolean;
  dev_build_tools: boolean;
}

const repoSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    uri: { type: 'string', pattern: '^https?://' },
    suite: { type: 'string', minLength: 1 },
    components: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    key: {
      type: 'string',
      minLength: 1,
      description: 'The signing key, pinned (never fetched by the role).',
    },
  },
};

export const ubuntuDevSchema: RoleVarsSchema = {
  type: 'object',
  properties: {
    desktop_packages: {
      type: 'array',
      items: { type: 'string', pattern: '^[a-z0-9][a-z0-9+.-]+$' },
      minItems: 1,
      description: 'Desktop packages (xrdp, xorgxrdp and a light XFCE session by default).',
    },
    desktop_session: { type: 'string', minLength: 1, description: 'What ~/.xsession starts.' },
    xrdp_tls_cert: {
      type: 'string',
      pattern: '-----BEGIN CERTIFICATE-----',
      description: 'xrdp TLS certificate (PEM).',
    },
    xrdp_tls_key: { description: 'xrdp TLS private key (PEM), a !secret.' },
    xrdp_tls_cert_file: {
      type: 'string',
      minLength: 1,
      description: 'Controller file with the xrdp certificate.',
    },
    xrdp_tls_key_file: { type: 'string', minLength: 1, description: 'Controller file with the xrdp key.' },
    xrdp_security_layer: { enum: ['tls', 'negotiate', 'rdp'] },
    xrdp_max_sessions: { type: 'integer', minimum: 1, maximum: 1000 },
    xrdp_session_policy: { enum: ['Default', 'UBD', 'UBI', 'UBC', 'UBDI', 'UBDC'] },
    xrdp_kill_disconnected: { type: 'boolean' },
    xrdp_disconnected_time_limit: { type: 'integer', minimum: 0 },
    xrdp_idle_time_limit: { type: 'integer', minimum: 0 },
    firewall: {
      type: 'boolean',
      description: 'Manage the nftables firewall (RDP/SSH from the site addresses only).',
    },
    firewall_ufw: {
      enum: ['leave', 'replace'],
      description: 'An active ufw: leave it alone, or replace it.',
    },
    apt_cache_valid_time: { type: 'integer', minimum: 0 },
    dev_docker: {
      enum: ['none', 'distro', 'repository'],
      description: 'Docker engine: none, docker.io, or Docker’s repository.',
    },
    dev_docker_users: { type: 'array', items: { type: 'string' }, uniqueItems: true },
    dev_docker_repository: repoSchema,
    dev_nodejs: { enum: ['none', 'default', 'distro', 'repository'] },
    dev_nodejs_major: { type: 'integer', minimum: 18, maximum: 40 },
    dev_nodejs_repository: repoSchema,
    dev_git: { type: 'boolean' },
    dev_build_tools: { type: 'boolean' },
  },
  // A vendor repository needs its key pinned in the inventory: the role never downloads one.
  allOf: [
    {
      if: { properties: { dev_docker: { const: 'repository' } }, required: ['dev_docker'] },
      then: {
        required: ['dev_docker_repository'],
        properties: { dev_docker_repository: { required: ['key'] } },
      },
    },
    {
      if: { properties: { dev_nodejs: { const: 'repository' } }, required: ['dev_nodejs'] },
      then: {
        required: ['dev_nodejs_repository'],
        properties: { dev_nodejs_repository: { required: ['key'] } },
      },
    },
  ],
};

export const ubuntuDevDefaults: Partial<UbuntuDevVars> = {
  desktop_packages: [
    'xrdp',
    'xorgxrdp',
    'xfce4-session',
    'xfwm4',
    'xfce4-panel',
    'xfdesktop4',
    'xfce4-terminal',
    'dbus-x11',
  ],
  desktop_session: 'xfce4-session',
  xrdp_security_layer: 'tls',
  xrdp_max_sessions: 50,
  xrdp_session_policy: 'Default',
  xrdp_kill_disconnected: false,
  xrdp_disconnected_time_limit: 0,
  xrdp_idle_time_limit: 0,
  firewall: true,
  firewall_ufw: 'leave',
  apt_cache_valid_time: 3600,
  dev_docker: 'none',
  dev_docker_users: [],
  dev_nodejs: 'none',
  dev_nodejs_major: 22,
  dev_git: true,
  dev_build_tools: false,
};
