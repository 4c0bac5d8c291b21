/**
 * The per-distribution Docker table (roles/guacamole/distros.ts). Debian 12's row is also proven
 * on a real host by stack.test.ts (its packages install, docker-compose 1.29 answers); Ubuntu
 * 22.04's is checked here only against what its archive ships (no Ubuntu host can run here).
 */
import { describe, expect, it } from 'vitest';
import { dockerDistro, supportedDistros } from '../../roles/guacamole/distros.js';

describe('Docker packages per distribution', () => {
  it('Debian 12: docker.io and Compose v1 (docker-compose 1.29, no `name`, no `up --wait`)', () => {
    expect(dockerDistro({ os: 'debian', release: '12' })).toMatchObject({
      engine: ['docker.io'],
      compose: ['docker-compose'],
      composeCommand: ['docker-compose'],
      composeV1: true,
    });
  });

  it('Ubuntu 22.04: docker.io and the Compose v2 plugin (`docker compose`)', () => {
    expect(dockerDistro({ os: 'ubuntu', release: '22.04' })).toMatchObject({
      engine: ['docker.io'],
      compose: ['docker-compose-v2'],
      composeCommand: ['docker', 'compose'],
      composeV1: false,
    });
  });

  it('every row masks the units its engine packages start', () => {
    for (const key of supportedDistros) {
      const [os, release] = key.split('-') as [string, string];
      expect(dockerDistro({ os, release }).daemonUnits).toEqual([
        'docker.service',
        'docker.socket',
        'containerd.service',
      ]);
    }
  });

  it('an unknown distribution is refused, naming it and the supported ones', () => {
    expect(() => dockerDistro({ os: 'debian', release: '11' })).toThrow(
      'guacamole: no Docker packages known for debian-11 (supported: debian-12, ubuntu-22.04)',
    );
  });
});
