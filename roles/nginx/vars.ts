/**
 * The nginx role's variables: their TypeScript shape, JSON Schema (checked for every host before
 * any host is touched) and defaults. Values the schema cannot judge (a size nginx finds too
 * large, an unreachable resolver) are caught by `nginx -t` before the config goes live.
 */
import type { Secret } from '../../lib/secret.js';

export type TlsSource = 'files' | 'self-signed' | 'acme';

export interface NginxVars {
  /** DNS names of the site; the first is the certificate's name (and ACME's cert name). */
  nginx_server_names: string[];
  /** Where Guacamole is served, the same path as the webapp's (`/guacamole/`). */
  nginx_guacamole_path: string;
  /** The webapp's port on the gateway's loopback. */
  nginx_guacamole_port: number;
  /** Largest request body (file upload through Guacamole), nginx size syntax. */
  nginx_client_max_body_size: string;
  /** Read and send timeout of the proxied tunnel (an idle desktop must stay connected). */
  nginx_proxy_timeout: string;
  /** Access log of the tunnel requests: off, sampled, or on. */
  nginx_tunnel_access_log: 'off' | 'sampled' | 'on';
  nginx_tunnel_log_sample_percent: number;
  nginx_tls_source: TlsSource;
  /** files: the certificate chain, PEM, leaf first. */
  nginx_tls_certificate?: string;
  /** files: the private key, PEM, from the vault. */
  nginx_tls_key?: Secret | string;
  nginx_self_signed_days: number;
  nginx_self_signed_renew_days: number;
  nginx_acme_server: string;
  nginx_acme_email?: string;
  /** PEM of the CA that signed the ACME server's own HTTPS certificate (a private ACME CA). */
  nginx_acme_ca_bundle?: string;
  nginx_hsts_max_age: number;
  nginx_hsts_include_subdomains: boolean;
  nginx_ipv6: boolean;
  /** DNS resolvers for OCSP stapling when the responder is named by a host name. */
  nginx_resolvers: string[];
}

const HOSTNAME =
  '^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$';
const PEM_CERT = '-----BEGIN CERTIFICATE-----';

export const nginxVarsSchema = {
  type: 'object' as const,
  properties: {
    nginx_server_names: {
      type: 'array',
      items: { type: 'string', pattern: HOSTNAME },
      minItems: 1,
      uniqueItems: true,
      description: 'DNS names of the site; the first is the certificate name.',
    },
    nginx_guacamole_path: {
      type: 'string',
      pattern: '^/([A-Za-z0-9._~-]+/)*$',
      description: 'Path Guacamole is served at, the same as the webapp context (default /guacamole/).',
    },
    nginx_guacamole_port: {
      type: 'integer',
      minimum: 1,
      maximum: 65535,
      description: "The Guacamole webapp's port on the gateway's loopback (default 8080).",
    },
    nginx_client_max_body_size: {
      type: 'string',
      pattern: '^[0-9]+[kKmMgG]?$',
      description: 'Largest upload through Guacamole, nginx size syntax (default 1g).',
    },
    nginx_proxy_timeout: {
      type: 'string',
      pattern: '^([0-9]+(ms|s|m|h|d|w|M|y)?)+$',
      description: 'Read/send timeout of the tunnel, nginx time syntax (default 1d).',
    },
    nginx_tunnel_access_log: {
      enum: ['off', 'sampled', 'on'],
      description: 'Access log of tunnel requests: off (default), sampled, or on.',
    },
    nginx_tunnel_log_sample_percent: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 100,
      description: 'With sampled: the share of tunnel requests logged, in percent (default 1).',
    },
    nginx_tls_source: {
      enum: ['files', 'self-signed', 'acme'],
      description: 'Where the certificate comes from: files, self-signed (default), or acme.',
    },
    nginx_tls_certificate: {
      type: 'string',
      pattern: PEM_CERT,
      description: 'files: the certificate chain, PEM, leaf first.',
    },
    nginx_tls_key: {
      type: 'string',
      pattern: '-----BEGIN [A-Z ]*PRIVATE KEY-----',
      description: 'files: the private key, PEM: a vault reference (!secret NAME).',
    },
    nginx_self_signed_days: {
      type: 'integer',
      minimum: 1,
      maximum: 3650,
      description: 'self-signed: validity of a new certificate in days (default 365).',
    },
    nginx_self_signed_renew_days: {
      type: 'integer',
      minimum: 0,
      description: 'self-signed: renewed when it expires within this many days (default 30).',
    },
    nginx_acme_server: {
      type: 'string',
      pattern: '^https://',
      description: "acme: the ACME directory URL (default Let's Encrypt's).",
    },
    nginx_acme_email: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$', description: 'acme: account email.' },
    nginx_acme_ca_bundle: {
      type: 'string',
      pattern: PEM_CERT,
      description: "acme: PEM of the CA of a private ACME server's HTTPS certificate.",
    },
    nginx_hsts_max_age: {
      type: 'integer',
      minimum: 0,
      description: 'Strict-Transport-Security max-age in seconds (default 63072000, two years).',
    },
    nginx_hsts_include_subdomains: {
      type: 'boolean',
      description: 'HSTS for every subdomain too (default true).',
    },
    nginx_ipv6: { type: 'boolean', description: 'Listen on IPv6 too (default true).' },
    nginx_resolvers: {
      type: 'array',
      items: { type: 'string', pattern: '^[0-9A-Za-z.:\\[\\]-]+$' },
      description: 'DNS resolvers for OCSP stapling when the responder is a host name.',
    },
  },
  required: ['nginx_server_names'],
  allOf: [
    {
      if: { properties: { nginx_tls_source: { const: 'files' } }, required: ['nginx_tls_source'] },
      then: { required: ['nginx_tls_certificate', 'nginx_tls_key'] },
    },
  ],
};

export const nginxDefaults: Partial<NginxVars> = {
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
  nginx_resolvers: [],
};
