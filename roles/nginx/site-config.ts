/**
 * The variables of templates/nginx/site.conf.hbs, from the role's variables and the certificate
 * in use. Every template variable is set (the template is strict): optional ones are false.
 */
import type { NginxVars } from './vars.js';
import { ACME_WEBROOT } from './paths.js';

export interface CertificatePaths {
  certificate: string;
  key: string;
  /** OCSP stapling can work with this certificate (canStaple). */
  stapling: boolean;
}

export function siteConfigVars(v: NginxVars, cert: CertificatePaths): Record<string, unknown> {
  const path = v.nginx_guacamole_path;
  return {
    server_names: v.nginx_server_names,
    ipv6: v.nginx_ipv6,
    acme: v.nginx_tls_source === 'acme',
    acme_webroot: ACME_WEBROOT,
    certificate: cert.certificate,
    certificate_key: cert.key,
    stapling: cert.stapling,
    resolvers: v.nginx_resolvers.length ? v.nginx_resolvers : false,
    hsts_max_age: v.nginx_hsts_max_age,
    hsts_include_subdomains: v.nginx_hsts_include_subdomains,
    client_max_body_size: v.nginx_client_max_body_size,
    path_is_root: path === '/',
    guacamole_path: path,
    guacamole_port: v.nginx_guacamole_port,
    proxy_timeout: v.nginx_proxy_timeout,
    // Guacamole's two tunnel endpoints: <path>websocket-tunnel and <path>tunnel (HTTP).
    tunnel_regex: `${path.replace(/\./g, '\\.')}(websocket-)?tunnel`,
    tunnel_access_log: v.nginx_tunnel_access_log,
    tunnel_log_sampled: v.nginx_tunnel_access_log === 'sampled',
    tunnel_log_sample_percent: v.nginx_tunnel_log_sample_percent,
  };
}
