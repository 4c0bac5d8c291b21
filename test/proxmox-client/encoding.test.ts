/** Request encoding and the pure pieces of retry and task handling, no network. */
import { describe, expect, it } from 'vitest';
import { encodeParams, safePath } from '../../lib/proxmox/encode.js';
import {
  backoffMs,
  classifyNetworkError,
  isLockContention,
  shouldRetry,
  DEFAULT_RETRY,
} from '../../lib/proxmox/retry.js';
import { isTaskSuccess, parseUpid } from '../../lib/proxmox/tasks.js';
import { parseOrigin } from '../../lib/proxmox/client.js';
import { Secret } from '../../lib/secret.js';

describe('encodeParams', () => {
  it('puts POST/PUT parameters in a form body: booleans 1/0, arrays as repeated keys, undefined dropped', () => {
    const { query, body } = encodeParams('POST', {
      command: ['bash', '-c', 'echo a b'],
      full: true,
      start: false,
      vmid: 100,
      skip: undefined,
      none: null,
    });
    expect(query).toBe('');
    expect(body).toBe('command=bash&command=-c&command=echo%20a%20b&full=1&start=0&vmid=100');
    expect(new URLSearchParams(body).getAll('command')).toEqual(['bash', '-c', 'echo a b']);
  });

  it('puts GET/DELETE parameters in the query string and sends no body', () => {
    expect(encodeParams('GET', { type: 'vm' })).toEqual({ query: 'type=vm' });
    expect(encodeParams('DELETE', { purge: true, 'destroy-unreferenced-disks': 1 })).toEqual({
      query: 'purge=1&destroy-unreferenced-disks=1',
    });
    expect(encodeParams('GET', undefined)).toEqual({ query: '' });
    expect(encodeParams('POST', {})).toEqual({ query: '' });
  });

  it('encodes characters that would break the form: = & + ; and line breaks', () => {
    const { body } = encodeParams('PUT', {
      description: 'a=b&c+d;e\nf',
      sshkeys: encodeURIComponent('ssh-ed25519 AAA x@y'),
    });
    expect(new URLSearchParams(body).get('description')).toBe('a=b&c+d;e\nf');
    // sshkeys must arrive urlencoded once more on the wire, so PVE decodes to the encoded form it validates.
    expect(new URLSearchParams(body).get('sshkeys')).toBe('ssh-ed25519%20AAA%20x%40y');
    expect(body).not.toMatch(/\+/);
  });

  it('reveals a Secret only into a body and refuses one in a query string', () => {
    const password = new Secret('pa55-w0rd-hidden');
    expect(encodeParams('POST', { password }).body).toBe('password=pa55-w0rd-hidden');
    expect(() => encodeParams('GET', { password })).toThrow(/secret cannot be sent in a URL query/);
    expect(() => encodeParams('GET', { password })).not.toThrow(/pa55/);
  });

  it('refuses values that would be sent as garbage', () => {
    expect(() => encodeParams('POST', { x: { a: 1 } })).toThrow(/cannot send a value of type object/);
    expect(() => encodeParams('POST', { x: Number.NaN })).toThrow(/not a finite number/);
  });
});

describe('safePath', () => {
  it('encodes what proxmox-api leaves raw, keeps %XX escapes (no double encoding)', () => {
    expect(safePath('/nodes/pve1/storage/local/content/local:iso/a b.iso')).toBe(
      '/nodes/pve1/storage/local/content/local:iso/a%20b.iso',
    );
    expect(safePath('/x/a?b#c')).toBe('/x/a%3Fb%23c');
    expect(safePath('/nodes/pve1/tasks/UPID%3Apve1%3A0001')).toBe('/nodes/pve1/tasks/UPID%3Apve1%3A0001');
    expect(safePath('/x/100%')).toBe('/x/100%25');
  });
});

describe('parseOrigin', () => {
  it('defaults the port to 8006 and keeps an explicit one, even 443', () => {
    expect(parseOrigin('https://pve1.example')).toBe('https://pve1.example:8006');
    expect(parseOrigin('https://PVE1.example:8006/')).toBe('https://pve1.example:8006');
    expect(parseOrigin('https://pve1.example:443')).toBe('https://pve1.example:443');
    expect(parseOrigin('https://[fd00::1]/api2/json')).toBe('https://[fd00::1]:8006');
  });
  it('refuses http and paths', () => {
    expect(() => parseOrigin('http://pve1:8006')).toThrow(/only https/);
    expect(() => parseOrigin('https://pve1:8006/pve')).toThrow(/not a path/);
    expect(() => parseOrigin('pve1:8006')).toThrow(/not a URL/);
  });
});

describe('retry classification', () => {
  const answer = (status: number, message: string) => ({ kind: 'answer' as const, status, message });
  it('retries GETs on network errors and transient 5xx, not on definite answers', () => {
    expect(shouldRetry('GET', { kind: 'lost', reason: 'x' })).toBe(true);
    expect(shouldRetry('GET', answer(500, "can't connect to 10.0.0.2:8006"))).toBe(true);
    expect(shouldRetry('GET', answer(503, 'Service Unavailable'))).toBe(true);
    expect(shouldRetry('GET', answer(596, 'Broken pipe'))).toBe(true);
    expect(
      shouldRetry('GET', answer(500, "Configuration file 'nodes/pve1/qemu-server/101.conf' does not exist")),
    ).toBe(false);
    expect(shouldRetry('GET', answer(501, 'Method not implemented'))).toBe(false);
    expect(shouldRetry('GET', answer(400, 'Parameter verification failed.'))).toBe(false);
    expect(shouldRetry('GET', answer(403, 'Permission check failed'))).toBe(false);
  });
  it('retries writes only when nothing was done', () => {
    expect(shouldRetry('POST', answer(500, 'VM 101 is locked (clone)'))).toBe(true);
    expect(
      shouldRetry('PUT', answer(500, "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout")),
    ).toBe(true);
    expect(shouldRetry('POST', { kind: 'not-sent', reason: 'ECONNREFUSED' })).toBe(true);
    expect(shouldRetry('POST', { kind: 'lost', reason: 'other side closed' })).toBe(false);
    expect(shouldRetry('DELETE', answer(503, 'x'))).toBe(false);
    expect(shouldRetry('POST', answer(596, 'Connection timed out'))).toBe(false);
    expect(
      shouldRetry('POST', answer(500, 'unable to create VM 100 - VM 100 already exists on node pve1')),
    ).toBe(false);
    expect(shouldRetry('GET', { kind: 'final', reason: 'TLS' })).toBe(false);
  });
  it('recognises lock contention messages', () => {
    expect(isLockContention('VM 9000 is locked (clone)\n')).toBe(true);
    expect(
      isLockContention("can't lock file '/var/lock/pve-manager/pve-storage-local-lvm' - got timeout"),
    ).toBe(true);
    expect(isLockContention('VM 9000 is a template')).toBe(false);
  });
  it('classifies network errors by whether the request left', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8006'), { code: 'ECONNREFUSED' }),
    });
    expect(classifyNetworkError(refused).kind).toBe('not-sent');
    const closed = new TypeError('fetch failed', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    expect(classifyNetworkError(closed)).toMatchObject({
      kind: 'lost',
      reason: 'UND_ERR_SOCKET: other side closed',
    });
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(classifyNetworkError(timeout)).toMatchObject({
      kind: 'lost',
      reason: expect.stringMatching(/no answer in time/),
    });
  });
  it('backs off exponentially with jitter, capped', () => {
    const policy = { ...DEFAULT_RETRY, baseMs: 100, maxDelayMs: 1000 };
    expect(backoffMs(1, policy, () => 0)).toBe(50);
    expect(backoffMs(1, policy, () => 1)).toBe(100);
    expect(backoffMs(3, policy, () => 1)).toBe(400);
    expect(backoffMs(10, policy, () => 1)).toBe(1000);
    for (let i = 0; i < 50; i++) {
      expect(backoffMs(2, policy)).toBeGreaterThanOrEqual(100);
      expect(backoffMs(2, policy)).toBeLessThanOrEqual(200);
    }
  });
});

describe('UPIDs and exit statuses', () => {
  it('reads the node and fields from a UPID', () => {
    expect(parseUpid('UPID:pve1:000A1B2C:0012D687:66F0A1B2:qmclone:9000:novastation@pve!site:')).toEqual({
      node: 'pve1',
      pid: 0xa1b2c,
      pstart: 0x12d687,
      starttime: 0x66f0a1b2,
      type: 'qmclone',
      id: '9000',
      user: 'novastation@pve!site',
    });
    expect(parseUpid('UPID:node-2:00001234:123456789:66F0A1B2:download::root@pam:').id).toBe('');
  });
  it('refuses what is not a UPID', () => {
    expect(() => parseUpid('null')).toThrow(/not a Proxmox task id/);
    expect(() => parseUpid('UPID:pve1:zz:1:1:a:b:c:')).toThrow(/not a Proxmox task id/);
  });
  it('counts OK and WARNINGS: n as success, anything else as failure', () => {
    expect(isTaskSuccess('OK')).toBe(true);
    expect(isTaskSuccess('WARNINGS: 2')).toBe(true);
    expect(isTaskSuccess("can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout")).toBe(false);
    expect(isTaskSuccess('unexpected status')).toBe(false);
  });
});
