/**
 * The ubuntu-dev role's development tools on a real Debian 12 host, with the vendor repositories
 * (Docker's, NodeSource's) replaced by a local signed repository of stand-in packages
 * (local-apt-repo.ts): the repository code — the pinned key as that repository's own keyring,
 * the deb822 source, the refresh, the install from it — runs for real; what the stand-ins
 * install is not Docker or Node.js. git comes from Debian. The desktop is cut to xrdp alone to
 * keep this file small (desktop.test.ts covers it). xrdp gets the site's TLS certificate here (a
 * self-signed one made with openssl, its key from the environment as a Secret).
 *
 * The host also runs ufw, enabled before the role runs: the firewall part leaves it alone by
 * default and replaces it by the role's nftables rules with `firewall_ufw: replace`. (ufw's own
 * sysctl step is turned off on the host: /proc/sys is read-only in a test host.)
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { run } from '../harness/run.js';
import { runCli, taskEvents } from '../support/cli.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { serveSignedRepos, type LocalRepos } from './local-apt-repo.js';

const PLAYBOOK = 'test/fixtures/ubuntu-dev/playbook.ts';
const H = 'udt1';

describe.skipIf(skipHosts)('ubuntu-dev development tools', () => {
  let f: HostFixture;
  let repos: LocalRepos;
  let inventory: string;
  const env: Record<string, string> = { UD_ALICE_PW: 'Alice-dev-pw-19' };
  let cert = '';
  const play = (...args: string[]) =>
    runCli([PLAYBOOK, '-i', inventory, '--known-hosts', f.knownHosts, '--json', ...args], {
      env,
      timeoutMs: 600_000,
    });

  beforeAll(async () => {
    [f, repos] = await Promise.all([
      bootFixture(1, 'udt', { capabilities: ['CAP_NET_ADMIN'] }),
      serveSignedRepos([
        {
          path: 'docker',
          suite: 'bookworm',
          component: 'stable',
          packages: [
            'docker-ce',
            'docker-ce-cli',
            'containerd.io',
            'docker-buildx-plugin',
            'docker-compose-plugin',
          ].map((name) => ({ name, version: '5:99.0.0-1~debian.12~bookworm' })),
        },
        {
          path: 'node_22.x',
          suite: 'nodistro',
          component: 'main',
          packages: [{ name: 'nodejs', version: '22.99.0-1nodesource1' }],
        },
      ]),
    ]);
    const h = f.hosts.host(H);
    await run('openssl', [
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
      '/CN=desktops.test',
      '-keyout',
      join(f.dir, 'tls.key'),
      '-out',
      join(f.dir, 'tls.pem'),
    ]);
    cert = readFileSync(join(f.dir, 'tls.pem'), 'utf8');
    env.UD_TLS_KEY = readFileSync(join(f.dir, 'tls.key'), 'utf8');
    inventory = join(f.dir, 'site.yml');
    writeFileSync(
      inventory,
      stringify({
        all: {
          vars: {
            site_gateway_addresses: ['10.233.0.5'],
            site_users: { alice: { full_name: 'Alice Dev', password: '!env UD_ALICE_PW', vms: [H] } },
            apt_cache_valid_time: 10 * 365 * 86400,
            desktop_packages: ['xrdp'],
            xrdp_tls_cert: cert,
            xrdp_tls_key: '!env UD_TLS_KEY',
            dev_git: true,
            dev_docker: 'repository',
            dev_docker_users: ['alice'],
            dev_docker_repository: { uri: `${repos.url}/docker`, key: repos.key },
            dev_nodejs: 'repository',
            dev_nodejs_repository: { uri: `${repos.url}/node_22.x`, key: repos.key },
          },
          children: {
            ubuntu_vms: {
              hosts: {
                [H]: {
                  ansible_host: h.address,
                  ansible_user: 'root',
                  ansible_ssh_private_key_file: f.hosts.privateKeyFile,
                },
              },
            },
          },
        },
      }).replace(/"?!env (UD_\w+)"?/g, '!env $1'),
    );
  });
  afterAll(async () => {
    await repos?.close();
    await f?.hosts.teardown();
  });

  it('installs git, Docker and Node.js from the pinned repositories, alice in docker; a second run changes nothing', async () => {
    const ufw = await f.hosts.exec(
      H,
      'apt-get install -y -qq --no-install-recommends ufw >/dev/null && sed -i "s/^IPT_SYSCTL=.*/IPT_SYSCTL=/" /etc/default/ufw && ufw allow 22/tcp >/dev/null && ufw --force enable',
    );
    expect(ufw.exitCode, ufw.stderr).toBe(0);
    const r = await play();
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expect(taskEvents(r, { task: 'firewall: ufw is active, left as it is', status: 'ok' })).toHaveLength(1);
    for (const t of [
      'docker: repository',
      'docker: engine',
      'nodejs: NodeSource repository',
      'nodejs',
      'dev tools: git, build tools',
    ])
      expect(taskEvents(r, { task: t, status: 'changed' }), t).toHaveLength(1);
    const out = (
      await f.hosts.exec(
        H,
        [
          "dpkg-query -W -f '${Package} ${Version}\\n' git docker-ce containerd.io nodejs | sed 's/ [0-9]:*[0-9.]*-.*deb12.*$/ debian/'",
          'cat /etc/apt/sources.list.d/docker.sources /etc/apt/sources.list.d/nodesource.sources',
          'apt-cache policy nodejs | grep -m1 -A1 "\\*\\*\\*"',
          'id -nG alice',
        ].join('; '),
      )
    ).stdout;
    expect(out).toMatch(/^git \S+/m);
    expect(out).toContain('docker-ce 5:99.0.0-1~debian.12~bookworm');
    expect(out).toContain('nodejs 22.99.0-1nodesource1');
    expect(out).toContain(`URIs: ${repos.url}/docker`);
    expect(out).toContain('Signed-By: /etc/apt/keyrings/docker.asc');
    expect(out).toContain(`URIs: ${repos.url}/node_22.x`);
    expect(out).toContain('Suites: nodistro');
    expect(out).toMatch(new RegExp(`${repos.url.replace(/[.:/]/g, '\\$&')}/node_22\\.x nodistro/main`));
    expect(out).toMatch(/^alice .*\bdocker\b/m);

    // The site's certificate: xrdp.ini names it, xrdp (and only it, besides root) can read the key.
    const tls = (
      await f.hosts.exec(
        H,
        [
          'grep -E "^(certificate|key_file)=" /etc/xrdp/xrdp.ini',
          'stat -c "%a %U:%G" /etc/xrdp/novastation-cert.pem /etc/xrdp/novastation-key.pem',
          'sha256sum < /etc/xrdp/novastation-cert.pem | cut -c1-64',
          'setpriv --reuid=xrdp --regid=xrdp --init-groups head -c 27 /etc/xrdp/novastation-key.pem; echo',
        ].join('; '),
      )
    ).stdout;
    expect(tls).toBe(
      `certificate=/etc/xrdp/novastation-cert.pem\nkey_file=/etc/xrdp/novastation-key.pem\n644 root:root\n640 root:xrdp\n${createHash('sha256').update(cert).digest('hex')}\n-----BEGIN PRIVATE KEY-----\n`,
    );
    // The key is a Secret: in no output.
    const keyBody = env.UD_TLS_KEY!.split('\n')[1]!;
    expect(r.stdout + r.stderr).not.toContain(keyBody);

    const again = await play();
    expect(again.code, again.stderr).toBe(0);
    expect(again.events.at(-1)!.hosts[H]).toMatchObject({ changed: 0, failed: 0 });
  }, 600_000);

  it('an active ufw is left alone by default, and replaced by the nftables rules with firewall_ufw: replace', async () => {
    const state = async () =>
      (
        await f.hosts.exec(
          H,
          'ufw status | head -n 1; cat /etc/nftables.conf 2>/dev/null | grep -c NovaStation; nft list table inet novastation >/dev/null 2>&1 && echo table || echo no-table',
        )
      ).stdout;
    // The runs above left ufw as it was: active, no rules of ours.
    expect(await state()).toBe('Status: active\n0\nno-table\n');
    const replace = await play('-e', 'firewall_ufw=replace');
    expect(replace.code, replace.stderr + replace.stdout.slice(-2000)).toBe(0);
    expect(taskEvents(replace, { task: 'firewall: ufw replaced', status: 'changed' })).toHaveLength(1);
    expect(taskEvents(replace, { task: 'firewall loaded', status: 'changed' })).toHaveLength(1);
    expect(await state()).toBe('Status: inactive\n1\ntable\n');
    const again = await play('-e', 'firewall_ufw=replace');
    expect(again.code, again.stderr).toBe(0);
    expect(again.events.at(-1)!.hosts[H]).toMatchObject({ changed: 0, failed: 0 });
  }, 300_000);
});
