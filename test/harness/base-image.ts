// The Debian 12 root every test host overlays: debootstrapped once, configured, cached on disk.
// Built into a temp dir and renamed into place under a lock, so concurrent test files never build
// twice and never see a half-built root. A stamp of the recipe inside the root makes a changed
// package list or configuration rebuild it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { withLock } from './lock.js';
import { removeTree } from './mounts.js';
import { BASE_DIR, BASE_LOCK, CACHE_DIR } from './paths.js';
import { run } from './run.js';

export const BASE_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'openssh-server',
  'dbus',
  'iproute2',
  'python3',
  'sudo',
  'ca-certificates',
  'procps',
];

/** Where the stamp lives inside the root (harmless, and tells a host which recipe it runs). */
const STAMP_FILE = 'etc/novastation-base-stamp';

// Run inside the new root with chroot. Every line is there because a test depends on it.
const CONFIGURE = `set -eu
# The same sources as a stock Debian 12 machine, so installs in hosts get current packages.
cat > /etc/apt/sources.list <<'SRC'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SRC
# A flaky mirror should cost a retry, not a red test.
echo 'Acquire::Retries "3";' > /etc/apt/apt.conf.d/80novastation-retries
# Refresh package lists once here: apt-get update in every fresh host is slow and can flake.
apt-get update -q
apt-get clean
# Hosts must not refresh or upgrade by themselves mid-test (that also changes the overlay).
for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer; do
  ln -sf /dev/null /etc/systemd/system/$u
done
# sshd: root by key only, no DNS lookups (no resolver round trip per login), one host key type
# that each host gets fresh before boot, and room for an engine's parallel connections.
cat > /etc/ssh/sshd_config.d/00-novastation.conf <<'SSHD'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
HostKey /etc/ssh/ssh_host_ed25519_key
MaxStartups 200:30:400
MaxSessions 64
SSHD
# Keep sshd's log in a file that survives reboots and the harness reads without entering the host
# ("Accepted publickey" lines count logins).
mkdir -p /etc/systemd/system/ssh.service.d
cat > /etc/systemd/system/ssh.service.d/novastation-log.conf <<'UNIT'
[Service]
ExecStart=
ExecStart=/usr/sbin/sshd -D $SSHD_OPTS -E /var/log/sshd.log
UNIT
# Shared host keys would make host-key tests meaningless: each host generates its own.
rm -f /etc/ssh/ssh_host_*
# Each host gets its own machine id before boot.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
ln -s /etc/machine-id /var/lib/dbus/machine-id
# Mark /etc and /var as up to date with /usr: skips ldconfig/hwdb/catalog rebuilds at every boot
# (faster boots, and no boot-time writes into the overlay).
touch /etc/.updated /var/.updated
printf 'localhost\\n' > /etc/hostname
chmod 644 /etc/hostname
# A volatile journal: the persistent one's boot-time flush failed now and then under load (a
# "degraded" host), and it keeps writing into the overlay. sshd's log is in a file anyway.
mkdir -p /etc/systemd/journald.conf.d
printf '[Journal]\\nStorage=volatile\\n' > /etc/systemd/journald.conf.d/00-novastation.conf
printf '127.0.0.1\\tlocalhost\\n::1\\t\\tlocalhost ip6-localhost ip6-loopback\\n' > /etc/hosts
install -d -m 700 /root/.ssh
`;

/** Changes whenever the package list or the configuration changes. */
export const BASE_STAMP = createHash('sha256')
  .update(
    JSON.stringify({ packages: BASE_PACKAGES, configure: CONFIGURE, suite: 'bookworm', variant: 'minbase' }),
  )
  .digest('hex')
  .slice(0, 16);

function stampOf(dir: string): string | undefined {
  try {
    return readFileSync(`${dir}/${STAMP_FILE}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function baseIsCurrent(): boolean {
  return stampOf(BASE_DIR) === BASE_STAMP;
}

async function buildInto(tmp: string): Promise<void> {
  await run(
    'debootstrap',
    [
      '--variant=minbase',
      `--include=${BASE_PACKAGES.join(',')}`,
      'bookworm',
      tmp,
      'http://deb.debian.org/debian',
    ],
    {
      timeoutMs: 20 * 60_000,
    },
  );
  // The chroot needs a resolver for apt-get update; nspawn replaces resolv.conf at each boot.
  writeFileSync(`${tmp}/etc/resolv.conf`, readFileSync('/etc/resolv.conf'));
  await run('chroot', [tmp, '/bin/sh', '-c', CONFIGURE], {
    env: {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      DEBIAN_FRONTEND: 'noninteractive',
      LANG: 'C',
      HOME: '/root',
    },
    timeoutMs: 10 * 60_000,
  });
  writeFileSync(`${tmp}/${STAMP_FILE}`, `${BASE_STAMP}\n`);
}

/**
 * Returns the path of a current base root, building it first if needed (~130 s measured).
 * `log` receives progress lines.
 */
export async function ensureBase(log: (line: string) => void = () => {}): Promise<string> {
  if (baseIsCurrent()) return BASE_DIR;
  mkdirSync(CACHE_DIR, { recursive: true });
  return withLock(BASE_LOCK, async () => {
    if (baseIsCurrent()) return BASE_DIR; // another process built it while we waited
    // Anything half-built is from a dead builder: only the lock holder builds.
    for (const e of readdirSync(CACHE_DIR))
      if (e.startsWith('base.tmp-')) await removeTree(`${CACHE_DIR}/${e}`);
    const tmp = `${CACHE_DIR}/base.tmp-${process.pid}`;
    const started = Date.now();
    // One retry: a mirror hiccup during a two-minute download should not fail a whole test run.
    for (let attempt = 1; ; attempt++) {
      await removeTree(tmp);
      log(`building Debian 12 base root in ${tmp} (first time only, ~2 min)`);
      try {
        await buildInto(tmp);
        break;
      } catch (e) {
        if (attempt >= 2) {
          await removeTree(tmp);
          throw e;
        }
        log(`base build failed, retrying: ${(e as Error).message.slice(0, 500)}`);
      }
    }
    if (existsSync(BASE_DIR)) {
      // An old base may still be the lower layer of a running host (e.g. a developer's `up`):
      // move it aside; `clean` (or the next boot) removes it once no instance is left.
      renameSync(BASE_DIR, `${CACHE_DIR}/base.old-${process.pid}`);
    }
    renameSync(tmp, BASE_DIR);
    log(`base root ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return BASE_DIR;
  });
}
