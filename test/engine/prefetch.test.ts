/**
 * Prefetched reads (lib/host/prefetch.ts, issue 21) over a real local bash: a batch gives every
 * probe exactly the answer the live probe gives (file probes with their stat-ahead and raw
 * content too), answers serve only until the first write, a probe that ends the batch (`exit`)
 * leaves the rest to run live, and the file probe's raw reads fall back for NUL bytes.
 * Not covered here: SSH (the batch is one ordinary command; the host tests run it over SSH).
 */
import { mkdtemp, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../lib/index.js';
import { openLocalConnection } from '../../lib/transport/local.js';
import { batchScript } from '../../lib/host/prefetch.js';
import { statHintsOf } from '../../lib/host/stat.js';
import { fileProbeScript, parseFileProbe, probeFile, script } from '../../tasks/files/file-probe.js';

const newHost = () =>
  new Host({
    name: 'controller',
    check: false,
    shellType: 'sh',
    connect: () =>
      openLocalConnection(
        { name: 'controller', kind: 'local', address: 'localhost', shellType: 'sh' },
        { connectTimeoutMs: 10_000 },
      ),
  });

let dir: string;
const hosts: Host[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ns-prefetch-'));
  await writeFile(join(dir, 'text.conf'), 'a = 1\nb = ü\n\n');
  await writeFile(join(dir, 'nul.bin'), Buffer.from([1, 0, 2, 0x0a, 0xff]));
  await writeFile(join(dir, 'empty'), '');
  await writeFile(join(dir, "it's here"), 'quoted\n');
  await mkdir(join(dir, 'sub'));
  await symlink('text.conf', join(dir, 'link'));
});
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  await rm(dir, { recursive: true, force: true });
});
const host = () => {
  const h = newHost();
  hosts.push(h);
  return h;
};

describe('a prefetched batch', () => {
  it('answers every probe as the live probe does, and counts one round trip', async () => {
    const paths = ['text.conf', 'nul.bin', 'empty', "it's here", 'sub', 'link', 'missing'].map((p) =>
      join(dir, p),
    );
    const probes = paths.flatMap((p) => [
      { command: fileProbeScript(p), inShell: true },
      { command: fileProbeScript(p, { content: 'always' }), inShell: true },
      { command: fileProbeScript(p, { content: { unlessSha256: 'x' } }), inShell: true },
    ]);
    probes.push({ command: 'echo out; echo err >&2; exit 3', inShell: false });
    const live = host();
    const expected = [];
    for (const p of probes) expected.push(await live.probe({ nothrow: true })(script(p.command)));
    const h = host();
    await h.prefetch(probes);
    expect(h.roundTrips).toBe(1);
    for (const [i, p] of probes.entries()) {
      const got = await h.probe({ nothrow: true })(script(p.command));
      expect(got.exitCode).toBe(expected[i]!.exitCode);
      expect(got.stderr).toBe(expected[i]!.stderr);
      if (i < probes.length - 1) {
        const path = paths[Math.floor(i / 3)]!;
        expect(parseFileProbe(path, got.stdoutBytes!)).toEqual(
          parseFileProbe(path, expected[i]!.stdoutBytes!),
        );
      } else expect(got.stdout).toBe('out\n');
    }
    expect(h.roundTrips).toBe(1);
    expect(h.prefetchHits).toBe(probes.length);
  });

  it('stats the hinted paths ahead, in one process, and names only quoted absolute paths', () => {
    const script = fileProbeScript(join(dir, "it's here"));
    expect(statHintsOf(script)).toEqual([`'${join(dir, 'it')}'\\''s here'`]);
    expect(statHintsOf(fileProbeScript('relative/path'))).toEqual([]);
    expect(statHintsOf(": ns-stat '/a'; rm -rf /")).toEqual([]);
    expect(batchScript([{ command: script }]).script).toMatch(/exec stat --printf/);
  });

  it('serves answers only until the first write, and each answer once', async () => {
    const path = join(dir, 'changing');
    await writeFile(path, 'old\n');
    const probe = fileProbeScript(path, { content: 'always' });
    const h = host();
    await h.prefetch([
      { command: probe, inShell: true },
      { command: probe, inShell: true },
    ]);
    expect((await probeFile(h, path, { content: 'always' })).content?.toString()).toBe('old\n');
    await h.$`printf 'new\\n' > ${path}`;
    expect((await probeFile(h, path, { content: 'always' })).content?.toString()).toBe('new\n');
    expect(h.prefetchHits).toBe(1);
    expect(h.roundTrips).toBe(3);
  });

  it('leaves the probes after one that ends the batch to run live', async () => {
    const h = host();
    await h.prefetch([
      { command: 'echo first', inShell: true },
      { command: 'echo ending; exit 4', inShell: true },
      { command: 'echo after', inShell: true },
    ]);
    expect((await h.probe`echo first`).stdout).toBe('first\n');
    expect((await h.probe({ nothrow: true })`echo ending; exit 4`).exitCode).toBe(4);
    expect((await h.probe`echo after`).stdout).toBe('after\n');
    expect(h.prefetchHits).toBe(1);
  });

  it('records what a role read, but never reads with stdin or a timeout', async () => {
    const h = host();
    await h.probe`echo a`;
    await h.probe({ input: 'x' })`cat`;
    await h.probe({ timeout: '10s' })`echo b`;
    await h.$`true`;
    expect(h.takeProbeLog()).toEqual([{ command: 'echo a' }]);
    expect(h.takeProbeLog()).toEqual([]);
  });
});

describe("the file probe's own reads", () => {
  it('sends small files raw and hashes them here; NUL bytes fall back to sha256sum/base64', async () => {
    const h = host();
    const text = await h.probe(script(fileProbeScript(join(dir, 'text.conf'), { content: 'always' })));
    expect(text.stdout).toMatch(/^content-raw 14 always\n/m);
    expect(text.stdout).not.toMatch(/^sha256 /m);
    const nul = await h.probe(script(fileProbeScript(join(dir, 'nul.bin'), { content: 'always' })));
    expect(nul.stdout).not.toMatch(/content-raw/);
    expect(parseFileProbe(join(dir, 'nul.bin'), nul.stdoutBytes!).content).toEqual(
      Buffer.from([1, 0, 2, 0x0a, 0xff]),
    );
    // Content asked for only when it differs: the same bytes are not kept.
    const same = await probeFile(h, join(dir, 'text.conf'), {
      content: { unlessSha256: 'cfb0b1a3f3dd4bc7d4ab73e1c8d0a0f1b7f3ee8e1d0e2b2ee17bca9e4cbe7ff9' },
    });
    const sha = same.stat?.sha256;
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    expect((await probeFile(h, join(dir, 'text.conf'), { content: { unlessSha256: sha! } })).content).toBe(
      undefined,
    );
    expect((await probeFile(h, join(dir, 'text.conf'))).content).toBe(undefined);
  });
});
