// The sync against guac-sim (test/guac-sim: Guacamole's REST API simulated; see its README).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secret } from '../../lib/secret.js';
import { GuacamoleClient, syncGuacamole, GuacamoleSyncConflict } from '../../lib/guacamole/index.js';
import { startGuacSim, type GuacSim } from '../guac-sim/index.js';
import { PASSWORDS, byHand, clientFor, siteModel, syncOptions, user } from './sync-support.js';

let sim: GuacSim;
const lines: string[] = [];
const log = (line: string) => void lines.push(line);

async function run(extra: Parameters<typeof syncOptions>[0] = {}, model = siteModel()) {
  const client = clientFor(sim, log);
  try {
    const result = await syncGuacamole(client, model, syncOptions({ log, ...extra }));
    lines.push(...result.changes, ...result.stale);
    return result;
  } finally {
    await client.close();
  }
}

const writes = () => sim.writes().length;
const connectionByName = (name: string) => [...sim.state.connections.values()].find((c) => c.name === name)!;
const readable = (login: string) =>
  [...(sim.state.users.get(login)?.permissions.connectionPermissions ?? new Map())]
    .filter(([, perms]) => perms.has('READ'))
    .map(([id]) => sim.state.connections.get(id)!.name)
    .sort();

beforeEach(async () => {
  sim = await startGuacSim();
  lines.length = 0;
});
afterEach(async () => {
  // Every request (the sync's and the hand-made ones) was one the simulator knows.
  expect(sim.unhandled).toEqual([]);
  await sim.close();
});

describe('guacamole sync (against guac-sim)', () => {
  it('first run creates exactly the declared users, connections and permissions', async () => {
    const result = await run();
    expect(result.loggedInAs).toBe('guacadmin');
    expect(sim.unhandled).toEqual([]);
    expect([...sim.state.users.keys()].sort()).toEqual(['alice', 'bob', 'carol', 'root']);
    expect(sim.state.users.get('carol')!.disabled).toBe(true);
    expect(sim.state.users.get('root')!.permissions.systemPermissions.has('ADMINISTER')).toBe(true);
    expect(sim.state.users.get('alice')!.permissions.systemPermissions.size).toBe(0);
    expect([...sim.state.userGroups.keys()]).toEqual(['artists']);
    expect([...sim.state.userGroups.get('artists')!.memberUsers]).toEqual(['alice']);
    // Assigned VMs only (vm-spare has no user), grouped by kind.
    const groups = Object.fromEntries(
      [...sim.state.connectionGroups.values()].map((g) => [g.identifier, g.name]),
    );
    expect(
      [...sim.state.connections.values()].map((c) => `${groups[c.parentIdentifier]}/${c.name}`).sort(),
    ).toEqual([
      'Development VMs/vm-dev-01',
      'Development VMs/vm-dev-02',
      'Development VMs/vm-win-01',
      'GPU VMs/vm-gpu-01',
    ]);
    expect(Object.fromEntries(connectionByName('vm-dev-01').parameters)).toEqual({
      hostname: '10.0.10.11',
      port: '3389',
      security: 'tls',
      'ignore-cert': 'true',
      'resize-method': 'display-update',
      username: '${GUAC_USERNAME}',
      password: '${GUAC_PASSWORD}',
    });
    expect(connectionByName('vm-win-01').parameters.get('security')).toBe('nla');
    // READ on exactly their VMs' connections.
    expect(readable('alice')).toEqual(['vm-dev-01', 'vm-gpu-01']);
    expect(readable('bob')).toEqual(['vm-win-01']);
    expect(readable('carol')).toEqual(['vm-dev-02']);
    expect(readable('root')).toContain('vm-dev-01');
  });

  it('a second run sends no write', async () => {
    await run();
    const before = writes();
    const second = await run();
    expect(second.changed).toBe(false);
    expect(second.changes).toEqual([]);
    expect(second.loggedInAs).toBe('root');
    expect(writes()).toBe(before);
  });

  it('after a run the default admin cannot log in (deleted, or disabled when asked)', async () => {
    await run();
    expect((await byHand(sim, 'guacadmin', 'guacadmin')).status).toBe(403);
    expect(sim.state.users.has('guacadmin')).toBe(false);

    await sim.close();
    sim = await startGuacSim();
    await run({ defaultAdmin: { username: 'guacadmin', password: secret('guacadmin'), action: 'disable' } });
    expect(sim.state.users.get('guacadmin')!.disabled).toBe(true);
    expect((await byHand(sim, 'guacadmin', 'guacadmin')).status).toBe(403);
    const again = await run({
      defaultAdmin: { username: 'guacadmin', password: secret('guacadmin'), action: 'disable' },
    });
    expect(again.changes).toEqual([]);
  });

  it('a user sees only their connections (logged in as that user)', async () => {
    await run();
    const alice = await byHand(sim, 'alice', PASSWORDS.alice);
    expect(alice.status).toBe(200);
    const list = await alice.call('GET', '/connections');
    expect(
      Object.values(list.body as Record<string, { name: string }>)
        .map((c) => c.name)
        .sort(),
    ).toEqual(['vm-dev-01', 'vm-gpu-01']);
    const tree = (await alice.call('GET', '/connectionGroups/ROOT/tree')).body as {
      childConnectionGroups: { name: string; childConnections: { name: string }[] }[];
    };
    expect(tree.childConnectionGroups.map((g) => [g.name, g.childConnections.map((c) => c.name)])).toEqual([
      ['Development VMs', ['vm-dev-01']],
      ['GPU VMs', ['vm-gpu-01']],
    ]);
    // Another user's connection does not exist for her.
    expect((await alice.call('GET', `/connections/${connectionByName('vm-win-01').identifier}`)).status).toBe(
      404,
    );
    // The disabled user cannot log in at all.
    expect((await byHand(sim, 'carol', PASSWORDS.carol)).status).toBe(403);
  });

  it('drift made by hand is corrected, and only that is written', async () => {
    await run();
    const admin = await byHand(sim, 'root', PASSWORDS.root);
    const win = connectionByName('vm-win-01');
    const dev1 = connectionByName('vm-dev-01');
    // An admin edits a connection in the UI: the UI's PUT carries the whole object.
    const params = (await admin.call('GET', `/connections/${win.identifier}/parameters`)).body as Record<
      string,
      string
    >;
    expect(
      (
        await admin.call('PUT', `/connections/${win.identifier}`, {
          name: 'vm-win-01 (renamed)',
          parentIdentifier: 'ROOT',
          protocol: 'rdp',
          parameters: { ...params, security: 'any', 'enable-wallpaper': 'true', 'ignore-cert': '' },
          attributes: { 'max-connections': '2' },
        })
      ).status,
    ).toBe(204);
    // Permissions: alice loses one, bob gains one he should not have.
    await admin.call('PATCH', '/users/alice/permissions', [
      { op: 'remove', path: `/connectionPermissions/${dev1.identifier}`, value: 'READ' },
    ]);
    await admin.call('PATCH', '/users/bob/permissions', [
      { op: 'add', path: `/connectionPermissions/${dev1.identifier}`, value: 'READ' },
      { op: 'add', path: '/systemPermissions', value: 'CREATE_USER' },
    ]);
    // bob's account enabled→disabled by hand; alice's password changed by an admin.
    const bob = (await admin.call('GET', '/users/bob')).body as { attributes: Record<string, string | null> };
    await admin.call('PUT', '/users/bob', {
      username: 'bob',
      attributes: { ...bob.attributes, disabled: 'true' },
    });
    await admin.call('PATCH', '/users/alice/userGroups', [{ op: 'remove', path: '/', value: 'artists' }]);

    const check = await run({ check: true });
    const before = writes();
    const fix = await run();
    expect(fix.changes).toEqual(check.changes);
    expect(writes() - before).toBe(fix.changes.length);
    expect(fix.changes.sort()).toEqual(
      [
        'connection vm-win-01: name vm-win-01 (renamed) → vm-win-01, moved to Development VMs, parameter enable-wallpaper true → (unset), parameter ignore-cert (unset) → true, parameter security any → nla',
        'user alice: READ +connection vm-dev-01',
        'user alice: user groups +artists',
        'user bob: READ -connection vm-dev-01',
        'user bob: disabled true → (unset)',
        'user bob: system permissions -CREATE_USER',
      ].sort(),
    );
    const fixed = connectionByName('vm-win-01');
    expect(fixed.parameters.get('security')).toBe('nla');
    expect(fixed.parameters.has('enable-wallpaper')).toBe(false);
    // An attribute NovaStation does not manage is kept.
    expect(fixed.attributes.get('max-connections')).toBe('2');
    expect(readable('alice')).toEqual(['vm-dev-01', 'vm-gpu-01']);
    expect(readable('bob')).toEqual(['vm-win-01']);
    const after = writes();
    expect((await run()).changes).toEqual([]);
    expect(writes()).toBe(after);
  });

  it('check mode sends no write and lists exactly the writes the real run then makes', async () => {
    const check = await run({ check: true });
    expect(writes()).toBe(0);
    expect(sim.state.users.size).toBe(1);
    expect(check.changes.length).toBeGreaterThan(10);
    const real = await run();
    expect(real.changes).toEqual(check.changes);
    expect(writes()).toBe(check.changes.length);
  });

  it('check mode with the webapp not deployed yet lists what a first run on a fresh database sends', async () => {
    const closed = await startGuacSim();
    const url = closed.url;
    await closed.close();
    const client = new GuacamoleClient({ url, retry: { attempts: 1 } });
    const planned = await syncGuacamole(client, siteModel(), syncOptions({ check: true }));
    expect(planned.unreachable).toMatch(/cannot connect/);
    const real = await run();
    expect(planned.changes).toEqual(real.changes);
    expect(writes()).toBe(planned.changes.length);
    // Only in check mode: a real run that cannot reach the webapp fails.
    await expect(
      syncGuacamole(new GuacamoleClient({ url, retry: { attempts: 1 } }), siteModel(), syncOptions()),
    ).rejects.toThrow(/cannot connect/);
  });

  it('prunes its own stale objects only with prune: true, and never touches others', async () => {
    await run();
    const admin = await byHand(sim, 'root', PASSWORDS.root);
    // Objects made by hand: NovaStation must never touch them.
    await admin.call('POST', '/users', { username: 'eve', password: 'x', attributes: {} });
    const manual = (
      await admin.call('POST', '/connections', {
        name: 'manual',
        parentIdentifier: 'ROOT',
        protocol: 'ssh',
        parameters: { hostname: '10.9.9.9' },
        attributes: {},
      })
    ).body as { identifier: string };
    // The site drops bob and alice's GPU VM.
    const smaller = siteModel();
    smaller.users = smaller.users.filter((u) => u.login !== 'bob');
    smaller.users.find((u) => u.login === 'alice')!.vms = ['vm-dev-01'];
    const kept = await run({}, smaller);
    expect(kept.stale.sort()).toEqual([
      'connection group GPU VMs',
      'connection vm-gpu-01',
      'connection vm-win-01',
      'user bob',
    ]);
    expect(sim.state.users.has('bob')).toBe(true);
    expect(connectionByName('vm-gpu-01')).toBeDefined();
    // But alice's READ on it went (exactly her VMs).
    expect(readable('alice')).toEqual(['vm-dev-01']);

    const pruned = await run({ prune: true }, smaller);
    expect(pruned.changes.filter((l) => l.endsWith('(prune)')).sort()).toEqual([
      'connection group GPU VMs: delete (prune)',
      'connection vm-gpu-01: delete (prune)',
      'connection vm-win-01: delete (prune)',
      'user bob: delete (prune)',
    ]);
    expect(sim.state.users.has('bob')).toBe(false);
    expect(sim.state.users.has('eve')).toBe(true);
    expect(sim.state.connections.get(manual.identifier)?.name).toBe('manual');
    expect((await run({ prune: true }, smaller)).changes).toEqual([]);
  });

  it('a same-named object it did not create stops the run before any write', async () => {
    const admin = await byHand(sim, 'guacadmin', 'guacadmin');
    await admin.call('POST', '/users', { username: 'alice', password: 'x', attributes: {} });
    const before = writes();
    await expect(run()).rejects.toThrow(GuacamoleSyncConflict);
    expect(writes()).toBe(before);
    expect(sim.state.users.get('alice')!.password).toBe('x');
  });

  it('a declared-absent user is removed; an SSO user gets no password', async () => {
    await run();
    const model = siteModel();
    model.users.find((u) => u.login === 'bob')!.state = 'absent';
    model.users.push(user('dave', { sso: true, vms: ['vm-dev-02'] }));
    const result = await run({}, model);
    expect(result.changes).toContain('user bob: delete (state: absent)');
    expect(sim.state.users.has('bob')).toBe(false);
    expect(sim.state.users.get('dave')!.password).toBeNull();
    expect(readable('dave')).toEqual(['vm-dev-02']);
  });

  it('a changed password in the inventory is sent again; the admin password set by hand is reset', async () => {
    await run();
    const model = siteModel();
    model.users.find((u) => u.login === 'alice')!.password = secret('Al1ce-new-pw-5t6y');
    expect((await run({}, model)).changes).toEqual(['user alice: password changed']);
    expect((await byHand(sim, 'alice', 'Al1ce-new-pw-5t6y')).status).toBe(200);
    // Someone changes root's password by hand and recreates guacadmin: the next run gets back in
    // through guacadmin, sets root's password, and removes guacadmin again.
    const root = await byHand(sim, 'root', PASSWORDS.root);
    await root.call('POST', '/users', { username: 'guacadmin', password: 'guacadmin', attributes: {} });
    await root.call('PATCH', '/users/guacadmin/permissions', [
      { op: 'add', path: '/systemPermissions', value: 'ADMINISTER' },
    ]);
    await root.call('PUT', '/users/root/password', {
      oldPassword: PASSWORDS.root,
      newPassword: 'changed-by-hand',
    });
    const back = await run({}, model);
    expect(back.loggedInAs).toBe('guacadmin');
    expect(back.changes).toEqual([
      'user root: password changed',
      'user guacadmin: delete (the default administrator)',
    ]);
    expect((await byHand(sim, 'root', PASSWORDS.root)).status).toBe(200);
  });

  it('keeps every secret out of its output and sends the token only in the Guacamole-Token header', async () => {
    const failing = siteModel();
    await run({ check: true });
    await run();
    await run();
    failing.users.find((u) => u.login === 'root')!.password = secret('wrong-root-pw-1a2b');
    sim.state.users.get('guacadmin'); // gone: this run cannot log in at all
    const error = await run({}, failing).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const output = [...lines, String((error as Error).message)].join('\n');
    for (const value of [...Object.values(PASSWORDS), 'wrong-root-pw-1a2b'])
      expect(output).not.toContain(value);
    const tokens = sim.requests.map((r) => r.tokenVia).filter(Boolean);
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.every((t) => t === 'header')).toBe(true);
    // Each run logged out: no session left open.
    expect(sim.activeSessions()).toBe(0);
  });
});
