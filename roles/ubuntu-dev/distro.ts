/**
 * What differs between the distributions the role supports, in one table (tested in
 * test/ubuntu-dev/distro.test.ts): the polkit rule format, where Node.js LTS comes from by default,
 * and Docker's repository path. Sources: ../shared/docs/research/guacamole-nginx-rdp.md §5.1
 * (polkit 0.105 on Ubuntu 22.04 reads .pkla files; polkit 122 on Debian 12 reads JavaScript
 * rules), the Ubuntu/Debian archives (Ubuntu 22.04's nodejs is 12, Debian 12's is 18).
 */
import type { Facts } from '../../lib/host/facts.js';

export interface DistroFacts {
  /** `ubuntu-22.04`, `debian-12`. */
  id: string;
  /** How polkit is configured: `.pkla` (polkit ≤ 0.105) or JavaScript rules (polkit ≥ 0.106). */
  polkit: { format: 'pkla' | 'js'; path: string; template: string; package: string };
  /** Where Node.js LTS comes from when `dev_nodejs` is `default`: the distribution, or NodeSource's repository. */
  nodejsDefault: 'distro' | 'repository';
  /** Docker's apt repository: `https://download.docker.com/linux/<dockerOs>` `<codename>` stable. */
  dockerOs: 'ubuntu' | 'debian';
  codename: string;
}

const TABLE: Record<string, Omit<DistroFacts, 'id' | 'codename'>> = {
  'ubuntu-22.04': {
    polkit: {
      format: 'pkla',
      path: '/etc/polkit-1/localauthority/50-local.d/45-novastation-colord.pkla',
      template: 'ubuntu-dev/colord.pkla.hbs',
      package: 'policykit-1',
    },
    // Ubuntu 22.04's own nodejs is 12, long out of support.
    nodejsDefault: 'repository',
    dockerOs: 'ubuntu',
  },
  'debian-12': {
    polkit: {
      format: 'js',
      path: '/etc/polkit-1/rules.d/45-novastation-colord.rules',
      template: 'ubuntu-dev/colord.rules.hbs',
      package: 'polkitd',
    },
    // Debian 12's nodejs is 18, an LTS line.
    nodejsDefault: 'distro',
    dockerOs: 'debian',
  },
};

export const SUPPORTED = Object.keys(TABLE);

/** This host's row; a clear error for a distribution the role was not written for. */
export function distroFacts(facts: Pick<Facts, 'os' | 'release' | 'codename'>): DistroFacts {
  const major = facts.os === 'ubuntu' ? facts.release : (facts.release.split('.')[0] ?? '');
  const id = `${facts.os}-${major}`;
  const row = TABLE[id];
  if (!row)
    throw new Error(
      `ubuntu-dev supports ${SUPPORTED.join(' and ')}; this host runs ${facts.os} ${facts.release}`,
    );
  return { id, ...row, codename: facts.codename };
}
