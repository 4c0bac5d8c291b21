// roles/guacamole/users.ts through the real CLI (test/fixtures/guacamole/playbook.ts), against
// guac-sim: on a local gateway (direct), on a gateway over SSH (the webapp on its loopback reached
// through a port forward on the run's SSH connection: a private sshd on 127.0.0.1, see
// test/transport/sshd.ts), check mode, and a non-HTTPS URL refused at planning time (exit 4).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli, taskEvents } from '../support/cli.js';
import { startGuacSim, type GuacSim } from '../guac-sim/index.js';
import { sshdUnavailable, startTestSshd, type TestSshd } from '../transport/sshd.js';
import { PASSWORDS } from './sync-support.js';

const PLAYBOOK = 'test/fixtures/guacamole/playbook.ts';
const VAULT_PASSWORD = 'vault-pass-guac-7y8u';

let sim: GuacSim;
let dir: string;

function site() {
  return {
    users: [
      { login: 'root', admin: true, vms: ['vm-dev-01'] },
      { login: 'alice', vms: ['vm-dev-01', 'vm-gpu-01'] },
    ],
    vms: [
      { name: 'vm-dev-01', os: 'ubuntu', kind: 'dev', address: '10.0.10.11', rdpPort: 3389 },
      { name: 'vm-gpu-01', os: 'windows', kind: 'gpu', address: '10.0.10.31', rdpPort: 3389 },
    ],
  };
}

/** The inventory; passwords come in through `!env`, as a user keeps them out of the file. */
function inventory(gateway: Record<string, unknown>): string {
  const file = join(dir, 'hosts.yml');
  const text = stringify({
    all: {
      children: {
        gateway: {
          hosts: {
            gw: {
              test_site: site(),
              test_password_root: '__ROOT__',
              test_password_alice: '__ALICE__',
              ...gateway,
            },
          },
        },
      },
    },
  })
    .replace(/'?__ROOT__'?/, '!env ROOT_PW')
    .replace(/'?__ALICE__'?/, '!env ALICE_PW');
  writeFileSync(file, text);
  return file;
}

const env = {
  ROOT_PW: PASSWORDS.root,
  ALICE_PW: PASSWORDS.alice,
  NOVASTATION_VAULT_PASSWORD: VAULT_PASSWORD,
};

beforeEach(async () => {
  sim = await startGuacSim();
  dir = mkdtempSync(join(tmpdir(), 'ns-guac-role-'));
});
afterEach(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

function noSecrets(output: string): void {
  for (const value of [PASSWORDS.root, PASSWORDS.alice, VAULT_PASSWORD]) expect(output).not.toContain(value);
}

describe('guacamole users role piece (real CLI, guac-sim)', () => {
  it('local gateway: check mode writes nothing, the run creates, the rerun writes nothing', async () => {
    const inv = inventory({ ansible_connection: 'local', guacamole_url: sim.url });
    const check = await runCli([PLAYBOOK, '-i', inv, '--check', '--json'], { env });
    expect(check.code, check.stderr).toBe(0);
    expect(sim.writes()).toEqual([]);
    const planned = taskEvents(check, { task: 'guacamole users and connections' })[0]!;
    expect(planned.status).toBe('changed');

    const first = await runCli([PLAYBOOK, '-i', inv, '--json', '-v'], { env });
    expect(first.code, first.stderr).toBe(0);
    const done = taskEvents(first, { task: 'guacamole users and connections' })[0]!;
    expect(done.changes).toEqual(planned.changes);
    expect(sim.writes().length).toBe(done.changes.length);
    expect([...sim.state.users.keys()].sort()).toEqual(['alice', 'root']);

    const writes = sim.writes().length;
    const second = await runCli([PLAYBOOK, '-i', inv, '--json'], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(taskEvents(second, { task: 'guacamole users and connections' })[0]!.status).toBe('ok');
    expect(sim.writes().length).toBe(writes);
    noSecrets(check.stdout + check.stderr + first.stdout + first.stderr + second.stdout + second.stderr);
  });

  it('a Guacamole URL that is not HTTPS outside the loopback exits 4 naming the file and the field', async () => {
    const inv = inventory({
      ansible_connection: 'local',
      guacamole_url: 'http://gw.example.org:8080/guacamole',
    });
    const r = await runCli([PLAYBOOK, '-i', inv], { env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('hosts.yml');
    expect(r.stderr).toContain('guacamole_url');
    expect(sim.requests).toEqual([]);
  });
});

const unavailable = await sshdUnavailable();
if (unavailable) {
  if (process.env.CI === 'true') throw new Error(`SSH gateway test cannot run in CI: ${unavailable}`);
  console.warn(`skipping the SSH gateway test: ${unavailable}`);
}

describe.skipIf(unavailable !== undefined)(
  'guacamole users role piece over SSH (private sshd on 127.0.0.1)',
  () => {
    let sshd: TestSshd;
    beforeAll(async () => {
      sshd = await startTestSshd();
    }, 300_000);
    afterAll(async () => {
      await sshd?.stop();
    });

    it('reaches the webapp on the gateway loopback through a port forward on the one SSH login', async () => {
      const knownHosts = join(dir, 'known_hosts');
      writeFileSync(knownHosts, sshd.knownHostsLine);
      const inv = inventory({
        ansible_host: '127.0.0.1',
        ansible_port: sshd.port,
        ansible_user: 'root',
        ansible_ssh_private_key_file: sshd.clientKey,
        guacamole_url: sim.url,
      });
      const logins = await sshd.acceptedLogins();
      const r = await runCli([PLAYBOOK, '-i', inv, '--known-hosts', knownHosts, '--json', '-v'], { env });
      expect(r.code, r.stderr).toBe(0);
      const forwarded = /reached through 127\.0\.0\.1:(\d+) \(SSH port forward\)/.exec(r.stdout + r.stderr);
      expect(forwarded).not.toBeNull();
      expect(Number(forwarded![1])).not.toBe(sim.port);
      expect(await sshd.acceptedLogins()).toBe(logins + 1);
      expect([...sim.state.users.keys()].sort()).toEqual(['alice', 'root']);
      noSecrets(r.stdout + r.stderr);
    });
  },
);
