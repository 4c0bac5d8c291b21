// The site model (lib/site/): what the reader builds from an inventory and every problem it
// reports with file, line and user. No host is involved; the CLI's exit 4 is proven on a real
// host in test/ubuntu-dev/desktop.test.ts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../lib/inventory/index.js';
import { Secret } from '../../lib/secret.js';
import { SecretReference } from '../../lib/secrets/reference.js';
import { addressProblem, buildSite, loginNameProblem, usersOf } from '../../lib/site/index.js';

const INVENTORY = `all:
  vars:
    site_gateway_addresses: [10.0.0.5, 'fd00::5']
    site_admin_networks: [192.168.1.0/24]
    site_users:
      alice:
        full_name: Alice Example
        uid: 2001
        password: !secret alice_password
        ssh_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFqS alice@laptop']
        sudo: true
        groups: [video]
        guacamole_groups: [developers]
        vms: [vm-dev-01, gpu_vms]
      bob:
        full_name: Bob Example
        sso: true
        vms: [dev_vms]
        state: disabled
      carol:
        full_name: Carol Gone
        vms: [vm-dev-02]
        state: absent
  children:
    dev_vms:
      hosts:
        vm-dev-01: { ansible_host: 10.1.0.11 }
        vm-dev-02: { vm_ip: 10.1.0.12/24, vm_template: tpl-win }
    gpu_vms:
      hosts:
        vm-gpu-01: { vm_id: 3001, gpu_mapping: rtx, vm_os: windows, pve_host: pve1 }
    templates:
      hosts:
        tpl-win: { vm_os: windows }
`;

async function load(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'ns-site-'));
  const file = join(dir, 'site.yml');
  writeFileSync(file, text);
  const inventory = await loadInventory([file]);
  // What secret resolution does before planning: every reference becomes a Secret.
  for (const host of inventory.hosts.values()) {
    const users = host.vars.site_users as Record<string, Record<string, unknown>> | undefined;
    for (const u of Object.values(users ?? {}))
      if (u.password instanceof SecretReference) u.password = new Secret(`pw-${u.full_name}`);
  }
  return { inventory, file, first: [...inventory.hosts.values()][0]! };
}

describe('site model', () => {
  it('builds users with defaults, expands groups to hosts in inventory order, describes the VMs', async () => {
    const { inventory, file, first } = await load(INVENTORY);
    const { site, problems } = await buildSite(inventory, first);
    expect(problems).toEqual([]);
    expect(site.gatewayAddresses).toEqual(['10.0.0.5', 'fd00::5']);
    expect(site.adminNetworks).toEqual(['192.168.1.0/24']);
    const [alice, bob, carol] = site.users;
    expect(alice).toMatchObject({
      login: 'alice',
      fullName: 'Alice Example',
      uid: 2001,
      sso: false,
      sudo: true,
      admin: false,
      groups: ['video'],
      guacamoleGroups: ['developers'],
      vms: ['vm-dev-01', 'vm-gpu-01'],
      state: 'present',
      removeHome: false,
      declaredAt: `${file}:6`,
    });
    expect(alice!.password).toBeInstanceOf(Secret);
    expect(bob).toMatchObject({ sso: true, state: 'disabled', vms: ['vm-dev-01', 'vm-dev-02'], sshKeys: [] });
    expect(bob!.password).toBeUndefined();
    expect(carol).toMatchObject({ state: 'absent', vms: ['vm-dev-02'] });
    expect(site.vms).toEqual([
      { name: 'vm-dev-01', os: 'ubuntu', kind: 'dev', address: '10.1.0.11', rdpPort: 3389 },
      { name: 'vm-dev-02', os: 'windows', kind: 'dev', address: '10.1.0.12', rdpPort: 3389 },
      { name: 'vm-gpu-01', os: 'windows', kind: 'gpu', rdpPort: 3389, pveHost: 'pve1' },
    ]);
    expect(usersOf(site, 'vm-dev-01').map((u) => u.login)).toEqual(['alice', 'bob']);
    expect(usersOf(site, 'vm-dev-02').map((u) => u.login)).toEqual(['bob', 'carol']);
    expect(usersOf(site, 'tpl-win')).toEqual([]);
  });

  it('reports every problem with the file, the line and the user', async () => {
    const bad = INVENTORY.replace('vms: [vm-dev-01, gpu_vms]', 'vms: [vm-dev-01, gpu_vmz]')
      .replace(
        '    site_admin_networks: [192.168.1.0/24]',
        '    site_admin_networks: [admin.example, 10.0.0.0/33]',
      )
      .replace(
        '      bob:\n        full_name: Bob Example\n        sso: true',
        '      Bob.Smith:\n        full_name: Bob Example',
      )
      .replace(
        '        vms: [vm-dev-02]\n        state: absent',
        '        vms: [vm-dev-02]\n        uid: 2001\n        shell: /bin/zsh',
      );
    const { inventory, file, first } = await load(bad);
    const { problems } = await buildSite(inventory, first);
    expect(problems).toEqual([
      `${file}:4: site_admin_networks: "admin.example" is not an IP address or CIDR range (DNS names are not accepted: firewall rules need addresses)`,
      `${file}:4: site_admin_networks: "10.0.0.0/33" has an invalid prefix length /33 (0–32 for IPv4)`,
      `${file}:6: site_users.alice: vms: "gpu_vmz" is neither a host nor a group of the inventory`,
      `${file}:15: site_users.Bob.Smith: the login name "Bob.Smith" is not a valid login name on both Linux and Windows: a lower-case letter, then up to 19 lower-case letters, digits, _ or -`,
      `${file}:15: site_users.Bob.Smith: has no password: give one (password: !secret NAME), or mark the user sso: true`,
      `${file}:19: site_users.carol: unknown key shell`,
    ]);
  });

  it('refuses a plain-text password and a duplicate uid', async () => {
    const bad = INVENTORY.replace('password: !secret alice_password', 'password: hunter22').replace(
      '        vms: [vm-dev-02]\n        state: absent',
      '        vms: [vm-dev-02]\n        uid: 2001',
    );
    const { inventory, file, first } = await load(bad);
    const { problems } = await buildSite(inventory, first);
    expect(problems).toEqual([
      `${file}:6: site_users.alice: password must be a !secret (or !vault) reference, not plain text in the inventory`,
      `${file}:20: site_users.carol: has no password: give one (password: !secret NAME), or mark the user sso: true`,
      `${file}:20: site_users.carol: uid 2001 is also alice's`,
    ]);
    expect(problems.join('\n')).not.toContain('hunter22');
  });

  it('login names and addresses: the rules, one by one', () => {
    for (const ok of ['alice', 'a', 'dev-01', 'j_doe', 'abcdefghijklmnopqrst'])
      expect(loginNameProblem(ok)).toBeUndefined();
    for (const bad of ['Alice', '1alice', 'al.ice', 'al@ce', 'abcdefghijklmnopqrstu', '', 'a b'])
      expect(loginNameProblem(bad)).toMatch(/not a valid login name/);
    for (const reserved of ['root', 'administrator', 'guest', 'xrdp', 'systemd-network'])
      expect(loginNameProblem(reserved)).toMatch(/system or built-in account/);
    for (const ok of ['10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '::1', 'fd00::/64'])
      expect(addressProblem(ok)).toBeUndefined();
    for (const bad of ['gw.example', '10.0.0.1/', '10.0.0.256', '10.0.0.0/8/9', 'fd00::/129', '10.0.0.0/-1'])
      expect(addressProblem(bad)).toBeDefined();
  });
});
