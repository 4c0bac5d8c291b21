/**
 * `nginx`: the HTTPS front door of the gateway. nginx from the distribution; one site rendered
 * from templates/nginx/site.conf.hbs: port 80 redirects (and answers ACME challenges), port 443
 * serves Mozilla's "intermediate" TLS and proxies Guacamole on the loopback with what its tunnel
 * needs (WebSocket upgrade, no buffering, long timeouts, the client's address). The certificate
 * comes from files (key from the vault), is self-signed on the host, or comes from ACME (certbot).
 *
 * Safe changes: every file nginx reads is checked with `nginx -t` of the whole configuration with
 * the candidate in place before it replaces the live one (candidate-test.ts); a failing test
 * leaves the live files and the running server as they were and fails the task with nginx's own
 * message. nginx is reloaded once, at the end, only when something changed.
 */
import { defineRole, type RoleContext } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import {
  absent,
  apt,
  converge,
  directory,
  file,
  symlink,
  systemd,
  systemdDropin,
  template,
} from '../../tasks/index.js';
import { acmeCertificateResource } from './acme.js';
import { nginxCandidateTest, withNginxMessage } from './candidate-test.js';
import { canStaple, certificateChain, keyAndChain } from './certificate-files.js';
import * as paths from './paths.js';
import { selfSignedResource } from './self-signed.js';
import { siteConfigVars, type CertificatePaths } from './site-config.js';
import { nginxDefaults, NginxVarsSchema, type NginxVars } from './vars.js';

export type { NginxVars } from './vars.js';

export const nginx = defineRole({
  name: 'nginx',
  tags: ['nginx'],
  vars: NginxVarsSchema,
  defaults: nginxDefaults,
  handlers: {
    // Only reached when the new files passed `nginx -t`; a reload keeps open tunnels alive.
    'reload nginx': ({ host }) => systemd(host, { unit: 'nginx', state: 'reloaded' }),
  },
  async apply({ host, vars, task }) {
    const source = vars.nginx_tls_source;
    const names = vars.nginx_server_names;
    // A chain that cannot be read fails here, before anything on the host is touched.
    const chain = source === 'files' ? certificateChain(vars.nginx_tls_certificate!) : [];

    let packageOnlyPlanned = false;
    await task('packages', async () => {
      const outcome = await apt(host, { packages: packagesFor(source) });
      // In check mode on a host without nginx, plan against what the package will leave (Debian's
      // default site enabled, the service running) instead of an empty /etc/nginx.
      packageOnlyPlanned = host.check && (outcome.changes ?? []).some((l) => l.includes('package nginx '));
      return outcome;
    });

    await task('nginx running', async () =>
      packageOnlyPlanned
        ? { changed: false, message: 'check mode: the nginx package starts and enables it' }
        : systemd(host, { unit: 'nginx', enabled: true, state: 'started' }),
    );
    await task(
      'default site removed',
      async () =>
        packageOnlyPlanned
          ? { changed: true, changes: [`absent ${paths.DEFAULT_SITE}: ${DEBIAN_DEFAULT_SITE}`] }
          : absent(host, { path: paths.DEFAULT_SITE }),
      { notify: 'reload nginx' },
    );
    await task('TLS folder', () =>
      directory(host, { path: paths.TLS_DIR, mode: '0700', owner: 'root', group: 'root' }),
    );

    const selfSigned = (path: string) =>
      selfSignedResource({
        path,
        names,
        days: vars.nginx_self_signed_days,
        renewDays: vars.nginx_self_signed_renew_days,
      });
    const site = (cert: CertificatePaths) =>
      withNginxMessage(
        template(host, {
          path: paths.SITE_AVAILABLE,
          src: 'nginx/site.conf.hbs',
          vars: siteConfigVars(vars, cert),
          mode: '0644',
          validate: nginxCandidateTest(paths.SITE_AVAILABLE, paths.SITE_ENABLED),
        }),
      );
    const enable = () => symlink(host, { path: paths.SITE_ENABLED, target: paths.SITE_AVAILABLE });

    let cert: CertificatePaths;
    if (source === 'files') {
      await task(
        'certificate and key',
        () =>
          withNginxMessage(
            file(host, {
              path: paths.FILES_PEM,
              content: keyAndChain(vars.nginx_tls_key!, vars.nginx_tls_certificate!),
              mode: '0600',
              owner: 'root',
              group: 'root',
              validate: nginxCandidateTest(paths.FILES_PEM),
            }),
          ),
        { notify: 'reload nginx' },
      );
      cert = { certificate: paths.FILES_PEM, key: paths.FILES_PEM, stapling: canStaple(chain) };
    } else if (source === 'self-signed') {
      await task('self-signed certificate', () => converge(host, selfSigned(paths.SELF_SIGNED_PEM)), {
        notify: 'reload nginx',
      });
      cert = { certificate: paths.SELF_SIGNED_PEM, key: paths.SELF_SIGNED_PEM, stapling: false };
    } else {
      await acmeTasks(host, vars, task, {
        // Until the first ACME certificate exists, HTTPS is served with a self-signed stand-in and
        // port 80 answers the challenge: the CA must reach the site before it can certify it.
        bootstrap: async () => {
          await task('stand-in certificate until ACME issues one', () =>
            converge(host, selfSigned(paths.SELF_SIGNED_PEM)),
          );
          await task('site config with the stand-in certificate', () =>
            site({ certificate: paths.SELF_SIGNED_PEM, key: paths.SELF_SIGNED_PEM, stapling: false }),
          );
          await task('site enabled for the challenge', enable);
          await task('nginx answers the challenge', () =>
            systemd(host, { unit: 'nginx', state: 'reloaded' }),
          );
        },
      });
      const live = paths.acmeLive(names[0]!);
      // Let's Encrypt's certificates name no OCSP responder since 2025; another ACME CA's may.
      const issued = await host.readFile(`${live}/fullchain.pem`);
      const stapling = issued ? canStaple(certificateChain(issued.toString('utf8'))) : false;
      cert = { certificate: `${live}/fullchain.pem`, key: `${live}/privkey.pem`, stapling };
    }

    await task('site config', () => site(cert), { notify: 'reload nginx' });
    await task('site enabled', enable, { notify: 'reload nginx' });
  },
});

type TaskFn = RoleContext<NginxVars>['task'];

/** certbot, its trust of a private ACME CA, the renewal hook, and the first certificate. */
async function acmeTasks(
  host: Host,
  vars: NginxVars,
  task: TaskFn,
  hooks: { bootstrap: () => Promise<void> },
): Promise<void> {
  const caBundle = vars.nginx_acme_ca_bundle;
  await task('ACME webroot', () => directory(host, { path: paths.ACME_WEBROOT, mode: '0755' }));
  if (caBundle) {
    await task('private ACME CA for certbot', () =>
      file(host, { path: paths.ACME_CA_BUNDLE, content: caBundle, mode: '0644' }),
    );
    await task('certbot renewals trust the private ACME CA', () =>
      systemdDropin(host, {
        unit: 'certbot.service',
        name: 'novastation-acme-ca',
        settings: { Service: { Environment: `REQUESTS_CA_BUNDLE=${paths.ACME_CA_BUNDLE}` } },
      }),
    );
  }
  await task('renewal hooks folder', () =>
    directory(host, { path: paths.ACME_DEPLOY_HOOK.replace(/\/[^/]+$/, ''), mode: '0755' }),
  );
  await task('reload nginx after each renewal', () =>
    file(host, {
      path: paths.ACME_DEPLOY_HOOK,
      content:
        '#!/bin/sh\n# Installed by NovaStation (role nginx): serve a renewed certificate from now on.\nexec systemctl reload nginx\n',
      mode: '0755',
    }),
  );
  const acme = acmeCertificateResource({
    names: vars.nginx_server_names,
    server: vars.nginx_acme_server,
    ...(vars.nginx_acme_email ? { email: vars.nginx_acme_email } : {}),
    caBundle: caBundle !== undefined,
  });
  if (!(await acme.read(host)).exists) await hooks.bootstrap();
  await task('ACME certificate', () => converge(host, acme), { notify: 'reload nginx' });
}

function packagesFor(source: NginxVars['nginx_tls_source']): string[] {
  // openssl: the self-signed certificate and certificate checks; certbot: ACME.
  return source === 'acme' ? ['nginx', 'openssl', 'certbot'] : ['nginx', 'openssl'];
}

/** The change `absent` reports for the default site Debian's and Ubuntu's nginx package enables. */
const DEBIAN_DEFAULT_SITE = 'state symlink → /etc/nginx/sites-available/default → absent';
