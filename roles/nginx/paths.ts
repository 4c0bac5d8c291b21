/** Where the nginx role keeps things on the gateway (Debian/Ubuntu layout). */
export const SITE_NAME = 'novastation-guacamole';
export const SITE_AVAILABLE = `/etc/nginx/sites-available/${SITE_NAME}`;
export const SITE_ENABLED = `/etc/nginx/sites-enabled/${SITE_NAME}`;
export const DEFAULT_SITE = '/etc/nginx/sites-enabled/default';
/** Certificates with their keys (0700, files 0600): one PEM each, key and chain together. */
export const TLS_DIR = '/etc/nginx/tls';
export const FILES_PEM = `${TLS_DIR}/site.pem`;
export const SELF_SIGNED_PEM = `${TLS_DIR}/self-signed.pem`;
/** ACME http-01 answers (certbot's webroot). */
export const ACME_WEBROOT = '/var/www/novastation-acme';
export const ACME_CA_BUNDLE = '/etc/letsencrypt/novastation-acme-ca.pem';
export const ACME_DEPLOY_HOOK = '/etc/letsencrypt/renewal-hooks/deploy/novastation-nginx-reload';
export const acmeLive = (name: string) => `/etc/letsencrypt/live/${name}`;
