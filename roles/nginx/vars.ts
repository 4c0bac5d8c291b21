/**
 * The nginx role's variables: a TypeBox schema (checked for every host before any host is
 * touched; also their TypeScript type) and defaults. Values the schema cannot judge (a size nginx
 * finds too large, an unreachable resolver) are caught by `nginx -t` before the config goes live.
 */
import { oneOf, secretString, Type, type Static, type WithDefaults } from '../../lib/define.js';

export type TlsSource = 'files' | 'self-signed' | 'acme';

const HOSTNAME =
  '^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$';
const PEM_CERT = '-----BEGIN CERTIFICATE-----';

export const NginxVarsSchema = Type.Object(
  {
    nginx_server_names: Type.Array(Type.String({ pattern: HOSTNAME }), {
      minItems: 1,
      uniqueItems: true,
      description: 'DNS names of the site; the first is the certificate name.',
    }),
    nginx_guacamole_path: Type.Optional(
      Type.String({
        pattern: '^/([A-Za-z0-9._~-]+/)*$',
        description: 'Path Guacamole is served at, the same as the webapp context (default /guacamole/).',
      }),
    ),
    nginx_guacamole_port: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description: "The Guacamole webapp's port on the gateway's loopback (default 8080).",
      }),
    ),
    nginx_client_max_body_size: Type.Optional(
      Type.String({
        pattern: '^[0-9]+[kKmMgG]?$',
        description: 'Largest upload through Guacamole, nginx size syntax (default 1g).',
      }),
    ),
    nginx_proxy_timeout: Type.Optional(
      Type.String({
        pattern: '^([0-9]+(ms|s|m|h|d|w|M|y)?)+$',
        description: 'Read/send timeout of the tunnel, nginx time syntax (default 1d).',
      }),
    ),
    nginx_tunnel_access_log: Type.Optional(
      oneOf(['off', 'sampled', 'on'], {
        description: 'Access log of tunnel requests: off (default), sampled, or on.',
      }),
    ),
    nginx_tunnel_log_sample_percent: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 100,
        description: 'With sampled: the share of tunnel requests logged, in percent (default 1).',
      }),
    ),
    nginx_tls_source: Type.Optional(
      oneOf(['files', 'self-signed', 'acme'], {
        description: 'Where the certificate comes from: files, self-signed (default), or acme.',
      }),
    ),
    nginx_tls_certificate: Type.Optional(
      Type.String({ pattern: PEM_CERT, description: 'files: the certificate chain, PEM, leaf first.' }),
    ),
    nginx_tls_key: Type.Optional(
      secretString({
        pattern: '-----BEGIN [A-Z ]*PRIVATE KEY-----',
        description: 'files: the private key, PEM: a vault reference (!secret NAME).',
      }),
    ),
    nginx_self_signed_days: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3650,
        description: 'self-signed: validity of a new certificate in days (default 365).',
      }),
    ),
    nginx_self_signed_renew_days: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'self-signed: renewed when it expires within this many days (default 30).',
      }),
    ),
    nginx_acme_server: Type.Optional(
      Type.String({
        pattern: '^https://',
        description: "acme: the ACME directory URL (default Let's Encrypt's).",
      }),
    ),
    nginx_acme_email: Type.Optional(
      Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', description: 'acme: account email.' }),
    ),
    nginx_acme_ca_bundle: Type.Optional(
      Type.String({
        pattern: PEM_CERT,
        description: "acme: PEM of the CA of a private ACME server's HTTPS certificate.",
      }),
    ),
    nginx_hsts_max_age: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Strict-Transport-Security max-age in seconds (default 63072000, two years).',
      }),
    ),
    nginx_hsts_include_subdomains: Type.Optional(
      Type.Boolean({ description: 'HSTS for every subdomain too (default true).' }),
    ),
    nginx_ipv6: Type.Optional(Type.Boolean({ description: 'Listen on IPv6 too (default true).' })),
    nginx_resolvers: Type.Optional(
      Type.Array(Type.String({ pattern: '^[0-9A-Za-z.:\\[\\]-]+$' }), {
        description: 'DNS resolvers for OCSP stapling when the responder is a host name.',
      }),
    ),
  },
  {
    allOf: [
      {
        if: { properties: { nginx_tls_source: { const: 'files' } }, required: ['nginx_tls_source'] },
        then: { required: ['nginx_tls_certificate', 'nginx_tls_key'] },
      },
    ],
  },
);

export const nginxDefaults = {
  nginx_guacamole_path: '/guacamole/',
  nginx_guacamole_port: 8080,
  nginx_client_max_body_size: '1g',
  nginx_proxy_timeout: '1d',
  nginx_tunnel_access_log: 'off',
  nginx_tunnel_log_sample_percent: 1,
  nginx_tls_source: 'self-signed',
  nginx_self_signed_days: 365,
  nginx_self_signed_renew_days: 30,
  nginx_acme_server: 'https://acme-v02.api.letsencrypt.org/directory',
  nginx_hsts_max_age: 63072000,
  nginx_hsts_include_subdomains: true,
  nginx_ipv6: true,
  nginx_resolvers: [] as string[],
} satisfies Partial<Static<typeof NginxVarsSchema>>;

/** What `apply` sees: the declared variables, those with a default always set. */
export type NginxVars = WithDefaults<Static<typeof NginxVarsSchema>, typeof nginxDefaults>;
