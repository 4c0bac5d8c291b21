/**
 * The guacamole role's planning-time check (defineRole's `check`, with the real site model):
 * a VM assigned to someone but without an address, and a loopback URL on another port than the
 * webapp is published on, stop the run with exit 4 — all problems at once, naming the host, the
 * role and what to fix — before any host is touched (the gateway here is unreachable: an attempt
 * to reach it would be exit 3).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const PLAYBOOK = 'test/fixtures/guacamole/stack-playbook.ts';

describe('the guacamole role checks its input while the run is planned', () => {
  it('exits 4 naming the VM without an address and the port mismatch, touching nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-guac-check-'));
    const inventory = join(dir, 'hosts.yml');
    writeFileSync(
      inventory,
      [
        'all:',
        '  vars:',
        '    site_gateway_addresses: [192.0.2.10]',
        '    site_admin_networks: [198.51.100.0/24]',
        '    site_users:',
        '      alice:',
        '        full_name: Alice Example',
        '        password: !env ALICE_PW',
        '        admin: true',
        '        vms: [vm-dev-01]',
        '  hosts:',
        '    gw1: { ansible_host: gw1.invalid, guacamole_url: "http://127.0.0.1:8081/guacamole" }',
        '    vm-dev-01: { vm_os: ubuntu, vm_ip: dhcp }',
        '',
      ].join('\n'),
    );
    const r = await runCli([PLAYBOOK, '-i', inventory, '--limit', 'gw1'], {
      env: { ALICE_PW: 'pw-Alice-1' },
    });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('host gw1, role guacamole:');
    expect(r.stderr).toContain('vm-dev-01');
    expect(r.stderr).toContain('guacamole_http_port');
    expect(r.stderr).not.toContain('pw-Alice-1');
  });
});
