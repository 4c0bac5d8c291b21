/**
 * Development tools, each behind a variable: git, build tools, Docker engine (Debian/Ubuntu's
 * docker.io, or Docker's repository), Node.js LTS (the distribution's, or NodeSource's
 * repository — the default on Ubuntu 22.04, whose nodejs is 12). A vendor repository's key is
 * pinned in the inventory and written as that repository's own keyring (Signed-By); the role
 * never downloads a key.
 */
import type { RoleContext } from '../../lib/define.js';
import { apt, aptRepository, group } from '../../tasks/index.js';
import type { DistroFacts } from './distro.js';
import type { AptRepo, UbuntuDevVars } from './vars.js';

export const DOCKER_REPO_PACKAGES = [
  'docker-ce',
  'docker-ce-cli',
  'containerd.io',
  'docker-buildx-plugin',
  'docker-compose-plugin',
];

function repository(
  given: Partial<AptRepo> | undefined,
  defaults: Omit<AptRepo, 'key'>,
  what: string,
): AptRepo {
  if (!given?.key)
    throw new Error(
      `${what} comes from its vendor's repository here: pin its signing key in the inventory (${what === 'Node.js' ? 'dev_nodejs_repository' : 'dev_docker_repository'}.key); the role never downloads one`,
    );
  return { ...defaults, ...given, key: given.key };
}

export async function devTools(ctx: RoleContext<UbuntuDevVars>, distro: DistroFacts): Promise<void> {
  const { host, vars, task } = ctx;
  const install = (packages: string[]) =>
    apt(host, { packages, updateCache: true, cacheValidTime: vars.apt_cache_valid_time });
  const basics = [...(vars.dev_git ? ['git'] : []), ...(vars.dev_build_tools ? ['build-essential'] : [])];
  if (basics.length) await task('dev tools: git, build tools', () => install(basics));

  if (vars.dev_docker !== 'none') {
    if (vars.dev_docker === 'repository') {
      const repo = repository(
        vars.dev_docker_repository,
        {
          uri: `https://download.docker.com/linux/${distro.dockerOs}`,
          suite: distro.codename,
          components: ['stable'],
        },
        'Docker',
      );
      await task('docker: repository', () =>
        aptRepository(host, {
          name: 'docker',
          uris: repo.uri,
          suites: repo.suite,
          components: repo.components,
          key: repo.key,
        }),
      );
      await task('docker: engine', () => install(DOCKER_REPO_PACKAGES));
    } else {
      await task('docker: engine', () => install(['docker.io']));
    }
    // The packages make it too; made here so users can be put in it whatever the package does.
    await task('docker: group', () => group(host, { name: 'docker', system: true }));
  }

  const nodeSource = vars.dev_nodejs === 'default' ? distro.nodejsDefault : vars.dev_nodejs;
  if (nodeSource === 'repository') {
    const repo = repository(
      vars.dev_nodejs_repository,
      {
        uri: `https://deb.nodesource.com/node_${vars.dev_nodejs_major}.x`,
        suite: 'nodistro',
        components: ['main'],
      },
      'Node.js',
    );
    await task('nodejs: NodeSource repository', () =>
      aptRepository(host, {
        name: 'nodesource',
        uris: repo.uri,
        suites: repo.suite,
        components: repo.components,
        key: repo.key,
      }),
    );
    await task('nodejs', () => install(['nodejs']));
  } else if (nodeSource === 'distro') {
    await task('nodejs', () => install(['nodejs', 'npm']));
  }
}
