// Bad input for the users task: refused before any request, naming the file (where the site user
// was declared) and the field (exit 4 through InvalidInputError).
import { describe, expect, it } from 'vitest';
import { ExitCode, InvalidInputError } from '../../lib/errors.js';
import { checkUsersInput, usersDefaults, type UsersVars } from '../../roles/guacamole/users.js';
import { siteModel, user } from './sync-support.js';

const vars = (extra: Partial<UsersVars> = {}) => ({ ...usersDefaults, ...extra }) as UsersVars;

describe('guacamole users: planning-time checks', () => {
  it('accepts the example site', () => {
    expect(checkUsersInput(siteModel(), vars())).toEqual([]);
  });

  it('a connection for a VM with no address names the file, the user and the VM', () => {
    const model = siteModel();
    model.vms.find((v) => v.name === 'vm-win-01')!.address = undefined;
    model.users.find((u) => u.login === 'bob')!.declaredAt = 'inventory/group_vars/all.yml:31';
    const [problem, ...rest] = checkUsersInput(model, vars());
    expect(rest).toEqual([]);
    expect(problem).toBeInstanceOf(InvalidInputError);
    expect(problem!.exitCode).toBe(ExitCode.invalidInput);
    expect(problem!.message).toBe(
      'inventory/group_vars/all.yml:31 at site_users.bob.vms: vm-win-01 has no address for its Guacamole connection (set ansible_host or vm_ip on host vm-win-01)',
    );
  });

  it('a user who is not SSO and has no password; no usable admin; a URL that is not HTTPS', () => {
    const model = siteModel();
    model.users.push(user('dave', { vms: ['vm-dev-01'] }));
    expect(checkUsersInput(model, vars()).map((p) => p.message)).toEqual([
      'inventory/site.yml:10 at site_users.dave.password: required for a user who does not sign in through SSO',
    ]);
    model.users.push(user('erin', { sso: true, vms: ['vm-dev-01'] }));
    expect(checkUsersInput(model, vars()).map((p) => p.message)).toHaveLength(1);
    expect(
      checkUsersInput(
        siteModel(),
        vars({ guacamole_admin: 'alice', guacamole_url: 'http://10.0.0.2:8080/guacamole' }),
      ).map((p) => p.message),
    ).toEqual([
      "at guacamole_url: guacamole_url: http://10.0.0.2:8080 is not HTTPS; plain HTTP is accepted only to the gateway's loopback (127.0.0.1, ::1, localhost)",
      'inventory/site.yml:10 at site_users.alice.admin: guacamole_admin names alice, who must be present, with admin: true and a password',
    ]);
  });
});
