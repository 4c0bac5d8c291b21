// guac-sim's own rules, checked with plain fetch (not the product's client).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAXIMUM_HISTORY_SIZE, startGuacSim, type GuacSim } from './index.js';

let sim: GuacSim;
beforeEach(async () => {
  sim = await startGuacSim();
});
afterEach(async () => {
  await sim.close();
});

async function login(username: string, password: string) {
  const res = await fetch(`${sim.url}/api/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

function caller(token: string, via: 'header' | 'query' = 'header') {
  return async (method: string, path: string, body?: unknown) => {
    const q = via === 'query' ? `?token=${token}` : '';
    const res = await fetch(`${sim.url}/api/session/data/postgresql${path}${q}`, {
      method,
      headers: {
        ...(via === 'header' ? { 'guacamole-token': token } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
  };
}

async function admin() {
  return caller((await login('guacadmin', 'guacadmin')).body.authToken);
}

describe('guac-sim', () => {
  it('tokens: form login, data sources, header or query (header wins), idle expiry, logout', async () => {
    const grant = await login('guacadmin', 'guacadmin');
    expect(grant.status).toBe(200);
    expect(grant.body).toMatchObject({ username: 'guacadmin', dataSource: 'postgresql' });
    expect(grant.body.authToken).toMatch(/^[0-9A-F]{64}$/);
    expect((await caller(grant.body.authToken, 'query')('GET', '/users')).status).toBe(200);
    expect((await caller(grant.body.authToken)('GET', '/users')).status).toBe(200);
    const both = await fetch(`${sim.url}/api/session/data/postgresql/users?token=${grant.body.authToken}`, {
      headers: { 'guacamole-token': 'WRONG' },
    });
    expect(both.status).toBe(403);
    sim.advanceClock(59 * 60_000);
    expect((await caller(grant.body.authToken)('GET', '/self')).status).toBe(200); // activity resets it
    sim.advanceClock(61 * 60_000);
    const expired = await caller(grant.body.authToken)('GET', '/self');
    expect(expired).toMatchObject({ status: 403, body: { type: 'PERMISSION_DENIED' } });
    const again = (await login('guacadmin', 'guacadmin')).body.authToken as string;
    expect((await fetch(`${sim.url}/api/tokens/${again}`, { method: 'DELETE' })).status).toBe(204);
    expect((await caller(again)('GET', '/self')).status).toBe(403);
    expect((await caller(grant.body.authToken)('GET', '/no-such-thing')).status).toBe(404);
    expect(
      (await fetch(`${sim.url}/api/session/data/mysql/users`, { headers: { 'guacamole-token': again } }))
        .status,
    ).toBe(404);
  });

  it('a wrong password, an unknown user and a disabled user get the same 403 Invalid login', async () => {
    const call = await admin();
    await call('POST', '/users', { username: 'dis', password: 'pw-dis-1', attributes: { disabled: 'true' } });
    for (const [u, p] of [
      ['guacadmin', 'nope'],
      ['nobody', 'x'],
      ['dis', 'pw-dis-1'],
    ]) {
      const r = await login(u!, p!);
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ type: 'INVALID_CREDENTIALS', message: 'Invalid login.' });
    }
  });

  it('PUT replaces the whole connection; empty parameters are not stored; names unique per group', async () => {
    const call = await admin();
    const made = await call('POST', '/connections', {
      name: 'c1',
      parentIdentifier: 'ROOT',
      protocol: 'rdp',
      parameters: { hostname: 'h', port: '3389', 'ignore-cert': '', security: 'tls' },
      attributes: { 'max-connections': '3', custom: 'x' },
    });
    expect(made.status).toBe(200);
    const id = made.body.identifier as string;
    expect((await call('GET', `/connections/${id}/parameters`)).body).toEqual({
      hostname: 'h',
      port: '3389',
      security: 'tls',
    });
    expect(
      (
        await call('PUT', `/connections/${id}`, {
          name: 'c1',
          parentIdentifier: 'ROOT',
          protocol: 'rdp',
          parameters: { hostname: 'h2' },
          attributes: {},
        })
      ).status,
    ).toBe(204);
    expect((await call('GET', `/connections/${id}/parameters`)).body).toEqual({ hostname: 'h2' });
    // Schema attributes left out are cleared; arbitrary ones left out are kept, null removes them.
    expect((await call('GET', `/connections/${id}`)).body.attributes).toMatchObject({
      'max-connections': null,
      custom: 'x',
    });
    await call('PUT', `/connections/${id}`, {
      name: 'c1',
      parentIdentifier: 'ROOT',
      protocol: 'rdp',
      attributes: { custom: null },
    });
    expect((await call('GET', `/connections/${id}`)).body.attributes.custom).toBeUndefined();
    const dup = await call('POST', '/connections', { name: 'c1', parentIdentifier: 'ROOT', protocol: 'rdp' });
    expect(dup).toMatchObject({
      status: 400,
      body: { type: 'BAD_REQUEST', message: 'The connection "c1" already exists.' },
    });
    const group = (
      await call('POST', '/connectionGroups', { name: 'g', parentIdentifier: 'ROOT', type: 'ORGANIZATIONAL' })
    ).body;
    expect(
      (
        await call('POST', '/connections', {
          name: 'c1',
          parentIdentifier: group.identifier,
          protocol: 'rdp',
        })
      ).status,
    ).toBe(200);
  });

  it('403 for what a user can see but not change, 404 for what it cannot see', async () => {
    const call = await admin();
    await call('POST', '/users', { username: 'u1', password: 'pw-u1-1', attributes: {} });
    const a = (
      await call('POST', '/connections', {
        name: 'a',
        parentIdentifier: 'ROOT',
        protocol: 'rdp',
        parameters: { password: 'p' },
      })
    ).body;
    const b = (await call('POST', '/connections', { name: 'b', parentIdentifier: 'ROOT', protocol: 'rdp' }))
      .body;
    await call('PATCH', '/users/u1/permissions', [
      { op: 'add', path: `/connectionPermissions/${a.identifier}`, value: 'READ' },
    ]);
    const u1 = caller((await login('u1', 'pw-u1-1')).body.authToken);
    expect(Object.keys((await u1('GET', '/connections')).body)).toEqual([a.identifier]);
    expect((await u1('GET', `/connections/${b.identifier}`)).status).toBe(404);
    expect((await u1('DELETE', `/connections/${b.identifier}`)).status).toBe(404);
    expect((await u1('DELETE', `/connections/${a.identifier}`)).status).toBe(403);
    expect((await u1('GET', `/connections/${a.identifier}/parameters`)).status).toBe(403);
    expect((await u1('POST', '/users', { username: 'x', attributes: {} })).status).toBe(403);
    expect(Object.keys((await u1('GET', '/users')).body)).toEqual(['u1']);
  });

  it('a permission patch is applied whole or not at all', async () => {
    const call = await admin();
    await call('POST', '/users', { username: 'u2', attributes: {} });
    const c = (await call('POST', '/connections', { name: 'c', parentIdentifier: 'ROOT', protocol: 'rdp' }))
      .body;
    const bad = await call('PATCH', '/users/u2/permissions', [
      { op: 'add', path: `/connectionPermissions/${c.identifier}`, value: 'READ' },
      { op: 'add', path: '/connectionPermissions/999', value: 'READ' },
    ]);
    expect(bad.status).toBe(400);
    expect((await call('GET', '/users/u2/permissions')).body.connectionPermissions).toEqual({});
    expect(
      (
        await call('PATCH', '/users/u2/permissions', [
          { op: 'replace', path: '/systemPermissions', value: 'ADMINISTER' },
        ])
      ).status,
    ).toBe(400);
  });

  it(`history: newest first, at most ${MAXIMUM_HISTORY_SIZE} records, users see only their own`, async () => {
    const call = await admin();
    await call('POST', '/users', { username: 'u3', password: 'pw-u3-1', attributes: {} });
    for (let i = 0; i < 1200; i++)
      sim.recordSession({
        username: i % 2 ? 'u3' : 'someone',
        connection: `c${i}`,
        startDate: 1_000_000 + i,
      });
    const all = (await call('GET', '/history/connections')).body as {
      connectionName: string;
      username: string;
    }[];
    expect(all).toHaveLength(MAXIMUM_HISTORY_SIZE);
    expect(all[0]!.connectionName).toBe('c1199');
    // A term matches the current user's name (u3 exists; "someone" never did), not the record's own.
    expect((await call('GET', '/history/connections?contains=u3')).body).toHaveLength(600);
    expect((await call('GET', '/history/connections?contains=someone')).body).toHaveLength(0);
    const u3 = caller((await login('u3', 'pw-u3-1')).body.authToken);
    const own = (await u3('GET', '/history/connections')).body as { username: string }[];
    expect(own).toHaveLength(600);
    expect(own.every((r) => r.username === 'u3')).toBe(true);
    const logins = (await call('GET', '/history/users')).body as { username: string }[];
    expect(logins.map((r) => r.username)).toContain('u3');
  });

  it('nobody deletes itself; a deleted user loses its sessions', async () => {
    const call = await admin();
    expect((await call('DELETE', '/users/guacadmin')).status).toBe(400);
    await call('POST', '/users', { username: 'u4', password: 'pw-u4-1', attributes: {} });
    const u4 = caller((await login('u4', 'pw-u4-1')).body.authToken);
    expect((await u4('GET', '/self')).status).toBe(200);
    expect((await call('DELETE', '/users/u4')).status).toBe(204);
    expect((await u4('GET', '/self')).status).toBe(403);
  });
});

describe('guac-sim with a state file', () => {
  it('keeps users, connections and permissions across a restart, as the database does', async () => {
    const { mkdtempSync, rmSync, statSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'guac-sim-state-'));
    const stateFile = join(dir, 'state.json');
    try {
      await sim.close();
      sim = await startGuacSim({ stateFile });
      const call = await admin();
      await call('POST', '/users', {
        username: 'kept',
        password: 'pw-kept-1',
        attributes: { novastation: 'user' },
      });
      const c = (
        await call('POST', '/connections', {
          name: 'c',
          parentIdentifier: 'ROOT',
          protocol: 'rdp',
          parameters: { hostname: 'h' },
        })
      ).body;
      await call('PATCH', '/users/kept/permissions', [
        { op: 'add', path: `/connectionPermissions/${c.identifier}`, value: 'READ' },
      ]);
      expect(statSync(stateFile).mode & 0o777).toBe(0o600);
      await sim.close();
      sim = await startGuacSim({ stateFile });
      expect((await login('kept', 'pw-kept-1')).status).toBe(200);
      expect(sim.state.users.get('kept')!.attributes.get('novastation')).toBe('user');
      expect(
        sim.state.users.get('kept')!.permissions.connectionPermissions.get(c.identifier)?.has('READ'),
      ).toBe(true);
      expect(sim.state.connections.get(c.identifier)!.parameters.get('hostname')).toBe('h');
      // Sessions are not kept (the webapp holds them in memory): the old token is refused.
      expect((await call('GET', '/self')).status).toBe(403);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('guac-sim history search terms (ActivityRecordSearchTerm)', () => {
  it('a year, month or day term matches the start date in the server time zone; several terms all match', async () => {
    // UTC+14: 2026-03-01 10:00 UTC is already 2026-03-02 there.
    const s = await startGuacSim({ timeZone: 'Pacific/Kiritimati' });
    try {
      const token = (
        await (
          await fetch(`${s.url}/api/tokens`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: 'username=guacadmin&password=guacadmin',
          })
        ).json()
      ).authToken as string;
      const get = async (query: string) =>
        (await (
          await fetch(`${s.url}/api/session/data/postgresql/history/connections?${query}`, {
            headers: { 'Guacamole-Token': token },
          })
        ).json()) as { identifier: string }[];
      s.recordSession({ username: 'guacadmin', connection: 'a', startDate: Date.UTC(2026, 2, 1, 10) });
      s.recordSession({ username: 'gone', connection: 'b', startDate: Date.UTC(2026, 2, 1, 9) });
      s.recordSession({ username: 'gone', connection: 'c', startDate: Date.UTC(2025, 11, 31, 9) });
      expect(await get('contains=2026-03-02')).toHaveLength(1);
      expect(await get('contains=2026-03-01')).toHaveLength(1);
      expect(await get('contains=2026-3')).toHaveLength(2);
      expect(await get('contains=2026')).toHaveLength(2);
      expect(await get('contains=2025')).toHaveLength(1);
      expect(await get('contains=2026&contains=guacadmin')).toHaveLength(1);
      expect(await get('contains=2026&contains=gone')).toHaveLength(0);
      // Not a date, not a current name: the remote host is not searched.
      expect(await get('contains=127.0.0.1')).toHaveLength(0);
    } finally {
      await s.close();
    }
  });
});
