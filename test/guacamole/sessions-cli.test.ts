// `playbook sessions` through the real CLI against guac-sim: the gateway's Guacamole found and
// logged into from the inventory as the guacamole role does (the admin's password from the vault),
// more than 1,000 sessions all reported, the table, --json, the user and date filters, a day too
// full to read named as incomplete — and the admin's password in no output.
// Over SSH too: a gateway reached through a private sshd on 127.0.0.1, the webapp's loopback URL
// through a port forward on that one login.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { encryptNovastation, MIN_SCRYPT_N } from '../../lib/vault/novastation-format.js';
import { startGuacSim, type GuacSim } from '../guac-sim/index.js';
import { sshdUnavailable, startTestSshd, type TestSshd } from '../transport/sshd.js';

const ADMIN_PW = `Adm-${Math.random().toString(36).slice(2, 10)}-pw`;
const VAULT_PW = `vault-${Math.random().toString(36).slice(2, 10)}`;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 8); // 1 January 2026, 08:00 UTC

let sim: GuacSim;
let dir: string;
let inventory: string;
const env = { NOVASTATION_VAULT_PASSWORD: VAULT_PW, TZ: 'UTC' };

beforeAll(async () => {
  // The site's Guacamole administrator is the seeded account here, with the site's password.
  sim = await startGuacSim({ defaultAdminPassword: ADMIN_PW });
  dir = mkdtempSync(join(tmpdir(), 'ns-sessions-'));
  inventory = writeInventory('site.yml', { ansible_connection: 'local' });
  writeFileSync(
    join(dir, 'secrets.vault'),
    await encryptNovastation(`guac_admin_password: ${JSON.stringify(ADMIN_PW)}\n`, VAULT_PW, {
      scrypt: { N: MIN_SCRYPT_N, r: 8, p: 1 },
    }),
    { mode: 0o600 },
  );
  // 1,200 sessions, one every 2 hours over 100 days: alice, bob and carol (who no longer exists).
  for (let i = 0; i < 1200; i++)
    sim.recordSession({
      username: ['alice', 'bob', 'carol'][i % 3]!,
      connection: i % 2 ? 'vm-dev-01' : 'vm-win-01',
      remoteHost: `203.0.113.${i % 200}`,
      startDate: T0 + i * 2 * 3_600_000,
      endDate: T0 + i * 2 * 3_600_000 + (i % 60) * 60_000,
    });
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The site's inventory, the gateway reached as `connection` says. */
function writeInventory(name: string, connection: Record<string, string | number>): string {
  const gw = Object.entries({ ...connection, guacamole_url: sim.url, guacamole_http_port: sim.port })
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ');
  const file = join(dir, name);
  writeFileSync(
    file,
    [
      'all:',
      '  vars:',
      '    site_gateway_addresses: [192.0.2.10]',
      '    site_admin_networks: [198.51.100.0/24]',
      '    site_users:',
      '      guacadmin: { full_name: Site Admin, password: !secret guac_admin_password, admin: true, vms: [vm-dev-01] }',
      '  children:',
      '    gateway:',
      '      hosts:',
      `        gw: { ${gw} }`,
      '  hosts:',
      '    vm-dev-01: { vm_os: ubuntu, vm_ip: 10.0.10.11 }',
      '',
    ].join('\n'),
  );
  return file;
}

const unavailable = await sshdUnavailable();
if (unavailable) {
  if (process.env.CI === 'true') throw new Error(`the SSH gateway case cannot run in CI: ${unavailable}`);
  console.warn(`skipping the SSH gateway case: ${unavailable}`);
}

const seen: string[] = [];
async function sessions(...args: string[]) {
  const r = await runCli(['sessions', '-i', inventory, ...args], { env });
  seen.push(r.stdout, r.stderr);
  return r;
}

describe('playbook sessions (real CLI, guac-sim)', () => {
  it('reports every one of more than 1,000 sessions as a table, newest first', async () => {
    const r = await sessions();
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^STARTED\s+DURATION\s+USER\s+VM\s+FROM$/);
    expect(lines).toHaveLength(1 + 1200);
    // The newest: i = 1199, 2,398 hours after the first (carol on vm-dev-01, 59 minutes).
    expect(lines[1]).toMatch(/^2026-04-11 06:00:00\s+0:59:00\s+carol\s+vm-dev-01\s+203\.0\.113\.199$/);
    expect(lines.at(-1)).toMatch(/^2026-01-01 08:00:00\s+0:00:00\s+alice\s+vm-win-01\s+203\.0\.113\.0$/);
    expect(r.stderr).not.toContain('WARNING');
  });

  it('--json, --user (a deleted user too) and --since/--until', async () => {
    const r = await sessions('--json', '--user', 'carol', '--since', '2026-01-11', '--until', '2026-01-20');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ gateway: 'gw', complete: true, incompleteDays: [], users: ['carol'] });
    expect(doc.since).toBe('2026-01-11T00:00:00.000Z');
    expect(doc.until).toBe('2026-01-21T00:00:00.000Z'); // a bare --until date: up to the end of it
    // 10 days × 12 sessions a day, every third carol's: 40.
    expect(doc.sessions).toHaveLength(40);
    for (const s of doc.sessions) {
      expect(s.user).toBe('carol');
      expect(Date.parse(s.start)).toBeGreaterThanOrEqual(Date.UTC(2026, 0, 11));
      expect(Date.parse(s.start)).toBeLessThan(Date.UTC(2026, 0, 21));
      expect(s.durationSeconds).toBe((Date.parse(s.end) - Date.parse(s.start)) / 1000);
      expect(Object.keys(s).sort()).toEqual([
        'active',
        'durationSeconds',
        'end',
        'from',
        'start',
        'user',
        'vm',
      ]);
    }
  });

  it('a day with more sessions than the API can return is named, on stderr and in the JSON', async () => {
    for (let i = 0; i < 2100; i++)
      sim.recordSession({ username: 'alice', connection: 'vm-dev-01', startDate: T0 + 200 * DAY + i * 1000 });
    const r = await sessions('--json', '--since', '2026-07-01');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.complete).toBe(false);
    expect(doc.incompleteDays).toEqual(['2026-07-20']);
    expect(doc.sessions).toHaveLength(2000);
    expect(r.stderr).toContain('[WARNING]: Guacamole holds more sessions than its API returns');
    expect(r.stderr).toContain('2026-07-20');
  });

  it('bad dates are refused (exit 5) before anything is contacted', async () => {
    const before = sim.requests.length;
    const r = await sessions('--since', 'yesterday');
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('--since yesterday: not a date');
    expect(sim.requests.length).toBe(before);
  });

  describe.skipIf(unavailable !== undefined)('over SSH', () => {
    let sshd: TestSshd;
    beforeAll(async () => {
      sshd = await startTestSshd();
    }, 300_000);
    afterAll(async () => {
      await sshd?.stop();
    });

    it("reaches the gateway's loopback webapp through a port forward on one SSH login", async () => {
      const knownHosts = join(dir, 'known_hosts');
      writeFileSync(knownHosts, sshd.knownHostsLine);
      const inv = writeInventory('ssh.yml', {
        ansible_host: '127.0.0.1',
        ansible_port: sshd.port,
        ansible_user: 'root',
        ansible_ssh_private_key_file: sshd.clientKey,
      });
      const logins = await sshd.acceptedLogins();
      const r = await runCli(
        ['sessions', '-i', inv, '--known-hosts', knownHosts, '--json', '--user', 'bob'],
        {
          env,
        },
      );
      seen.push(r.stdout, r.stderr);
      expect(r.code, r.stderr).toBe(0);
      const forwarded = /reached through 127\.0\.0\.1:(\d+) \(SSH port forward\)/.exec(r.stderr);
      expect(forwarded, r.stderr).not.toBeNull();
      expect(Number(forwarded![1])).not.toBe(sim.port);
      expect(await sshd.acceptedLogins()).toBe(logins + 1);
      expect(JSON.parse(r.stdout).sessions).toHaveLength(400);
    });
  });

  it("the administrator's password (and the vault's) appear in no output", () => {
    expect(seen.length).toBeGreaterThan(0);
    for (const out of seen) {
      expect(out).not.toContain(ADMIN_PW);
      expect(out).not.toContain(VAULT_PW);
    }
  });
});
