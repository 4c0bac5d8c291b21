/**
 * download.proxmox.com, as far as apt sees it, inside a test host (the real one is not reachable
 * here): the name points at the host's loopback (/etc/hosts), where a small HTTP server serves a
 * signed pve-no-subscription index for bookworm, laid out as Proxmox's mirror is
 * (debian/pve/dists/bookworm/InRelease, pve-no-subscription/binary-amd64/Packages) with one
 * package, `pve-nsdemo`. Its signing key is made by the test (gpg on the machine) and installed
 * where Proxmox's installer puts the real release key,
 * /etc/apt/trusted.gpg.d/proxmox-release-bookworm.gpg — so the role's source, which names no
 * key of its own, is trusted exactly as on a real server, and a refresh proves apt fetched and
 * verified it.
 *
 * And what a Proxmox VE 8 installation ships: pve-enterprise.list and ceph.list (Ceph Quincy
 * enterprise), to be commented out.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HostFixture } from '../support/hosts.js';

export const PVE_ENTERPRISE_LIST = 'deb https://enterprise.proxmox.com/debian/pve bookworm pve-enterprise\n';
export const CEPH_LIST = 'deb https://enterprise.proxmox.com/debian/ceph-quincy bookworm enterprise\n';

export interface Mirror {
  /** Relative path under the server's root → content. */
  files: Map<string, Buffer>;
  /** The binary public key (what Proxmox ships as proxmox-release-bookworm.gpg). */
  key: Buffer;
}

const PACKAGES = `Package: pve-nsdemo
Version: 8.2.0
Architecture: amd64
Maintainer: NovaStation tests <t@example.org>
Filename: pool/pve-nsdemo_8.2.0_amd64.deb
Size: 1000
SHA256: ${'0'.repeat(64)}
Description: stands in for a package of Proxmox's pve-no-subscription repository
`;

/** Signs the index with a key made for the run (gpg on the machine; README lists it). */
export function buildMirror(): Mirror {
  const home = mkdtempSync(join(tmpdir(), 'ns-pvegpg-'));
  const gpg = (...args: string[]) =>
    execFileSync('gpg', ['--homedir', home, '--batch', '--quiet', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  try {
    gpg(
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      '--quick-gen-key',
      'Fake Proxmox Release <release@test>',
      'ed25519',
      'sign',
      'never',
    );
    const sha = createHash('sha256').update(PACKAGES).digest('hex');
    const release = [
      'Origin: Proxmox',
      'Label: Proxmox Debian Repository',
      'Suite: stable',
      'Codename: bookworm',
      `Date: ${new Date().toUTCString().replace('GMT', 'UTC')}`,
      'Architectures: amd64',
      'Components: pve-no-subscription',
      'SHA256:',
      ` ${sha} ${Buffer.byteLength(PACKAGES)} pve-no-subscription/binary-amd64/Packages`,
      '',
    ].join('\n');
    writeFileSync(join(home, 'Release'), release);
    gpg('--local-user', 'release@test', '--clearsign', '-o', join(home, 'InRelease'), join(home, 'Release'));
    const dists = 'debian/pve/dists/bookworm';
    return {
      files: new Map([
        [`${dists}/InRelease`, readFileSync(join(home, 'InRelease'))],
        [`${dists}/pve-no-subscription/binary-amd64/Packages`, Buffer.from(PACKAGES)],
      ]),
      key: gpg('--export', 'release@test'),
    };
  } finally {
    try {
      execFileSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { stdio: 'ignore' });
    } catch {
      // no agent was started
    }
    rmSync(home, { recursive: true, force: true });
  }
}

const UNIT = `[Unit]
Description=download.proxmox.com stand-in for NovaStation's proxmox-host tests
After=network.target

[Service]
ExecStart=/usr/bin/python3 -m http.server 80 --bind 127.0.0.1 --directory /srv/fake-proxmox

[Install]
WantedBy=multi-user.target
`;

/** Serves the mirror on the host and points download.proxmox.com at it. */
export async function installMirror(f: HostFixture, name: string, mirror: Mirror): Promise<void> {
  const root = f.hosts.host(name).rootDir;
  const put = (path: string, content: string | Buffer) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  for (const [path, content] of mirror.files) put(`srv/fake-proxmox/${path}`, content);
  put('etc/apt/trusted.gpg.d/proxmox-release-bookworm.gpg', mirror.key);
  put('etc/systemd/system/fake-proxmox-mirror.service', UNIT);
  if (!readFileSync(join(root, 'etc/hosts'), 'utf8').includes('download.proxmox.com'))
    appendFileSync(join(root, 'etc/hosts'), '127.0.0.1 download.proxmox.com\n');
  const r = await f.hosts.exec(
    name,
    'systemctl daemon-reload && systemctl enable --now fake-proxmox-mirror.service >/dev/null 2>&1 && for i in $(seq 50); do python3 -c "import urllib.request as u; u.urlopen(\'http://download.proxmox.com/debian/pve/dists/bookworm/InRelease\')" 2>/dev/null && exit 0; sleep 0.1; done; exit 1',
  );
  if (r.exitCode !== 0) throw new Error(`fake Proxmox mirror on ${name}: ${r.stderr}${r.stdout}`);
}
