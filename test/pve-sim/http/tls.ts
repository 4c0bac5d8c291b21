/**
 * A self-signed certificate made at start with the `openssl` CLI (Debian's openssl, as on a PVE
 * node, whose pveproxy certificate is also self-signed unless replaced), and its SHA-256
 * fingerprint in the `AA:BB:…` form Proxmox shows (Datacenter → node → Certificates).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SimCertificate {
  certPem: string;
  keyPem: string;
  fingerprint: string;
}

export function makeCertificate(host: string): SimCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'pve-sim-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const san = /^[\d.]+$/.test(host) ? `IP:${host},DNS:localhost` : `DNS:${host},DNS:localhost,IP:127.0.0.1`;
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '30',
        '-subj',
        '/CN=pve1.pve-sim/O=PVE Cluster Node/OU=PVE Simulator',
        '-addext',
        `subjectAltName=${san}`,
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const certPem = readFileSync(cert, 'utf8');
    return {
      certPem,
      keyPem: readFileSync(key, 'utf8'),
      fingerprint: new X509Certificate(certPem).fingerprint256,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
