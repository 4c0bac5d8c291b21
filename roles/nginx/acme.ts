/**
 * The `acme` certificate source: a certificate from an ACME CA through Debian's certbot, answering
 * http-01 challenges from nginx's port 80 (webroot), renewed by certbot's own timer; a deploy hook
 * reloads nginx after each renewal (acme-files.ts writes it). This resource issues the first
 * certificate, and a new one when the DNS names change; renewals are certbot's.
 */
import type { Change, Resource } from '../../lib/resource.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { ACME_CA_BUNDLE, ACME_WEBROOT, acmeLive } from './paths.js';
import { dnsNames } from './san.js';

export interface AcmeOptions {
  names: string[];
  server: string;
  email?: string;
  /** Trust this CA file for the ACME server's HTTPS (a private ACME CA). */
  caBundle: boolean;
}

interface AcmeState {
  exists: boolean;
  names: string[];
}

export function acmeCertificateResource(o: AcmeOptions): Resource<AcmeState> {
  const name = o.names[0]!;
  const live = acmeLive(name);
  const wanted = [...o.names].sort().join(',');
  return {
    id: `acme certificate ${name}`,
    async read(host) {
      const f = quotePosix(`${live}/fullchain.pem`);
      const r = await host.probe({ nothrow: true })`sh -c ${[
        `if [ ! -f ${f} ]; then echo missing; exit 0; fi`,
        `echo present; openssl x509 -in ${f} -noout -ext subjectAltName 2>/dev/null | tail -n +2`,
      ].join('\n')}`;
      if (r.exitCode !== 0) throw new Error(`${live}: cannot read the certificate: ${r.stderr.trim()}`);
      const [first, ...rest] = r.stdout.trim().split('\n');
      const names = dnsNames(rest);
      return { exists: first === 'present', names };
    },
    plan(current): Change[] {
      if (!current.exists)
        return [{ field: 'certificate', to: `issued by ${o.server} for ${o.names.join(', ')}` }];
      const have = [...current.names].sort().join(',');
      return have === wanted ? [] : [{ field: 'names', from: have, to: wanted }];
    },
    async apply(host) {
      const argv = [
        'certbot',
        'certonly',
        '--non-interactive',
        '--agree-tos',
        '--webroot',
        '--webroot-path',
        ACME_WEBROOT,
        '--cert-name',
        name,
        '--server',
        o.server,
        ...(o.email ? ['--email', o.email] : ['--register-unsafely-without-email']),
        ...o.names.flatMap((n) => ['-d', n]),
      ];
      // certbot trusts the system CAs (python3-requests); a private ACME CA is trusted via REQUESTS_CA_BUNDLE.
      const env = o.caBundle ? `REQUESTS_CA_BUNDLE=${ACME_CA_BUNDLE} ` : '';
      const r = await host.$({ nothrow: true })`sh -c ${`${env}exec "$@"`} certbot ${argv}`;
      if (r.exitCode !== 0)
        throw new Error(
          `certbot could not get a certificate for ${o.names.join(', ')}:\n${(r.stderr || r.stdout).trim()}`,
        );
    },
  };
}
