/**
 * The `guacamole` role's variables: their types, their JSON Schema (checked for every host before
 * any host is touched) and their defaults. Facts behind the names:
 * ../shared/docs/research/guacamole-nginx-rdp.md §1.
 */

/** Guacamole's release line: the webapp image's environment names changed between them (§1.2). */
export type GuacamoleRelease = '1.5' | '1.6';

export interface OpenIdSettings {
  authorization_endpoint: string;
  jwks_endpoint: string;
  issuer: string;
  client_id: string;
  redirect_uri: string;
  username_claim_type?: string;
  groups_claim_type?: string;
  scope?: string;
}

export interface TotpSettings {
  issuer?: string;
  digits?: 6 | 7 | 8;
  period?: number;
  mode?: 'sha1' | 'sha256' | 'sha512';
}

/** The auth-ban extension's limits (1.6 property names without the `ban-` prefix). */
export interface BanSettings {
  max_invalid_attempts?: number;
  address_duration?: number;
  max_addresses?: number;
}

export interface RecordingSettings {
  /** Recordings older than this many days are deleted daily; 0 keeps them. */
  retention_days: number;
}

export interface RemoteIpValveSettings {
  /** Regex of the proxies whose X-Forwarded-For is trusted; Tomcat's default: private addresses. */
  internal_proxies?: string;
}

export type ServiceName = 'guacd' | 'guacamole' | 'postgres';
export const SERVICES: readonly ServiceName[] = ['guacd', 'postgres', 'guacamole'];

export interface GuacamoleVars {
  /** Guacamole's release line, `1.5` or `1.6`: the webapp image's environment names differ between them. */
  guacamole_release: GuacamoleRelease;
  /** Image references, pinned: `name:tag` or `name:tag@sha256:…`. */
  guacamole_guacd_image: string;
  /** The webapp image, pinned (`name:tag` or `name:tag@sha256:…`). */
  guacamole_webapp_image: string;
  /** The PostgreSQL image, pinned (`name:tag` or `name:tag@sha256:…`). */
  guacamole_postgres_image: string;
  /** The Compose project's folder and name (`-p`). */
  guacamole_dir: string;
  /** The Compose project's name (`docker compose -p`). */
  guacamole_project: string;
  /** The webapp's port on the gateway's loopback (nginx proxies to it). */
  guacamole_http_port: number;
  /** The database's name (the webapp's POSTGRESQL_DATABASE). */
  guacamole_db_name: string;
  /** The database user (its password is the vault's `guacamole_db_password`, generated once). */
  guacamole_db_user: string;
  /**
   * `local`: the role installs and runs the Docker engine. `external`: an engine it does not
   * manage answers on /run/docker.sock (the test hosts: the machine's daemon); the role installs
   * only the client side and masks the packaged daemon's units so none competes with it.
   */
  guacamole_docker_engine: 'local' | 'external';
  /** /etc/docker/daemon.json (local engine only). */
  guacamole_docker_daemon: Record<string, unknown>;
  /** guacd's log level (GUACD_LOG_LEVEL). */
  guacamole_guacd_log_level: 'error' | 'warning' | 'info' | 'debug' | 'trace';
  /** Single sign-on through OpenID Connect (the webapp's OPENID_* settings); unset: no SSO. */
  guacamole_openid?: OpenIdSettings;
  /** TOTP as a second factor (the webapp's TOTP_* settings); unset: none. */
  guacamole_totp?: TotpSettings;
  /** The auth-ban extension's limits on failed logins (1.6 only: refused with 1.5). */
  guacamole_ban?: BanSettings;
  /** Session recordings: a `recordings` volume (guacd writes, the webapp reads), pruned daily by a systemd timer after `retention_days`; unset: no recordings. */
  guacamole_recording?: RecordingSettings;
  /** Tomcat's RemoteIpValve, so Guacamole's history shows the client's address from nginx's X-Forwarded-For: `{}` trusts private addresses, `internal_proxies` a regex of proxies, `false` turns it off. */
  guacamole_remote_ip_valve?: RemoteIpValveSettings | false;
  /** How long to wait for every container to be healthy after `up -d`. */
  guacamole_health_timeout: number;
  /**
   * Extra Compose keys for a service (`guacd`, `guacamole`, `postgres`) that the role does not set
   * itself (`mem_limit`, `logging`, …); checked with the rest before the live project is replaced.
   */
  guacamole_service_overrides: Partial<Record<ServiceName, Record<string, unknown>>>;
}

const str = { type: 'string', minLength: 1 };
const int = (minimum: number, maximum?: number) => ({
  type: 'integer',
  minimum,
  ...(maximum !== undefined ? { maximum } : {}),
});
/** An image reference with a tag (and optionally a digest): never an implicit `latest`. */
const image = {
  type: 'string',
  pattern:
    '^[a-z0-9][a-z0-9._/-]*(:[0-9]+)?(/[a-z0-9._-]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?$',
};

export const guacamoleVarsSchema = {
  type: 'object',
  properties: {
    guacamole_release: { enum: ['1.5', '1.6'] },
    guacamole_guacd_image: image,
    guacamole_webapp_image: image,
    guacamole_postgres_image: image,
    guacamole_dir: { type: 'string', pattern: '^/[A-Za-z0-9._/-]+$' },
    guacamole_project: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' },
    guacamole_http_port: int(1, 65535),
    guacamole_db_name: { type: 'string', pattern: '^[a-z_][a-z0-9_]*$' },
    guacamole_db_user: { type: 'string', pattern: '^[a-z_][a-z0-9_]*$' },
    guacamole_docker_engine: { enum: ['local', 'external'] },
    guacamole_docker_daemon: { type: 'object' },
    guacamole_guacd_log_level: { enum: ['error', 'warning', 'info', 'debug', 'trace'] },
    guacamole_openid: {
      type: 'object',
      properties: {
        authorization_endpoint: { type: 'string', pattern: '^https://' },
        jwks_endpoint: { type: 'string', pattern: '^https://' },
        issuer: str,
        client_id: str,
        redirect_uri: { type: 'string', pattern: '^https://' },
        username_claim_type: str,
        groups_claim_type: str,
        scope: str,
      },
      required: ['authorization_endpoint', 'jwks_endpoint', 'issuer', 'client_id', 'redirect_uri'],
      additionalProperties: false,
    },
    guacamole_totp: {
      type: 'object',
      properties: {
        issuer: str,
        digits: { enum: [6, 7, 8] },
        period: int(1),
        mode: { enum: ['sha1', 'sha256', 'sha512'] },
      },
      additionalProperties: false,
    },
    guacamole_ban: {
      type: 'object',
      properties: {
        max_invalid_attempts: int(1),
        address_duration: int(1),
        max_addresses: int(1),
      },
      additionalProperties: false,
    },
    guacamole_recording: {
      type: 'object',
      properties: { retention_days: int(0) },
      required: ['retention_days'],
      additionalProperties: false,
    },
    guacamole_remote_ip_valve: {
      oneOf: [
        { const: false },
        {
          type: 'object',
          properties: { internal_proxies: str },
          additionalProperties: false,
        },
      ],
    },
    guacamole_health_timeout: int(10),
    guacamole_service_overrides: {
      type: 'object',
      properties: {
        guacd: { type: 'object' },
        guacamole: { type: 'object' },
        postgres: { type: 'object' },
      },
      additionalProperties: false,
    },
  },
  required: ['guacamole_webapp_image', 'guacamole_guacd_image', 'guacamole_postgres_image'],
  // The ban extension's limits exist as variables only in 1.6 (1.5 maps a fixed list: §1.2).
  if: { required: ['guacamole_ban'] },
  then: { properties: { guacamole_release: { enum: ['1.6'] } } },
} as const;

export const guacamoleDefaults: Partial<GuacamoleVars> = {
  guacamole_release: '1.6',
  guacamole_guacd_image: 'guacamole/guacd:1.6.0',
  guacamole_webapp_image: 'guacamole/guacamole:1.6.0',
  guacamole_postgres_image: 'postgres:16',
  guacamole_dir: '/opt/guacamole',
  guacamole_project: 'guacamole',
  guacamole_http_port: 8080,
  guacamole_db_name: 'guacamole_db',
  guacamole_db_user: 'guacamole_user',
  guacamole_docker_engine: 'local',
  guacamole_docker_daemon: {
    'log-driver': 'json-file',
    'log-opts': { 'max-size': '10m', 'max-file': '3' },
    'live-restore': true,
  },
  guacamole_guacd_log_level: 'info',
  guacamole_remote_ip_valve: {},
  guacamole_health_timeout: 180,
  guacamole_service_overrides: {},
};
