// lib/guacamole/client.ts against guac-sim: TLS (pinned, CA, refused), URLs, login errors, session
// expiry, typed errors, retries.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { secret } from '../../lib/secret.js';
import {
  connectionHistory,
  GuacamoleApiError,
  GuacamoleClient,
  GuacamoleLoginError,
  GuacamoleTlsError,
  HISTORY_LIMIT,
} from '../../lib/guacamole/index.js';
import { startGuacSim, type GuacSim } from '../guac-sim/index.js';

const sims: GuacSim[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});
async function sim(options: Parameters<typeof startGuacSim>[0] = {}) {
  const s = await startGuacSim(options);
  sims.push(s);
  return s;
}
const admin = { username: 'guacadmin', password: secret('guacadmin') };
const fast = { attempts: 3, baseMs: 5, maxDelayMs: 10 };
const ZERO = Array(32).fill('00').join(':');

describe('guacamole client', () => {
  it('logs in, learns the data source, and sends the token only in the Guacamole-Token header', async () => {
    const s = await sim();
    const client = new GuacamoleClient({ url: s.url });
    await client.login(admin);
    expect(client.dataSource).toBe('postgresql');
    expect(Object.keys(await client.get<Record<string, unknown>>('/users'))).toEqual(['guacadmin']);
    await client.close();
    const used = s.requests.filter((r) => r.path.startsWith('/api/session'));
    expect(used.map((r) => r.path)).toEqual(['/api/session/data/postgresql/users']);
    expect(used.every((r) => r.tokenVia === 'header' && !('token' in r.query))).toBe(true);
    expect(s.activeSessions()).toBe(0); // close() logged out
  });

  it('verifies TLS: a pinned fingerprint or a CA file; refuses a mismatch or an untrusted certificate before sending anything', async () => {
    const s = await sim({ tls: true });
    const pinned = new GuacamoleClient({ url: s.url, fingerprint: s.fingerprint! });
    await pinned.login(admin);
    await pinned.close();
    const dir = mkdtempSync(join(tmpdir(), 'ns-guac-ca-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), s.caPem!);
      const withCa = new GuacamoleClient({ url: s.url, caFile: join(dir, 'ca.pem') });
      await withCa.login(admin);
      await withCa.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const before = s.requests.length;
    const wrong = await new GuacamoleClient({ url: s.url, fingerprint: ZERO, retry: fast })
      .login(admin)
      .catch((e) => e);
    expect(wrong).toBeInstanceOf(GuacamoleApiError);
    expect((wrong as Error).cause).toBeInstanceOf(GuacamoleTlsError);
    expect(((wrong as Error).cause as GuacamoleTlsError).code).toBe('FINGERPRINT_MISMATCH');
    const untrusted = await new GuacamoleClient({ url: s.url, retry: fast }).login(admin).catch((e) => e);
    expect(((untrusted as Error).cause as GuacamoleTlsError).code).toBe('UNTRUSTED');
    expect(s.requests.length).toBe(before);
  });

  it('accepts HTTPS anywhere and plain HTTP only on loopback', () => {
    expect(() => new GuacamoleClient({ url: 'http://gw.example.org:8080/guacamole' })).toThrow(/not HTTPS/);
    expect(() => new GuacamoleClient({ url: 'http://10.0.0.2/guacamole' })).toThrow(/not HTTPS/);
    expect(() => new GuacamoleClient({ url: 'http://127.0.0.1:8080/guacamole' })).not.toThrow();
    expect(() => new GuacamoleClient({ url: 'http://[::1]:8080/guacamole' })).not.toThrow();
    expect(() => new GuacamoleClient({ url: 'https://gw.example.org/guacamole' })).not.toThrow();
  });

  it('a refused login is a GuacamoleLoginError without the password in it', async () => {
    const s = await sim();
    const error = await new GuacamoleClient({ url: s.url })
      .login({ username: 'guacadmin', password: secret('wrong-pw-3e4r5t') })
      .catch((e) => e);
    expect(error).toBeInstanceOf(GuacamoleLoginError);
    expect(error).toMatchObject({ status: 403, type: 'INVALID_CREDENTIALS' });
    expect(String(error.message)).not.toContain('wrong-pw-3e4r5t');
  });

  it('logs in again once when the session expired; a real 403 stays a 403', async () => {
    const s = await sim();
    const client = new GuacamoleClient({ url: s.url });
    await client.login(admin);
    s.advanceClock(61 * 60_000);
    expect(Object.keys(await client.get<Record<string, unknown>>('/users'))).toEqual(['guacadmin']);
    const logins = () => s.requests.filter((r) => r.method === 'POST' && r.path === '/api/tokens').length;
    expect(logins()).toBe(2);
    await client.write('POST', '/users', { username: 'plain', password: 'pw-plain-1', attributes: {} });
    const user = new GuacamoleClient({ url: s.url });
    await user.login({ username: 'plain', password: secret('pw-plain-1') });
    const denied = await user.write('POST', '/users', { username: 'x', attributes: {} }).catch((e) => e);
    expect(denied).toMatchObject({ status: 403, type: 'PERMISSION_DENIED' });
    const missing = await user.get('/connections/42').catch((e) => e);
    expect(missing).toMatchObject({ status: 404, type: 'NOT_FOUND', notFound: true });
    expect(logins()).toBe(3);
    await user.close();
    await client.close();
  });

  it('retries a GET that could not connect, and says so; no answer at all is status 0', async () => {
    const s = await sim();
    const url = s.url;
    await s.close();
    sims.splice(0);
    const lines: string[] = [];
    const error = await new GuacamoleClient({ url, retry: fast, log: (l) => lines.push(l) })
      .login(admin)
      .catch((e) => e);
    expect(error).toBeInstanceOf(GuacamoleApiError);
    expect(error).toMatchObject({ status: 0, answerLost: false });
    expect(error.message).toMatch(/cannot connect/);
    expect(lines.filter((l) => l.includes('attempt'))).toHaveLength(2);
  });

  it('reads session history and says when the 1,000-record cap may have cut it', async () => {
    const s = await sim();
    for (let i = 0; i < 1005; i++)
      s.recordSession({
        username: i % 3 === 1 ? 'guacadmin' : 'alice',
        connection: `vm-${i % 3}`,
        startDate: 1_000 + i,
      });
    const client = new GuacamoleClient({ url: s.url });
    await client.login(admin);
    const all = await connectionHistory(client);
    expect(all.records).toHaveLength(HISTORY_LIMIT);
    expect(all.truncated).toBe(true);
    expect(all.records[0]!.startDate).toBe(2004);
    // `contains` matches current users' and connections' names (guacadmin exists, alice never did).
    const one = await connectionHistory(client, { contains: 'guacadmin', oldestFirst: true });
    expect(one.records).toHaveLength(335);
    expect(one.truncated).toBe(false);
    expect(one.records[0]!.startDate).toBe(1001);
    await client.close();
  });
});
