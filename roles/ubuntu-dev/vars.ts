/**
 * The ubuntu-dev role's variables: the desktop (packages, xrdp's TLS and session limits), the
 * firewall, and the development tools, each behind a variable. The users come from the site
 * model (lib/site/), not from here.
 */
import { oneOf, secretString, Type, type Static, type WithDefaults } from '../../lib/define.js';

const repository = (what: string) =>
  Type.Optional(
    Type.Object(
      {
        uri: Type.Optional(Type.String({ pattern: '^https?://' })),
        suite: Type.Optional(Type.String({ minLength: 1 })),
        components: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
        key: Type.Optional(
          Type.String({ minLength: 1, description: 'The signing key, pinned (never fetched by the role).' }),
        ),
      },
      { additionalProperties: false, description: `${what}'s apt repository (default: the vendor's own).` },
    ),
  );

export const ubuntuDevSchema = Type.Object(
  {
    desktop_packages: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9+.-]+$' }), {
        minItems: 1,
        description: 'Desktop packages (xrdp, xorgxrdp and a light XFCE session by default).',
      }),
    ),
    desktop_session: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'What ~/.xsession starts (through /etc/X11/Xsession, which xrdp runs).',
      }),
    ),
    xrdp_tls_cert: Type.Optional(
      Type.String({ pattern: '-----BEGIN CERTIFICATE-----', description: 'xrdp TLS certificate (PEM).' }),
    ),
    xrdp_tls_key: Type.Optional(secretString({ description: 'xrdp TLS private key (PEM), a !secret.' })),
    xrdp_tls_cert_file: Type.Optional(
      Type.String({ minLength: 1, description: 'Controller file with the xrdp certificate.' }),
    ),
    xrdp_tls_key_file: Type.Optional(
      Type.String({ minLength: 1, description: 'Controller file with the xrdp key.' }),
    ),
    xrdp_security_layer: Type.Optional(
      oneOf(['tls', 'negotiate', 'rdp'], { description: "xrdp's security layer." }),
    ),
    xrdp_max_sessions: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'sesman MaxSessions: sessions on this VM.' }),
    ),
    xrdp_session_policy: Type.Optional(
      oneOf(['Default', 'UBD', 'UBI', 'UBC', 'UBDI', 'UBDC'], {
        description:
          'sesman Policy: when a user gets their existing session back (UBC: one per user and connection type).',
      }),
    ),
    xrdp_kill_disconnected: Type.Optional(Type.Boolean({ description: 'End disconnected sessions.' })),
    xrdp_disconnected_time_limit: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Seconds a disconnected session is kept (0: for ever).' }),
    ),
    xrdp_idle_time_limit: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Seconds without input before a disconnect (0: never).' }),
    ),
    firewall: Type.Optional(
      Type.Boolean({ description: 'Manage the nftables firewall (RDP/SSH from the site addresses only).' }),
    ),
    firewall_ufw: Type.Optional(
      oneOf(['leave', 'replace'], { description: 'An active ufw: leave it alone, or replace it.' }),
    ),
    apt_cache_valid_time: Type.Optional(
      Type.Integer({ minimum: 0, description: 'apt lists older than this (seconds) are refreshed.' }),
    ),
    dev_docker: Type.Optional(
      oneOf(['none', 'distro', 'repository'], {
        description: 'Docker engine: none, docker.io, or Docker’s repository.',
      }),
    ),
    dev_docker_users: Type.Optional(
      Type.Array(Type.String(), {
        uniqueItems: true,
        description: 'Site users put in the docker group (root-equivalent).',
      }),
    ),
    dev_docker_repository: repository('Docker'),
    dev_nodejs: Type.Optional(
      oneOf(['none', 'default', 'distro', 'repository'], {
        description: 'Node.js: default is NodeSource on Ubuntu 22.04, the distribution’s on Debian 12.',
      }),
    ),
    dev_nodejs_major: Type.Optional(
      Type.Integer({ minimum: 18, maximum: 40, description: 'Node.js major (NodeSource).' }),
    ),
    dev_nodejs_repository: repository('NodeSource'),
    dev_git: Type.Optional(Type.Boolean({ description: 'Install git.' })),
    dev_build_tools: Type.Optional(Type.Boolean({ description: 'Install build-essential.' })),
  },
  {
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
  },
);

/** A vendor repository's settings (`dev_docker_repository`, `dev_nodejs_repository`). */
export interface AptRepo {
  uri: string;
  suite: string;
  components: string[];
  /** The repository's signing key (ASCII-armoured or binary OpenPGP), pinned here, not downloaded. */
  key: string;
}

export const ubuntuDevDefaults = {
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
} satisfies Partial<Static<typeof ubuntuDevSchema>>;

/** The variables as `apply` sees them: the schema's, with the defaults filled in. */
export type UbuntuDevVars = WithDefaults<Static<typeof ubuntuDevSchema>, typeof ubuntuDevDefaults>;
