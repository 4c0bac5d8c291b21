/**
 * TLS trust per connection, against throwaway HTTPS servers with openssl-made certificates:
 * a pinned fingerprint accepts exactly that certificate, a wrong one is refused naming both
 * fingerprints, a self-signed certificate without a pin is refused with advice, a CA file
 * verifies chain and name — and NODE_TLS_REJECT_UNAUTHORIZED is never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectProxmox,
  ProxmoxApiError,
  ProxmoxTlsError,
  normalizeFingerprint,
} from '../../lib/proxmox/index.js';
import { Secret } from '../../lib/secret.js';
import { answer, makeCerts, startFakeServer, type CertSet, type FakeServer } from './support.js';

const token = {
  tokenId: 'novastation@pve!site',
  tokenSecret: new Secret('0b5e2f43-7c1d-4d55-9a0e-8f3b1c2d4e5f'),
};
let certs: CertSet;
let selfSigned: FakeServer;
let caSigned: FakeServer;

beforeAll(async () => {
  certs = makeCerts();
  const version = (_: unknown, res: Parameters<typeof answer>[0]) =>
    answer(res, 200, { data: { version: '9.1.3', release: '9.1' } });
  selfSigned = await startFakeServer(certs.selfSigned, (req, res) => version(req, res));
  caSigned = await startFakeServer(certs.leaf, (req, res) => version(req, res));
});
afterAll(async () => {
  await selfSigned?.close();
  await caSigned?.close();
  certs?.cleanup();
});

async function failure(promise: Promise<unknown>): Promise<ProxmoxApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProxmoxApiError);
  return error as ProxmoxApiError;
}

describe('pinned fingerprint', () => {
  it('accepts the pinned certificate (any case, with or without colons)', async () => {
    const loose = certs.selfSigned.fingerprint.replace(/:/g, '').toLowerCase();
    const pve = connectProxmox({ url: selfSigned.url, ...token, fingerprint: loose });
    try {
      expect(await pve.api.version.$get()).toMatchObject({ version: '9.1.3' });
    } finally {
      await pve.close();
    }
  });

  it('refuses another certificate, naming the expected and the actual fingerprint, and sends nothing', async () => {
    const before = selfSigned.received.length;
    const pve = connectProxmox(
      { url: selfSigned.url, ...token, fingerprint: certs.leaf.fingerprint },
      { retry: { baseMs: 1 } },
    );
    try {
      const error = await failure(pve.api.version.$get());
      expect(error.status).toBe(0);
      expect(error.message).toContain(`expected ${certs.leaf.fingerprint}`);
      expect(error.message).toContain(`got ${certs.selfSigned.fingerprint}`);
      expect(error.cause).toBeInstanceOf(ProxmoxTlsError);
      expect(pve.stats.requests).toBe(1); // a TLS refusal is not retried
    } finally {
      await pve.close();
    }
    expect(selfSigned.received.length).toBe(before);
  });

  it('pins per connection: a pinned client does not make another client trust the certificate', async () => {
    const pinned = connectProxmox({
      url: selfSigned.url,
      ...token,
      fingerprint: certs.selfSigned.fingerprint,
    });
    const plain = connectProxmox({ url: selfSigned.url, ...token });
    try {
      await pinned.api.version.$get();
      expect((await failure(plain.api.version.$get())).message).toMatch(/not trusted/);
    } finally {
      await pinned.close();
      await plain.close();
    }
  });

  it('normalises and validates fingerprints', () => {
    expect(normalizeFingerprint(certs.leaf.fingerprint.toLowerCase())).toBe(certs.leaf.fingerprint);
    expect(() => normalizeFingerprint('AA:BB')).toThrow(/not a SHA-256 fingerprint/);
    expect(() => connectProxmox({ url: selfSigned.url, ...token, fingerprint: 'AA:BB' })).toThrow(
      /not a SHA-256 fingerprint/,
    );
  });
});

describe('verification without a pin', () => {
  it('refuses a self-signed certificate with advice on pinning or a CA file', async () => {
    const pve = connectProxmox({ url: selfSigned.url, ...token });
    try {
      const error = await failure(pve.api.version.$get());
      expect(error.status).toBe(0);
      expect(error.message).toMatch(
        /TLS: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT/,
      );
      expect(error.message).toMatch(/pin its SHA-256 fingerprint.*or give caFile/);
      expect(pve.stats.requests).toBe(1);
    } finally {
      await pve.close();
    }
  });

  it('trusts a certificate signed by caFile, and only for the name it was issued for', async () => {
    const byIp = connectProxmox({ url: caSigned.url, ...token, caFile: certs.caFile });
    const byName = connectProxmox({
      url: `https://localhost:${caSigned.port}`,
      ...token,
      caFile: certs.caFile,
    });
    // selfSigned's certificate was not issued by the CA.
    const wrongServer = connectProxmox({ url: selfSigned.url, ...token, caFile: certs.caFile });
    try {
      expect(await byIp.api.version.$get()).toMatchObject({ version: '9.1.3' });
      expect(await byName.api.version.$get()).toMatchObject({ version: '9.1.3' });
      expect((await failure(wrongServer.api.version.$get())).message).toMatch(
        /not trusted.*check that caFile is the CA/,
      );
    } finally {
      await Promise.all([byIp.close(), byName.close(), wrongServer.close()]);
    }
  });

  it('never switches verification off process-wide', () => {
    expect(process.env['NODE_TLS_REJECT_UNAUTHORIZED']).toBeUndefined();
  });

  it('refuses fingerprint and caFile together', () => {
    expect(() =>
      connectProxmox({
        url: selfSigned.url,
        ...token,
        caFile: certs.caFile,
        fingerprint: certs.leaf.fingerprint,
      }),
    ).toThrow(/not both/);
  });
});
