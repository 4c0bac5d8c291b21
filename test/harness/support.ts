// Can this machine run test hosts at all? Cheap, synchronous, and says why not, so tests can skip
// (or, in CI, fail) with a useful message.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { baseIsCurrent } from './base-image.js';
import { CACHE_DIR } from './paths.js';

export type Support = { ok: true } | { ok: false; why: string };

const INSTALL_HINT =
  'apt-get install -y debootstrap systemd-container nftables iproute2 openssh-client util-linux';
let cached: Support | undefined;

function onPath(tool: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    try {
      accessSync(`${dir}/${tool}`, constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

/** A real overlay mount on the cache's file system: the one thing /proc/filesystems cannot promise. */
function overlayWorks(): string | undefined {
  mkdirSync(CACHE_DIR, { recursive: true });
  const t = mkdtempSync(`${CACHE_DIR}/probe-`);
  try {
    for (const d of ['l', 'u', 'w', 'm']) mkdirSync(`${t}/${d}`);
    const m = spawnSync(
      'mount',
      ['-t', 'overlay', 'overlay', '-o', `lowerdir=${t}/l,upperdir=${t}/u,workdir=${t}/w`, `${t}/m`],
      { encoding: 'utf8' },
    );
    if (m.status !== 0) return `overlayfs mount failed: ${(m.stderr || m.error?.message || '').trim()}`;
    spawnSync('umount', [`${t}/m`]);
    return undefined;
  } finally {
    rmSync(t, { recursive: true, force: true });
  }
}

export function testHostSupport(): Support {
  if (cached) return cached;
  cached = check();
  return cached;
}

function check(): Support {
  if (process.platform !== 'linux') return { ok: false, why: 'test hosts need Linux' };
  if (process.getuid?.() !== 0)
    return { ok: false, why: 'test hosts need root (namespaces, mounts, systemd-nspawn)' };
  const tools = [
    'systemd-nspawn',
    'ip',
    'nft',
    'nsenter',
    'setpriv',
    'flock',
    'mount',
    'umount',
    'ssh-keygen',
    'ssh',
  ];
  if (!baseIsCurrent()) tools.push('debootstrap', 'chroot');
  const missing = tools.filter((t) => !onPath(t));
  if (missing.length) return { ok: false, why: `missing tools: ${missing.join(', ')} (${INSTALL_HINT})` };
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) {
    spawnSync('modprobe', ['overlay']); // may be a module not loaded yet
  }
  const overlay = overlayWorks();
  if (overlay) return { ok: false, why: overlay };
  return { ok: true };
}
