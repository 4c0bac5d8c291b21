/**
 * Proxmox VE's package repositories, for servers without a subscription (`pve_repository:
 * no-subscription`). A fresh Proxmox VE 8 has only the enterprise repository
 * (/etc/apt/sources.list.d/pve-enterprise.list, and ceph.list's enterprise Ceph one), which
 * answers 401 without a subscription key, so `apt-get update` fails on every run.
 *
 * What Proxmox's documentation says to do (pve-docs, pve-package-repos.adoc): add
 * `deb http://download.proxmox.com/debian/pve bookworm pve-no-subscription`, and disable the
 * enterprise repository "by commenting out the above line using a `#`" — commented, not deleted,
 * as the GUI's Repositories panel does, so the administrator can switch back by removing the `#`.
 *
 * The no-subscription source is written first (aptRepository refreshes its lists and fails,
 * removing it again, when the mirror does not answer); the enterprise lines are commented out
 * only after that worked, so a failed run never leaves the server with no Proxmox repository.
 * The source has no Signed-By: the Proxmox release key the installer put in
 * /etc/apt/trusted.gpg.d signs it, as it signs the enterprise repository, and a second entry of
 * the same repository with a different Signed-By (one added by hand) would make apt refuse every
 * source ("Conflicting values set for option Signed-By").
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { convergeFile, managedFileResource } from '../../tasks/files/file.js';
import { aptRepository } from '../../tasks/index.js';

/** The Debian releases whose Proxmox VE repositories this knows (PVE 9 on trixie uses deb822 files). */
export const PVE_RELEASES: Readonly<Record<string, { pve: string }>> = {
  bookworm: { pve: '8' },
};

export const NO_SUBSCRIPTION = {
  name: 'pve-no-subscription',
  uris: 'http://download.proxmox.com/debian/pve',
  components: ['pve-no-subscription'],
} as const;

/** The files a Proxmox VE 8 installation puts its enterprise repositories in. */
export const ENTERPRISE_LISTS = [
  '/etc/apt/sources.list.d/pve-enterprise.list',
  '/etc/apt/sources.list.d/ceph.list',
] as const;

/** An active one-line source on enterprise.proxmox.com (options in brackets allowed). */
const ENTERPRISE_LINE = /^\s*deb(-src)?\s+(\[[^\]]*\]\s+)?https?:\/\/enterprise\.proxmox\.com\//;

/**
 * The file with every enterprise.proxmox.com source line commented out, everything else as it
 * was (ceph.list may already name a no-subscription Ceph repository: it stays active).
 */
export function commentOutEnterprise(text: string): string {
  return text
    .split('\n')
    .map((line) => (ENTERPRISE_LINE.test(line) ? `# ${line}` : line))
    .join('\n');
}

/** The Debian codename, from /etc/os-release (VERSION_CODENAME). */
export function codenameOf(osRelease: string): string | undefined {
  return /^VERSION_CODENAME="?([a-z]+)"?\s*$/m.exec(osRelease)?.[1];
}

/** The release's facts, or an Error saying the option is not supported there. */
export function pveRelease(codename: string | undefined): { codename: string; pve: string } {
  const known = codename ? PVE_RELEASES[codename] : undefined;
  if (!codename || !known)
    throw new Error(
      `pve_repository: no-subscription is known for ${Object.entries(PVE_RELEASES)
        .map(([c, r]) => `Proxmox VE ${r.pve} (Debian ${c})`)
        .join(
          ', ',
        )} only; this server runs Debian ${codename ?? '(no VERSION_CODENAME in /etc/os-release)'}: set the repositories in the GUI (node → Updates → Repositories) and leave pve_repository unset. Nothing was changed.`,
    );
  return { codename, ...known };
}

/** The one-line source file aptRepository writes. */
export const NO_SUBSCRIPTION_LIST = `/etc/apt/sources.list.d/${NO_SUBSCRIPTION.name}.list`;

/** An active one-line entry of the no-subscription repository for this release. */
export function noSubscriptionLine(codename: string): RegExp {
  return new RegExp(
    `^\\s*deb\\s+(\\[[^\\]]*\\]\\s+)?https?://download\\.proxmox\\.com/debian/pve/?\\s+${codename}\\s+pve-no-subscription(\\s|$)`,
    'm',
  );
}

/** One-line source files of the administrator's (not ours) that already hold the entry. */
export function entryElsewhere(files: ReadonlyMap<string, string>, codename: string): string[] {
  const line = noSubscriptionLine(codename);
  return [...files]
    .filter(([path, text]) => path !== NO_SUBSCRIPTION_LIST && line.test(text))
    .map(([path]) => path);
}

const MARK = '@@ns-file ';

/**
 * The no-subscription source, its lists refreshed when it changed — unless the administrator
 * already has the entry in sources.list or another .list file (Proxmox's documentation puts it
 * in sources.list): a second entry would only make apt warn on every update.
 */
export async function noSubscriptionSource(host: Host): Promise<TaskOutcome> {
  // /etc/os-release and every one-line source file, in one round trip.
  const r = await host.probe`for f in /etc/os-release /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] && { printf '%s%s\\n' ${MARK} "$f"; cat -- "$f"; echo; }
done; true`;
  const files = new Map<string, string>();
  for (const chunk of r.stdout.split(MARK).slice(1)) {
    const nl = chunk.indexOf('\n');
    files.set(chunk.slice(0, nl), chunk.slice(nl + 1));
  }
  const { codename } = pveRelease(codenameOf(files.get('/etc/os-release') ?? ''));
  files.delete('/etc/os-release');
  const elsewhere = entryElsewhere(files, codename);
  if (elsewhere.length)
    return {
      changed: false,
      message: `the no-subscription repository is already in ${elsewhere.join(', ')}`,
    };
  return aptRepository(host, { ...NO_SUBSCRIPTION, suites: codename, format: 'one-line' });
}

/** Each enterprise list with its enterprise lines commented out; a missing list stays missing. */
export async function enterpriseDisabled(host: Host): Promise<TaskOutcome> {
  const outcomes: TaskOutcome[] = [];
  for (const path of ENTERPRISE_LISTS) {
    outcomes.push(
      await convergeFile(
        host,
        managedFileResource({
          id: `enterprise repository in ${path}`,
          path,
          attributes: {},
          sensitive: false,
          edit: (current) =>
            current === null ? null : Buffer.from(commentOutEnterprise(current.toString('utf8'))),
        }),
      ),
    );
  }
  const diff = outcomes.map((o) => o.diff ?? '').join('');
  return {
    changed: outcomes.some((o) => o.changed),
    changes: outcomes.flatMap((o) => o.changes ?? []),
    ...(diff ? { diff } : {}),
  };
}
