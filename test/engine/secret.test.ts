import { describe, expect, it } from 'vitest';
import { processMasker, secret } from '../../lib/secret.js';

describe('secrets and masking', () => {
  it('never prints a secret by accident', () => {
    const s = secret('s3cr3t-value!');
    expect(String(s)).toBe('********');
    expect(JSON.stringify({ s })).toBe('{"s":"********"}');
    expect(`${s}`).not.toContain('s3cr3t');
  });
  it('masks raw, base64, URL-encoded and JSON-escaped forms', () => {
    const raw = 'pa"ss wo/rd+€';
    secret(raw);
    const text = [
      raw,
      Buffer.from(raw).toString('base64'),
      encodeURIComponent(raw),
      JSON.stringify(raw),
    ].join(' | ');
    const masked = processMasker.mask(text);
    expect(masked).not.toContain('pa"ss');
    expect(masked).not.toContain(Buffer.from(raw).toString('base64'));
    expect(masked).not.toContain(encodeURIComponent(raw));
    expect(masked).not.toContain('pa\\"ss');
    expect(masked.match(/\*{8}/g)?.length).toBeGreaterThanOrEqual(4);
  });
  it('masks a large secret (a key file, a certificate bundle) without breaking every other line', () => {
    const big = `-----BEGIN PRIVATE KEY-----\n${'k3Y/+'.repeat(12_000)}\n-----END PRIVATE KEY-----`;
    secret(big);
    const small = 'small-secret-after-the-big-one';
    secret(small);
    expect(processMasker.mask(`a ${big} b ${Buffer.from(big).toString('base64')} c ${small} d`)).toBe(
      'a ******** b ******** c ******** d',
    );
    expect(processMasker.mask('nothing secret here')).toBe('nothing secret here');
  });
});
