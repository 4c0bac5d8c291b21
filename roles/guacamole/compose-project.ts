/**
 * The Compose project as data: each service's environment under the names its image reads (they
 * changed between Guacamole 1.5 and 1.6: research §1.2), and the secrets file. Rendered by
 * templates/guacamole/docker-compose.yml.hbs; nothing here touches a host.
 */
import { secret, type Secret } from '../../lib/secret.js';
import { renderTemplate } from '../../tasks/files/template.js';
import type { GuacamoleVars, ServiceName } from './vars.js';

export const COMPOSE_TEMPLATE = 'guacamole/docker-compose.yml.hbs';
export const RECORDINGS = '/var/lib/guacamole/recordings';

type Env = Record<string, string>;

/** Compose interpolates `$` in the file: `$$` is a literal dollar sign. */
const literal = (value: string | number | boolean) => String(value).replace(/\$/g, '$$$$');

function guacdEnv(v: GuacamoleVars): Env {
  // 1.6 reads LOG_LEVEL (GUACD_LOG_LEVEL is deprecated there); 1.5 only GUACD_LOG_LEVEL.
  return { [v.guacamole_release === '1.6' ? 'LOG_LEVEL' : 'GUACD_LOG_LEVEL']: v.guacamole_guacd_log_level };
}

function postgresEnv(v: GuacamoleVars): Env {
  return { POSTGRES_DB: v.guacamole_db_name, POSTGRES_USER: v.guacamole_db_user };
}

function webappEnv(v: GuacamoleVars): Env {
  const is16 = v.guacamole_release === '1.6';
  const env: Env = {
    GUACD_HOSTNAME: 'guacd',
    POSTGRESQL_HOSTNAME: 'postgres',
    POSTGRESQL_DATABASE: v.guacamole_db_name,
    // The one database name that differs: 1.6 renamed the user property to -username.
    [is16 ? 'POSTGRESQL_USERNAME' : 'POSTGRESQL_USER']: v.guacamole_db_user,
  };
  const valve = v.guacamole_remote_ip_valve;
  if (valve) {
    env.REMOTE_IP_VALVE_ENABLED = 'true';
    if (valve.internal_proxies)
      env[is16 ? 'REMOTE_IP_VALVE_INTERNAL_PROXIES' : 'PROXY_ALLOWED_IPS_REGEX'] = valve.internal_proxies;
  }
  const oidc = v.guacamole_openid;
  if (oidc) for (const [key, value] of Object.entries(oidc)) env[`OPENID_${key.toUpperCase()}`] = value;
  const totp = v.guacamole_totp;
  if (totp) {
    env.TOTP_ENABLED = 'true';
    for (const [key, value] of Object.entries(totp)) env[`TOTP_${key.toUpperCase()}`] = String(value);
  }
  const ban = v.guacamole_ban; // 1.6 only (the schema refuses it with 1.5)
  if (ban) for (const [key, value] of Object.entries(ban)) env[`BAN_${key.toUpperCase()}`] = String(value);
  if (v.guacamole_recording) env.RECORDING_SEARCH_PATH = RECORDINGS;
  return Object.fromEntries(Object.entries(env).map(([k, value]) => [k, literal(value)]));
}

export function composeTemplateVars(v: GuacamoleVars): Record<string, unknown> {
  const overrides = v.guacamole_service_overrides;
  const none: Record<ServiceName, Record<string, unknown>> = { guacd: {}, guacamole: {}, postgres: {} };
  return {
    project: v.guacamole_project,
    images: {
      guacd: v.guacamole_guacd_image,
      postgres: v.guacamole_postgres_image,
      webapp: v.guacamole_webapp_image,
    },
    env: { guacd: guacdEnv(v), postgres: postgresEnv(v), guacamole: webappEnv(v) },
    publish: `127.0.0.1:${v.guacamole_http_port}:8080`,
    recording: v.guacamole_recording !== undefined,
    pgReady: `pg_isready -q -h 127.0.0.1 -U ${v.guacamole_db_user} -d ${v.guacamole_db_name}`,
    // The webapp image has bash but no promise of curl or wget: HTTP by hand over /dev/tcp.
    webappReady:
      'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /guacamole/api/languages HTTP/1.0\\r\\n\\r\\n" >&3 && head -n1 <&3 | grep -q " 200 "',
    overrides: { ...none, ...overrides },
  };
}

export function renderCompose(v: GuacamoleVars): string {
  return renderTemplate(COMPOSE_TEMPLATE, composeTemplateVars(v));
}

/**
 * secrets.env: read by Compose for the webapp and PostgreSQL. Compose's env-file parsing of quotes
 * and `$` differs between v1 and v2, so only values that need no quoting are accepted.
 */
export function secretsEnv(dbPassword: Secret): Secret {
  const pw = dbPassword.reveal();
  if (!/^[A-Za-z0-9._~+-]{16,}$/.test(pw))
    throw new Error(
      'guacamole: the vault entry guacamole_db_password must be at least 16 characters of A–Z a–z 0–9 . _ ~ + - (it goes into an env file unquoted)',
    );
  return secret(`POSTGRES_PASSWORD=${pw}\nPOSTGRESQL_PASSWORD=${pw}\n`);
}
