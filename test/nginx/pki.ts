/**
 * The test CA, made with the machine's openssl: a root, an intermediate, and leaf certificates
 * signed by the intermediate — the gateway's (for the name the clients use, naming an OCSP
 * responder on the machine) and pebble's HTTPS listener's (for the bridge address). The
 * intermediate also signs OCSP answers (`openssl ocsp` as the responder; ocsp-index.txt is its
 * database). Keys are EC P-256.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface TestPki {
  dir: string;
  rootPem: string;
  rootFile: string;
  intermediateFile: string;
  intermediateKeyFile: string;
  /** Leaf + intermediate, PEM. */
  chainPem: string;
  /** The leaf alone (the OCSP responder's readiness query asks about it). */
  leafFile: string;
  keyPem: string;
  /** For pebble's HTTPS listener on the bridge address. */
  pebbleCertFile: string;
  pebbleKeyFile: string;
  ocspIndexFile: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await exec('openssl', args, { cwd: dir });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function makeTestPki(
  dir: string,
  name: string,
  bridgeIp: string,
  ocspUrl: string,
): Promise<TestPki> {
  const ext = (file: string, text: string) => writeFileSync(join(dir, file), text);
  ext(
    'ca.ext',
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n',
  );
  ext(
    'leaf.ext',
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=DNS:${name}`,
      `authorityInfoAccess=OCSP;URI:${ocspUrl}`,
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  ext(
    'pebble.ext',
    `basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:${bridgeIp}\n`,
  );
  await openssl(dir, [
    'req',
    '-x509',
    ...EC,
    '-days',
    '365',
    '-subj',
    '/CN=NovaStation nginx test root',
    '-keyout',
    'root.key',
    '-out',
    'root.pem',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl(dir, [
    'req',
    ...EC,
    '-subj',
    '/CN=NovaStation nginx test intermediate',
    '-keyout',
    'inter.key',
    '-out',
    'inter.csr',
  ]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'inter.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-set_serial',
    '0x1001',
    '-days',
    '365',
    '-extfile',
    'ca.ext',
    '-out',
    'inter.pem',
  ]);
  await openssl(dir, ['req', ...EC, '-subj', `/CN=${name}`, '-keyout', 'leaf.key', '-out', 'leaf.csr']);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'inter.pem',
    '-CAkey',
    'inter.key',
    '-set_serial',
    '0x2001',
    '-days',
    '90',
    '-extfile',
    'leaf.ext',
    '-out',
    'leaf.pem',
  ]);
  await openssl(dir, ['req', ...EC, '-subj', '/CN=pebble', '-keyout', 'pebble.key', '-out', 'pebble.csr']);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'pebble.csr',
    '-CA',
    'inter.pem',
    '-CAkey',
    'inter.key',
    '-set_serial',
    '0x2002',
    '-days',
    '90',
    '-extfile',
    'pebble.ext',
    '-out',
    'pebble-leaf.pem',
  ]);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  writeFileSync(join(dir, 'pebble.pem'), read('pebble-leaf.pem') + read('inter.pem'));
  // The responder's database: the leaf is valid (V), its serial and subject as openssl ca writes them.
  const { stdout: end } = await exec('openssl', [
    'x509',
    '-in',
    join(dir, 'leaf.pem'),
    '-noout',
    '-enddate',
    '-dateopt',
    'iso_8601',
  ]);
  const expiry =
    end
      .trim()
      .replace(/^notAfter=/, '')
      .replace(/[-: ]/g, '')
      .slice(2, 14) + 'Z';
  writeFileSync(join(dir, 'ocsp-index.txt'), `V\t${expiry}\t\t2001\tunknown\t/CN=${name}\n`);
  return {
    dir,
    rootPem: read('root.pem'),
    rootFile: join(dir, 'root.pem'),
    intermediateFile: join(dir, 'inter.pem'),
    intermediateKeyFile: join(dir, 'inter.key'),
    chainPem: read('leaf.pem') + read('inter.pem'),
    leafFile: join(dir, 'leaf.pem'),
    keyPem: read('leaf.key'),
    pebbleCertFile: join(dir, 'pebble.pem'),
    pebbleKeyFile: join(dir, 'pebble.key'),
    ocspIndexFile: join(dir, 'ocsp-index.txt'),
  };
}
