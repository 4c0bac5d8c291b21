/**
 * `host.$` and `host.probe` follow zx's conventions where they fit: the result's shape
 * (`stdout`, `exitCode`, `ok`, `text()`, `lines()`, `json()`), `nothrow`, `timeout` as ms or a
 * duration string, `input` for stdin, and a thrown error carrying the output. Over a local
 * connection (the controller's own long-lived shell), as delegated roles use it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CommandError, Host, secret } from '../../lib/index.js';
import { openLocalConnection } from '../../lib/transport/local.js';

const host = new Host({
  name: 'controller',
  check: false,
  shellType: 'sh',
  connect: () =>
    openLocalConnection(
      { name: 'controller', kind: 'local', address: 'localhost', shellType: 'sh' },
      { connectTimeoutMs: 10_000 },
    ),
});
afterAll(() => host.close());

describe('host.$ in zx style', () => {
  it('returns stdout, exitCode, ok, text(), lines() and json()', async () => {
    const out = await host.probe`printf '%s\n' a 'b c'`;
    expect(out.exitCode).toBe(0);
    expect(out.ok).toBe(true);
    expect(out.stdout).toBe('a\nb c\n');
    expect(out.text()).toBe('a\nb c');
    expect(out.lines()).toEqual(['a', 'b c']);
    expect(String(out)).toBe('a\nb c\n');
    expect((await host.probe`echo '{"n": 2}'`).json()).toEqual({ n: 2 });
    expect((await host.probe`true`).lines()).toEqual([]);
  });

  it('throws an error carrying exitCode, stdout and stderr, or resolves with nothrow', async () => {
    const error = await host.$`echo out; echo err >&2; exit 3`.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    const out = await host.$({ nothrow: true })`exit 4`;
    expect(out.exitCode).toBe(4);
    expect(out.ok).toBe(false);
  });

  it('takes input (a Secret too) on stdin and a timeout as a duration string', async () => {
    expect((await host.$({ input: secret('from-stdin-value') })`cat`).stdout).toBe('from-stdin-value');
    const slow = await host.$({ timeout: '200ms', nothrow: true })`sleep 5`;
    expect(slow.exitCode).toBe(124);
    expect(slow.timedOut).toBe(true);
    await expect(host.$({ timeout: 'soon' as never })`true`).rejects.toThrow(/timeout "soon"/);
  });
});
