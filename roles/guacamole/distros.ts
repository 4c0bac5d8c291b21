/**
 * Docker engine and Compose per distribution: the one place these facts live (tested in
 * test/guacamole/distros.test.ts; Debian 12's row also on a real host by stack.test.ts).
 * The distributions' own packages, not Docker's apt repository: that repository is not
 * reachable from where this is tested, and the distributions' engines are security-maintained.
 */
import type { Facts } from '../../lib/host/facts.js';

export interface DockerDistro {
  /** Packages of the engine (daemon and CLI). */
  engine: string[];
  /** Packages of Compose. */
  compose: string[];
  /** How Compose is called. */
  composeCommand: string[];
  /**
   * Compose v1 (the Python tool, 1.29): no top-level `name` (the project goes by `-p`), no
   * `up --wait` (the role polls health itself). v2 has both.
   */
  composeV1: boolean;
  /** Units the engine packages start, masked when another engine serves this host. */
  daemonUnits: string[];
}

const TABLE: Record<string, DockerDistro> = {
  // bookworm: docker.io 20.10.24, docker-compose 1.29.2; no compose v2 plugin in the archive.
  'debian-12': {
    engine: ['docker.io'],
    compose: ['docker-compose'],
    composeCommand: ['docker-compose'],
    composeV1: true,
    daemonUnits: ['docker.service', 'docker.socket', 'containerd.service'],
  },
  // jammy-updates: docker.io 24.0.x, docker-compose-v2 2.20.x (the `docker compose` plugin).
  'ubuntu-22.04': {
    engine: ['docker.io'],
    compose: ['docker-compose-v2'],
    composeCommand: ['docker', 'compose'],
    composeV1: false,
    daemonUnits: ['docker.service', 'docker.socket', 'containerd.service'],
  },
};

export const supportedDistros = Object.keys(TABLE);

/** The row for a host, or an error naming the host's distribution and the supported ones. */
export function dockerDistro(facts: Pick<Facts, 'os' | 'release'>): DockerDistro {
  const key = `${facts.os}-${facts.release}`;
  const row = TABLE[key];
  if (!row)
    throw new Error(
      `guacamole: no Docker packages known for ${key} (supported: ${supportedDistros.join(', ')})`,
    );
  return row;
}
