/**
 * The state-changing apt commands `apt` and `aptRepository` run, in one place so both get the
 * same guarantees:
 * - never a question on a terminal (`DEBIAN_FRONTEND=noninteractive`, `-y`, existing config
 *   files kept: `--force-confdef --force-confold`, as Ansible does);
 * - a dpkg lock held by someone else (unattended-upgrades, a concurrent run) is waited for up to
 *   `lockTimeout` seconds instead of failing at once. `apt-get install/remove` does that itself
 *   with `DPkg::Lock::Timeout`; `apt-get update` ignores that option for the lists lock (apt 2.6),
 *   so it is retried here while apt reports "Could not get lock";
 * - a failed fetch is an error: `APT::Update::Error-Mode=any` makes `apt-get update` exit non-zero
 *   instead of warning and using stale (or no) lists.
 */
import type { Host } from '../../lib/host/host.js';

export interface AptGetOptions {
  /** Seconds to wait for a held dpkg/apt lock. */
  lockTimeout: number;
  /** Install recommended packages too (apt's default); false passes `--no-install-recommends`. */
  installRecommends?: boolean;
}

export type AptGetAction = 'install' | 'remove' | 'purge';

export async function aptGet(
  host: Host,
  action: AptGetAction,
  packages: readonly string[],
  options: AptGetOptions,
): Promise<void> {
  if (packages.length === 0) return;
  const recommends = action === 'install' && !options.installRecommends ? ['--no-install-recommends'] : [];
  await host.$`export DEBIAN_FRONTEND=noninteractive LC_ALL=C
apt-get -y -q -o DPkg::Lock::Timeout=${options.lockTimeout} -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ${action} ${recommends} ${packages}`;
}

export interface AptUpdateOptions {
  lockTimeout: number;
  /** Refresh only this sources file (`.list` or deb822 `.sources`), keeping the other lists. */
  sourcesFile?: string;
  /** Touch /var/lib/apt/lists afterwards: its mtime is how `apt` measures the lists' age. */
  stamp?: boolean;
}

export async function aptUpdate(host: Host, options: AptUpdateOptions): Promise<void> {
  const only = options.sourcesFile
    ? [
        '-o',
        `Dir::Etc::sourcelist=${options.sourcesFile}`,
        '-o',
        'Dir::Etc::sourceparts=-',
        '-o',
        'APT::Get::List-Cleanup=0',
      ]
    : [];
  const stamp = options.stamp ? 'yes' : 'no';
  await host.$`export DEBIAN_FRONTEND=noninteractive LC_ALL=C
end=$(( $(date +%s) + ${options.lockTimeout} ))
while :; do
  out=$(apt-get -q update -o APT::Update::Error-Mode=any ${only} 2>&1) && break
  case $out in
    *'Could not get lock'*) if [ "$(date +%s)" -ge "$end" ]; then printf '%s\\n' "$out" >&2; exit 100; fi; sleep 1 ;;
    *) printf '%s\\n' "$out" >&2; exit 100 ;;
  esac
done
if [ ${stamp} = yes ]; then touch /var/lib/apt/lists; fi`;
}
