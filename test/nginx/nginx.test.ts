/**
 * The nginx role on one real Debian 12 test host, checked by real clients from the machine: the
 * gateway's HTTPS front door for Guacamole, with a stand-in backend (standin-server.mjs: HTTP +
 * WebSocket) on the host's loopback, a test CA (root → intermediate → the certificate for
 * gw.nginx.test, whose key is in a vault beside the inventory) with its OCSP responder, and pebble
 * as the ACME CA. testssl.sh is the long pole (1.5–5 minutes with -E, depending on the machine's
 * load): it runs while the WebSocket sits idle and the invalid-value check runs. What it does not
 * cover: Ubuntu 22.04 (no Ubuntu archive here; its nginx 1.18 takes the same directives), a real
 * Guacamole webapp (the stand-in speaks HTTP and WebSocket, not Guacamole's protocol), Let's
 * Encrypt itself (pebble follows RFC 8555), and a browser.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { encryptNovastation, MIN_SCRYPT_N } from '../../lib/vault/index.js';
import { bootTestHosts, type TestHosts } from '../harness/index.js';
import { runCli, taskEvents, type CliRun } from '../support/cli.js';
import { skipHosts } from '../support/hosts.js';
import {
  handshake,
  request,
  sClient,
  testssl,
  websocketSession,
  type Site,
  type TestsslFinding,
} from './clients.js';
import { freePort, MachineServices } from './machine-services.js';
import { makeTestPki, type TestPki } from './pki.js';
import { startStandin } from './standin.js';

const PLAYBOOK = 'test/fixtures/nginx/playbook.ts';
const NAME = 'gw.nginx.test';
const BRIDGE = '10.231.0.1';
const BACKEND_PORT = 8081;
const PATH = '/guacamole/';
const LIMIT = 1 << 20; // nginx_client_max_body_size 1m
const SITE_FILE = '/etc/nginx/sites-available/novastation-guacamole';
/** Longer than nginx's default proxy_read_timeout (60 s), which would cut the tunnel. */
const IDLE_MS = 62_000;

/**
 * testssl.sh findings rated HIGH or CRITICAL that are expected with a private test CA, each with
 * why. Anything else at those ratings fails the test.
 */
const ALLOWED: Record<string, string> = {
  // Mozilla's intermediate profile sets ssl_prefer_server_ciphers off: every cipher it offers is
  // strong, so the client may pick the one fastest for it (e.g. ChaCha20 on phones without AES).
  cipher_order:
    'Mozilla intermediate leaves the cipher order to the client (all offered ciphers are AEAD with forward secrecy)',
};

describe.skipIf(skipHosts)('nginx role: the HTTPS front door of Guacamole', () => {
  let th: TestHosts;
  let gw: string;
  let ip: string;
  let dir: string;
  let pki: TestPki;
  let site: Site;
  let inventory: string;
  let knownHosts: string;
  let vaultPass: string;
  const services = new MachineServices();
  let ocspPort: number;
  let controlPort: number;
  const started = Date.now();

  const hostVars = (extra: Record<string, unknown> = {}) => ({
    ansible_host: ip,
    ansible_user: 'root',
    ansible_ssh_private_key_file: th.privateKeyFile,
    nginx_server_names: [NAME],
    nginx_guacamole_port: BACKEND_PORT,
    nginx_client_max_body_size: '1m',
    nginx_tls_source: 'files',
    nginx_tls_certificate: pki.chainPem,
    nginx_tls_key: '__KEY__',
    ...extra,
  });
  const writeInventory = (extra: Record<string, unknown> = {}) => {
    const text = stringify({ all: { children: { gateway: { hosts: { [gw]: hostVars(extra) } } } } });
    // The key comes from the vault beside the inventory (written in beforeAll).
    writeFileSync(inventory, text.replace(/'?__KEY__'?/, '!secret nginx_tls_key'));
  };
  const run = (...args: string[]): Promise<CliRun> =>
    runCli(
      [
        PLAYBOOK,
        '-i',
        inventory,
        '--known-hosts',
        knownHosts,
        '--vault-password-file',
        vaultPass,
        '--json',
        ...args,
      ],
      { timeoutMs: 300_000 },
    );
  const changed = (r: CliRun) =>
    taskEvents(r, { status: 'changed' })
      .filter((e) => !e.handler)
      .map((e) => ({ task: e.task as string, changes: e.changes as string[] }));
  const recap = (r: CliRun) => r.events.at(-1)!.hosts[gw];
  const sh = async (cmd: string) => {
    const r = await th.exec(gw, cmd);
    expect(r.exitCode, `${cmd}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  /** The certificate served, polled until `until` holds: a reload returns before new workers serve. */
  const served = async (until: (c: { serial: string; issuer: string; subject: string }) => boolean) => {
    let c = await servedSerial();
    for (let i = 0; i < 100 && !until(c); i++) {
      await new Promise((r) => setTimeout(r, 100));
      c = await servedSerial();
    }
    return c;
  };
  const servedSerial = async () => {
    const r = await sClient({ ip, name: NAME }, []);
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.out)?.[0];
    expect(pem, r.out).toBeDefined();
    const { X509Certificate } = await import('node:crypto');
    const cert = new X509Certificate(pem!);
    return { serial: cert.serialNumber, issuer: cert.issuer, subject: cert.subject };
  };

  beforeAll(async () => {
    th = await bootTestHosts(1, { prefix: 'ngx' });
    gw = th.hosts[0]!.name;
    ip = th.hosts[0]!.address;
    dir = mkdtempSync(join(tmpdir(), 'ns-nginx-'));
    inventory = join(dir, 'hosts.yml');
    knownHosts = join(dir, 'known_hosts');
    vaultPass = join(dir, 'vault-pass');
    writeFileSync(knownHosts, th.knownHosts());
    [ocspPort, controlPort] = [await freePort('0.0.0.0'), await freePort()];
    pki = await makeTestPki(dir, NAME, BRIDGE, `http://${BRIDGE}:${ocspPort}`);
    site = { ip, name: NAME, ca: pki.rootPem };
    await Promise.all([
      services.ocspResponder(ocspPort, pki),
      services.tls10Control(controlPort, join(dir, 'leaf.pem'), join(dir, 'leaf.key')),
    ]);
    writeFileSync(vaultPass, 'nginx test vault passphrase\n', { mode: 0o600 });
    const vault = `nginx_tls_key: ${JSON.stringify(pki.keyPem)}\n`;
    const scrypt = { N: MIN_SCRYPT_N, r: 8, p: 1 };
    writeFileSync(
      join(dir, 'secrets.vault'),
      await encryptNovastation(vault, 'nginx test vault passphrase', { scrypt }),
      {
        mode: 0o600,
      },
    );
    writeInventory();
  }, 300_000);

  afterAll(async () => {
    services.stop();
    await th?.teardown();
    console.log(`nginx host test file: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('check mode on the fresh host exits 0, changes nothing, and lists exactly what the real run then changes; a second run changes nothing', async () => {
    const before = await th.snapshotUpper(gw);
    const check = await run('--check');
    expect(check.code, check.stderr).toBe(0);
    expect(await th.snapshotUpper(gw)).toBe(before);

    const first = await run('--diff');
    expect(first.code, first.stderr).toBe(0);
    expect(changed(check)).toEqual(changed(first));
    expect(changed(first).map((c) => c.task)).toEqual([
      'packages',
      'default site removed',
      'TLS folder',
      'certificate and key',
      'site config',
      'site enabled',
    ]);
    // Handlers never run in check mode; the real run reloaded nginx once.
    expect(taskEvents(first, { task: 'reload nginx', status: 'changed' })).toHaveLength(1);
    // The key is masked everywhere: no line of it in the output, the diff of the site is shown.
    const keyLine = pki.keyPem.split('\n')[1]!;
    expect(first.stdout + first.stderr).not.toContain(keyLine);
    expect(first.stdout).toContain('+    ssl_stapling on;');
    expect(await sh('stat -c %a /etc/nginx/tls/site.pem')).toBe('600\n');
    expect(await sh('ls /etc/nginx/sites-enabled')).toBe('novastation-guacamole\n');

    const second = await run();
    expect(second.code, second.stderr).toBe(0);
    expect(recap(second)).toMatchObject({ changed: 0, failed: 0 });
  }, 300_000);

  let wsSession: Promise<{ received: string[] } | Error>;
  let testsslRun: Promise<TestsslFinding[] | Error>;

  it('starts the stand-in backend, a WebSocket session that goes idle for 62 s, and testssl.sh (awaited below)', async () => {
    await startStandin(th, gw, BACKEND_PORT, PATH);
    wsSession = websocketSession(site, PATH, IDLE_MS).catch((e: Error) => e);
    testsslRun = testssl(site, pki.rootFile, join(dir, 'testssl.json')).catch((e: Error) => e);
  });

  it('port 80 only redirects to https (308, same host and path)', async () => {
    const r = await request(site, '/guacamole/?a=1', { plain: true });
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe(`https://${NAME}/guacamole/?a=1`);
    const other = await request(site, '/anything', { plain: true });
    expect(other.status).toBe(308);
  });

  it('TLS 1.0 and 1.1 are refused, 1.2 and 1.3 accepted; the same probe reaches TLS 1.0/1.1 on a server offering them', async () => {
    const control = { ip: '127.0.0.1', port: controlPort, name: NAME };
    const agreed = (v: string) => new RegExp(`Protocol version: ${v}\n`);
    for (const [flag, v] of [
      ['tls1', 'TLSv1'],
      ['tls1_1', 'TLSv1\\.1'],
    ] as const) {
      const ok = await handshake(control, flag);
      expect(ok.ok, ok.out).toBe(true);
      expect(ok.out).toMatch(agreed(v));
      const refused = await handshake(site, flag);
      expect(refused.ok).toBe(false);
      expect(refused.out).toContain('alert protocol version');
      expect(refused.out).not.toContain('Protocol version:');
    }
    for (const [flag, v] of [
      ['tls1_2', 'TLSv1\\.2'],
      ['tls1_3', 'TLSv1\\.3'],
    ] as const) {
      const ok = await handshake(site, flag);
      expect(ok.ok, ok.out).toBe(true);
      expect(ok.out).toMatch(agreed(v));
    }
  });

  it('HSTS and the security headers, the webapp reached on its path with the client address it came from', async () => {
    const r = await request(site, `${PATH}api/languages`, { headers: { 'x-forwarded-for': '6.6.6.6' } });
    expect(r.status).toBe(200);
    expect(r.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(r.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(r.headers['content-security-policy']).toBe("frame-ancestors 'self'");
    expect(r.headers.server).toBe('nginx');
    const seen = JSON.parse(r.body) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe(`${PATH}api/languages`);
    // The machine's address on the bridge, not what the client claimed.
    expect(seen.headers['x-forwarded-for']).toBe(BRIDGE);
    expect(seen.headers['x-real-ip']).toBe(BRIDGE);
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers.host).toBe(NAME);
    const root = await request(site, '/');
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe(`https://${NAME}${PATH}`);
  });

  it('an upload of exactly client_max_body_size passes; one byte more gets 413', async () => {
    const at = await request(site, `${PATH}upload`, { method: 'POST', body: Buffer.alloc(LIMIT, 1) });
    expect(at.status).toBe(200);
    expect(JSON.parse(at.body).bodyBytes).toBe(LIMIT);
    const over = await request(site, `${PATH}upload`, { method: 'POST', body: Buffer.alloc(LIMIT + 1, 1) });
    expect(over.status).toBe(413);
  });

  it('tunnel requests are not logged (nginx_tunnel_access_log off); other requests are', async () => {
    await request(site, `${PATH}tunnel?connect`);
    await request(site, `${PATH}api/session`);
    const log = await sh('cat /var/log/nginx/access.log');
    expect(log).toContain(`GET ${PATH}api/session`);
    expect(log).not.toContain(`${PATH}tunnel`);
    expect(log).not.toContain('websocket-tunnel');
  });

  it('OCSP stapling: the certificate names a responder and its issuer is in the chain, so nginx staples a good answer', async () => {
    // Each worker asks the responder on its first handshake (the earlier tests made those) and
    // staples from then on; a failed request is retried only 5 minutes later. The responder must
    // never be probed by a bare connect (machine-services.ts): that wedged it, and this failed.
    let out = '';
    for (let i = 0; i < 50 && !out.includes('OCSP Response Status: successful'); i++) {
      out = (await sClient(site, ['-status'])).out;
      if (!out.includes('OCSP Response Status: successful')) await new Promise((r) => setTimeout(r, 200));
    }
    const errors = await sh('tail -n 5 /var/log/nginx/error.log');
    expect(out, `${errors}\n${services.logs.get('ocsp')}`).toContain('OCSP Response Status: successful');
    expect(out).toContain('Cert Status: good');
  });

  it('the WebSocket echoed both ways through nginx before and after 62 s of silence, on one connection', async () => {
    const result = await wsSession;
    if (result instanceof Error) throw result;
    expect(result.received).toEqual([`hello ${BRIDGE}`, 'echo:before-idle', 'push', 'echo:after-idle']);
  }, 120_000);

  it('a value that makes the config invalid fails the task with nginx’s message; the live config and the site are untouched', async () => {
    const live = await sh(`sha256sum ${SITE_FILE}`);
    writeInventory({ nginx_client_max_body_size: '99999999999999999999m' });
    const r = await run();
    expect(r.code).toBe(2);
    const failed = taskEvents(r, { task: 'site config', status: 'failed' });
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toContain(
      '"client_max_body_size" directive invalid value in /etc/nginx/sites-enabled/novastation-guacamole:',
    );
    expect(failed[0]!.error).toContain('nginx: configuration file /etc/nginx/nginx.conf test failed');
    expect(await sh(`sha256sum ${SITE_FILE}`)).toBe(live);
    expect(await sh(`ls -a ${SITE_FILE.replace(/\/[^/]+$/, '')}`)).toBe(
      '.\n..\ndefault\nnovastation-guacamole\n',
    );
    expect((await request(site, `${PATH}api/languages`)).status).toBe(200);
    writeInventory();
  });

  it('testssl.sh finds nothing rated HIGH or CRITICAL outside the allow-list', async () => {
    const findings = await testsslRun;
    if (findings instanceof Error) throw findings;
    expect(findings.length).toBeGreaterThan(50);
    const serious = findings.filter((f) => ['HIGH', 'CRITICAL'].includes(f.severity) && !(f.id in ALLOWED));
    expect(serious, JSON.stringify(serious, null, 1)).toEqual([]);
    // It really tested this server: the protocols it saw.
    const byId = (id: string) => findings.find((f) => f.id === id)?.finding;
    expect(byId('TLS1')).toMatch(/not offered/);
    expect(byId('TLS1_3')).toMatch(/offered/);
  }, 600_000);

  it('self-signed: made on the host, kept across runs, renewed before it expires (and the tunnel log sampled)', async () => {
    const selfSigned = {
      nginx_tls_source: 'self-signed',
      nginx_tunnel_access_log: 'sampled',
      nginx_tunnel_log_sample_percent: 50,
    };
    writeInventory(selfSigned);
    const r = await run();
    expect(r.code, r.stderr).toBe(0);
    expect(changed(r).map((c) => c.task)).toEqual(['self-signed certificate', 'site config']);
    const first = await served((c) => c.issuer === `CN=${NAME}`);
    expect(first.issuer).toBe(`CN=${NAME}`);
    expect(first.subject).toBe(`CN=${NAME}`);
    // The tunnel log sampled at 50 %: of 40 tunnel requests some are logged, not all (all or none
    // has a chance of 2^-39).
    // Trusting the self-signed certificate itself: it verifies for the site's name.
    const own = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(
      await sh('cat /etc/nginx/tls/self-signed.pem'),
    )![0];
    for (let i = 0; i < 40; i++) await request({ ...site, ca: own }, `${PATH}tunnel?read:${i}`);
    const logged = (await sh('cat /var/log/nginx/access.log')).match(/tunnel\?read:\d+/g) ?? [];
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.length).toBeLessThan(40);
    const again = await run();
    expect(recap(again)).toMatchObject({ changed: 0, failed: 0 });
    expect((await servedSerial()).serial).toBe(first.serial);
    // A 365-day certificate "expires within 400 days": renewed, and served after the reload.
    writeInventory({ ...selfSigned, nginx_self_signed_renew_days: 400 });
    const renew = await run();
    expect(renew.code, renew.stderr).toBe(0);
    expect(changed(renew)).toEqual([
      {
        task: 'self-signed certificate',
        changes: [
          'self-signed certificate /etc/nginx/tls/self-signed.pem: certificate expires within 400 days → renewed',
        ],
      },
    ]);
    expect((await served((c) => c.serial !== first.serial)).serial).not.toBe(first.serial);
  }, 120_000);

  it('acme: certbot gets the certificate from pebble over http-01 through nginx, and a renewal reloads nginx', async () => {
    const directory = await services.pebble(dir, BRIDGE, ip, {
      certFile: pki.pebbleCertFile,
      keyFile: pki.pebbleKeyFile,
    });
    const acme = {
      nginx_tls_source: 'acme',
      nginx_acme_server: directory,
      nginx_acme_ca_bundle: pki.rootPem,
    };
    writeInventory(acme);
    const r = await run();
    expect(r.code, `${r.stderr}\n${services.logs.get('pebble')}`).toBe(0);
    expect(changed(r).map((c) => c.task)).toContain('ACME certificate');
    const issued = await served((c) => /Pebble/.test(c.issuer));
    expect(issued.issuer).toMatch(/Pebble Intermediate CA/);
    expect(issued.subject).toBe(`CN=${NAME}`);
    const again = await run();
    expect(recap(again)).toMatchObject({ changed: 0, failed: 0 });
    // certbot's timer runs certbot.service, which our drop-in points at the private CA.
    expect(await sh('systemctl show -p Environment certbot.service')).toContain(
      'REQUESTS_CA_BUNDLE=/etc/letsencrypt/novastation-acme-ca.pem',
    );
    await sh(
      'REQUESTS_CA_BUNDLE=/etc/letsencrypt/novastation-acme-ca.pem certbot renew --force-renewal --no-random-sleep-on-renew -q',
    );
    expect((await served((c) => c.serial !== issued.serial)).serial).not.toBe(issued.serial);
  }, 240_000);
});
