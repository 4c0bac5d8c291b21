/**
 * The wire behaviour of the client against a scripted HTTPS server: auth headers, typed errors,
 * which requests are retried, answers lost at the worst moment, and secrets kept out of every
 * error and log line. (Proxmox's behaviour itself is the simulator's: see sim.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  connectProxmox,
  ProxmoxApiError,
  type ProxmoxClient,
  type ProxmoxClientOptions,
  type ProxmoxConnection,
} from '../../lib/proxmox/index.js';
import { Secret } from '../../lib/secret.js';
import {
  answer,
  drop,
  makeCerts,
  startFakeServer,
  type CertSet,
  type FakeServer,
  type Handler,
} from './support.js';

const SECRET = '7d2c9a4e-1f3b-4c6d-8e0a-5b9f1d3c7e2a';
const PASSWORD = 'correct-horse-battery-staple';
let certs: CertSet;
let server: FakeServer | undefined;
let client: ProxmoxClient | undefined;
let handler: Handler = (_req, res) => answer(res, 404, { data: null });
const lines: string[] = [];

beforeAll(async () => {
  certs = makeCerts();
});
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
  lines.length = 0;
});
afterAll(() => certs?.cleanup());

async function connect(
  conn: Partial<ProxmoxConnection>,
  options: ProxmoxClientOptions = {},
): Promise<ProxmoxClient> {
  server = await startFakeServer(certs.selfSigned, (req, res) => handler(req, res));
  client = connectProxmox(
    {
      url: server.url,
      fingerprint: certs.selfSigned.fingerprint,
      ...(conn.username ? {} : { tokenId: 'novastation@pve!site', tokenSecret: new Secret(SECRET) }),
      ...conn,
    },
    { retry: { baseMs: 2, maxDelayMs: 10 }, log: (l) => lines.push(l), ...options },
  );
  return client;
}

async function rejection(promise: Promise<unknown>): Promise<ProxmoxApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProxmoxApiError);
  return error as ProxmoxApiError;
}

describe('token auth', () => {
  it('sends PVEAPIToken=<id>=<secret> on every request, no cookie or CSRF header, on port path /api2/json', async () => {
    handler = (_req, res) => answer(res, 200, { data: [{ node: 'pve1', status: 'online' }] });
    const pve = await connect({});
    expect(await pve.api.nodes.$get()).toEqual([{ node: 'pve1', status: 'online' }]);
    const [req] = server!.received;
    expect(req!.path).toBe('/api2/json/nodes');
    expect(req!.headers.authorization).toBe(`PVEAPIToken=novastation@pve!site=${SECRET}`);
    expect(req!.headers.cookie).toBeUndefined();
    expect(req!.headers.csrfpreventiontoken).toBeUndefined();
  });

  it('refuses a malformed token id and never echoes the secret', () => {
    expect(() =>
      connectProxmox({ url: 'https://pve1', tokenId: 'site', tokenSecret: new Secret(SECRET) }),
    ).toThrow(/user@realm!tokenname/);
    expect(() =>
      connectProxmox({
        url: 'https://pve1',
        tokenId: 'a@pve!t',
        tokenSecret: new Secret('bad secret\r\nX: y'),
      }),
    ).toThrow(/spaces\/control characters/);
    expect(() =>
      connectProxmox({
        url: 'https://pve1',
        tokenId: 'a@pve!t',
        tokenSecret: new Secret('bad secret\r\nX: y'),
      }),
    ).not.toThrow(/bad secret/);
  });
});

describe('ticket auth', () => {
  let now = 0;
  let tickets = 0;
  const ticketHandler: Handler = (req, res) => {
    if (req.path === '/api2/json/access/ticket') {
      const form = new URLSearchParams(req.body);
      if (form.get('username') !== 'root@pam' || form.get('password') !== PASSWORD)
        return answer(res, 401, { data: null }, 'authentication failure');
      tickets++;
      return answer(res, 200, {
        data: {
          ticket: `PVE:root@pam:${tickets.toString(16).padStart(8, '0')}::c2lnbmF0dXJl${tickets}`,
          CSRFPreventionToken: `csrf-${tickets}`,
          username: 'root@pam',
        },
      });
    }
    const ticket = /PVEAuthCookie=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (ticket !== `PVE:root@pam:${tickets.toString(16).padStart(8, '0')}::c2lnbmF0dXJl${tickets}`)
      return answer(res, 401, { data: null }, 'invalid PVE ticket');
    if (req.method !== 'GET' && req.headers.csrfpreventiontoken !== `csrf-${tickets}`)
      return answer(res, 401, { data: null }, 'Permission denied - invalid csrf token');
    return answer(res, 200, { data: req.method === 'GET' ? { ok: true } : null });
  };

  it('logs in, sends the cookie, adds CSRFPreventionToken on writes only', async () => {
    tickets = 0;
    handler = ticketHandler;
    const pve = await connect({ username: 'root@pam', password: new Secret(PASSWORD) }, { clock: () => now });
    await pve.api.version.$get();
    await pve.api.nodes.$('pve1').qemu.$(100).config.$put({ cores: 2 });
    const [login, get, put] = server!.received;
    expect(login!.method).toBe('POST');
    expect(login!.path).toBe('/api2/json/access/ticket');
    expect(get!.headers.csrfpreventiontoken).toBeUndefined();
    expect(put!.headers.csrfpreventiontoken).toBe('csrf-1');
    expect(put!.body).toBe('cores=2');
    expect(pve.stats).toEqual({ requests: 3, writes: 1 }); // the login is not counted as a write
  });

  it('logs in again before the 2 h expiry (after 1 h 45 min on the injected clock)', async () => {
    tickets = 0;
    now = 0;
    handler = ticketHandler;
    const pve = await connect({ username: 'root@pam', password: new Secret(PASSWORD) }, { clock: () => now });
    await pve.api.version.$get();
    now += 104 * 60_000;
    await pve.api.version.$get();
    expect(tickets).toBe(1);
    now += 60_000;
    await pve.api.version.$get();
    expect(tickets).toBe(2);
    expect(server!.received.filter((r) => r.path.endsWith('/access/ticket'))).toHaveLength(2);
  });

  it('logs in once more on a 401 and re-sends (a refused ticket means nothing was done)', async () => {
    tickets = 0;
    handler = ticketHandler;
    const pve = await connect({ username: 'root@pam', password: new Secret(PASSWORD) }, { clock: () => now });
    await pve.api.version.$get();
    tickets++; // the server forgets the ticket (e.g. its key was rotated)
    await pve.api.nodes.$('pve1').qemu.$(100).config.$put({ cores: 4 });
    const puts = server!.received.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(2);
    expect(puts[1]!.headers.csrfpreventiontoken).toBe('csrf-3');
    expect(lines.some((l) => /ticket refused \(401\); logging in again/.test(l))).toBe(true);
  });

  it('reports a refused login without the password', async () => {
    handler = ticketHandler;
    const pve = await connect({ username: 'root@pam', password: new Secret('wrong-password-123') });
    const error = await rejection(pve.api.version.$get());
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/login as root@pam refused: authentication failure/);
    expect(JSON.stringify({ m: error.message, s: error.stack, lines })).not.toContain('wrong-password-123');
    expect(server!.received).toHaveLength(1); // a wrong password is not retried, nor the request sent
  });
});

describe('errors', () => {
  it('turns a 400 into a typed error with per-parameter errors', async () => {
    handler = (_req, res) =>
      answer(
        res,
        400,
        {
          data: null,
          errors: { vmid: 'VM 100 already exists', memory: "type check ('integer') failed - got 'lots'" },
        },
        'Parameter verification failed.',
      );
    const pve = await connect({});
    const error = await rejection(pve.api.cluster.nextid.$get({ vmid: 100 }));
    expect(error).toMatchObject({
      status: 400,
      method: 'GET',
      path: '/cluster/nextid',
      pveMessage: 'Parameter verification failed.',
      errors: { vmid: 'VM 100 already exists' },
    });
    expect(error.message).toBe(
      "Proxmox GET /cluster/nextid failed: 400 Parameter verification failed. (vmid: VM 100 already exists; memory: type check ('integer') failed - got 'lots')",
    );
    expect(pve.stats.requests).toBe(1);
  });

  it("takes Proxmox's message from the body (pve-http-server >= 5.2) or else the reason phrase", async () => {
    let withBody = true;
    handler = (_req, res) =>
      answer(
        res,
        500,
        withBody ? { data: null, message: 'VM 101 not running\n' } : { data: null },
        'VM 101 not running',
      );
    const pve = await connect({});
    expect((await rejection(pve.api.nodes.$('pve1').qemu.$(101).agent.ping.$post())).pveMessage).toBe(
      'VM 101 not running',
    );
    withBody = false;
    expect((await rejection(pve.api.nodes.$('pve1').qemu.$(101).agent.ping.$post())).pveMessage).toBe(
      'VM 101 not running',
    );
  });

  it('keeps the secrets out of error messages, even when Proxmox echoes a value back', async () => {
    const cipassword = new Secret('s3cret-cloud-init-pw');
    handler = (_req, res) =>
      answer(
        res,
        400,
        { data: null, errors: { cipassword: "value 's3cret-cloud-init-pw' is too short" } },
        'Parameter verification failed.',
      );
    const pve = await connect({});
    const error = await rejection(
      pve.api.nodes
        .$('pve1')
        .qemu.$(101)
        .config.$put({ cipassword: cipassword as unknown as string }),
    );
    expect(new URLSearchParams(server!.received[0]!.body).get('cipassword')).toBe('s3cret-cloud-init-pw');
    const everything = JSON.stringify({
      message: error.message,
      stack: error.stack,
      errors: error.errors,
      lines,
    });
    expect(everything).not.toContain('s3cret-cloud-init-pw');
    expect(everything).not.toContain(SECRET);
    expect(error.errors?.['cipassword']).toBe("value '********' is too short");
  });
});

describe('retries', () => {
  it('retries a write refused for lock contention, with backoff, until it goes through', async () => {
    let calls = 0;
    handler = (_req, res) =>
      ++calls < 3
        ? answer(res, 500, { data: null, message: 'VM 9000 is locked (clone)' }, 'VM 9000 is locked (clone)')
        : answer(res, 200, {
            data: 'UPID:pve1:00000001:00000001:66F0A1B2:qmclone:9000:novastation@pve!site:',
          });
    const pve = await connect({});
    expect(await pve.api.nodes.$('pve1').qemu.$(9000).clone.$post({ newid: 2001 })).toMatch(/^UPID:/);
    expect(server!.received.map((r) => r.method)).toEqual(['POST', 'POST', 'POST']);
    expect(lines.filter((l) => /locked \(clone\); attempt \d\/6/.test(l))).toHaveLength(2);
  });

  it('gives up on lock contention after the configured attempts with the typed error', async () => {
    handler = (_req, res) =>
      answer(res, 500, {
        data: null,
        message: "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout",
      });
    const pve = await connect({}, { retry: { attempts: 3, baseMs: 1 } });
    const error = await rejection(pve.api.nodes.$('pve1').qemu.$(101).config.$put({ cores: 2 }));
    expect(error.status).toBe(500);
    expect(server!.received).toHaveLength(3);
  });

  it('never re-sends a create whose answer was lost: status 0, answerLost, one create received', async () => {
    handler = (req, res) => (req.method === 'POST' ? drop(res) : answer(res, 200, { data: [] }));
    const pve = await connect({});
    const error = await rejection(pve.api.nodes.$('pve1').qemu.$post({ vmid: 2001, name: 'vm-dev-01' }));
    expect(error).toMatchObject({ status: 0, answerLost: true, method: 'POST', path: '/nodes/pve1/qemu' });
    expect(error.message).toMatch(/answer lost .*state unknown, re-read/);
    expect(server!.received.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(pve.stats.writes).toBe(1);
  });

  it('treats a timeout as a lost answer for writes, and retries a GET that timed out', async () => {
    let gets = 0;
    handler = (req, res) => {
      if (req.method === 'GET' && ++gets > 1) return answer(res, 200, { data: [] });
      // no answer at all: the client's request timeout fires
    };
    const pve = await connect({}, { requestTimeoutMs: 150 });
    expect(await pve.api.nodes.$get()).toEqual([]);
    expect(gets).toBe(2);
    const error = await rejection(pve.api.nodes.$('pve1').qemu.$(100).status.start.$post());
    expect(error.answerLost).toBe(true);
    expect(error.message).toMatch(/no answer in time/);
    expect(server!.received.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('retries a GET whose connection dropped, and a GET answered 503', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      if (calls === 1) return drop(res);
      if (calls === 2) return answer(res, 503, { data: null }, 'Service Unavailable');
      return answer(res, 200, { data: { version: '9.1.3' } });
    };
    const pve = await connect({});
    expect(await pve.api.version.$get()).toEqual({ version: '9.1.3' });
    expect(calls).toBe(3);
  });

  it('retries even a write when the connection could not be opened (nothing was sent)', async () => {
    const pve = await connect({}, { retry: { attempts: 2, baseMs: 1 } });
    await server!.close();
    const error = await rejection(pve.api.nodes.$('pve1').qemu.$post({ vmid: 2001 }));
    expect(error).toMatchObject({ status: 0, answerLost: false });
    expect(error.message).toMatch(/cannot connect \(ECONNREFUSED/);
    expect(pve.stats.requests).toBe(2);
  });
});

describe('uploadFile', () => {
  it('sends a multipart body (content first, the file part last) with the token, and returns the UPID', async () => {
    handler = (_req, res) =>
      answer(res, 200, { data: 'UPID:pve1:00000002:00000002:66F0A1B2:imgcopy::novastation@pve!site:' });
    const pve = await connect({});
    const data = new Uint8Array([0x43, 0x44, 0x30, 0x30, 0x31, 0x00, 0xff]);
    expect(await pve.uploadFile('pve1', 'local', { content: 'iso', filename: 'answer.iso', data })).toMatch(
      /^UPID:pve1:.*:imgcopy:/,
    );
    const [req] = server!.received;
    expect(req!.path).toBe('/api2/json/nodes/pve1/storage/local/upload');
    expect(req!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(req!.headers.authorization).toBe(`PVEAPIToken=novastation@pve!site=${SECRET}`);
    const contentAt = req!.body.indexOf('name="content"\r\n\r\niso\r\n');
    const fileAt = req!.body.indexOf('name="filename"; filename="answer.iso"');
    expect(contentAt).toBeGreaterThan(-1);
    expect(fileAt).toBeGreaterThan(contentAt);
    expect(pve.stats.writes).toBe(1);
  });

  it('does not re-send an upload whose answer was lost', async () => {
    handler = (_req, res) => drop(res);
    const pve = await connect({});
    const error = await rejection(
      pve.uploadFile('pve1', 'local', { content: 'iso', filename: 'answer.iso', data: new Uint8Array(10) }),
    );
    expect(error.answerLost).toBe(true);
    expect(server!.received).toHaveLength(1);
  });
});
