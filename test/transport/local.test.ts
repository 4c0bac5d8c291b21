// The shell-session framing, end to end over a real local bash (kind: local).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeTarget,
  openConnection,
  UnreachableError,
  type Connection,
  type ConnectionTarget,
} from '../../lib/transport/index.js';

const settings = { acceptNewHostKeys: false, hostKeyChecking: true, connectTimeoutMs: 10_000 };
const target: ConnectionTarget = { name: 'localhost', kind: 'local', address: 'localhost', shellType: 'sh' };

/** Every process's command line, as `ps` would show it. */
async function allCommandLines(): Promise<string> {
  const lines: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      lines.push((await readFile(`/proc/${pid}/cmdline`)).toString('utf8').replace(/\0/g, ' '));
    } catch {
      // the process ended meanwhile
    }
  }
  return lines.join('\n');
}

describe('local connection', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await openConnection(target, settings);
  });
  afterAll(async () => {
    await conn.close();
  });

  it('describes itself', () => {
    expect(conn.description).toBe('local');
    expect(conn.shellType).toBe('sh');
    expect(describeTarget(target)).toBe('local');
  });

  it('returns stdout, stderr and the exit code exactly, adding no newline', async () => {
    expect(await conn.run("printf 'out'; printf 'err' >&2; exit 3")).toMatchObject({
      stdout: 'out',
      stderr: 'err',
      exitCode: 3,
    });
    expect(await conn.run('echo hello')).toMatchObject({ stdout: 'hello\n', stderr: '', exitCode: 0 });
    expect(await conn.run('true')).toMatchObject({ stdout: '', stderr: '', exitCode: 0 });
  });

  it('passes binary bytes through untouched', async () => {
    const result = await conn.run("printf '\\000\\001\\377\\376\\r\\n\\033[0m'");
    expect(result.stdoutBytes).toEqual(Buffer.from([0, 1, 0xff, 0xfe, 13, 10, 0x1b, 0x5b, 0x30, 0x6d]));
  });

  it('carries ~5 MB of output', async () => {
    const result = await conn.run('yes 0123456789abcdef | head -c 5000000; echo done >&2');
    expect(result.stdoutBytes?.length).toBe(5_000_000);
    const expected = createHash('sha256').update(Buffer.alloc(5_000_000, '0123456789abcdef\n')).digest('hex');
    expect(createHash('sha256').update(result.stdoutBytes!).digest('hex')).toBe(expected);
    expect(result.stderr).toBe('done\n');
  });

  it('is not fooled by output that looks like its markers', async () => {
    const fake = '<<NS.0123456789abcdef0123456789abcdef.1.out:0 0\\n<<NS.x.2.err>><<NS.ready.x>><<NS.';
    const result = await conn.run(`printf '${fake}'; printf '${fake}' >&2; exit 5`);
    expect(result.stdout).toBe(fake.replace('\\n', '\n'));
    expect(result.stderr).toBe(fake.replace('\\n', '\n'));
    expect(result.exitCode).toBe(5);
  });

  it('survives exit, cd, set -e, exec and syntax errors inside a command', async () => {
    const before = (await conn.run('pwd')).stdout;
    expect((await conn.run('exit 7')).exitCode).toBe(7);
    expect((await conn.run('cd /tmp && export NS_LEAK=1 && pwd')).stdout).toBe('/tmp\n');
    expect((await conn.run('pwd; echo "${NS_LEAK:-unset}"')).stdout).toBe(`${before}unset\n`);
    expect((await conn.run('set -e; false; echo not reached')).exitCode).toBe(1);
    expect((await conn.run('exec true')).exitCode).toBe(0);
    const broken = await conn.run('echo "unterminated');
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toContain('unexpected EOF');
    expect(await conn.run("echo 'still here'")).toMatchObject({ stdout: 'still here\n', exitCode: 0 });
  });

  it('gives commands an empty stdin by default, so they cannot eat the next command', async () => {
    expect(await conn.run('cat; echo end')).toMatchObject({ stdout: 'end\n', exitCode: 0 });
  });

  it('sends stdin data, never on a command line, small and large', async () => {
    const secret = `s3cret-${Math.random().toString(36).slice(2)}`;
    // No timing: each command starts a uniquely named marker process and waits until the
    // sampler has seen it, so the sampler is known to have watched the command run however
    // busy the machine is (a fixed `sleep 0.3` was missed under load).
    const dir = await mkdtemp(join(tmpdir(), 'ns-stdin-'));
    const seen = new Set<string>();
    const waiting = new Map<string, string>(); // marker command line → flag file to create
    const watched = (marker: number, body: string) => {
      const flag = join(dir, `seen-${marker}`);
      waiting.set(`sleep ${marker}.5`, flag);
      return `sleep ${marker}.5 & m=$!; until [ -e ${flag} ]; do sleep 0.01; done; kill $m; ${body}`;
    };
    const sampled: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const snapshot = await allCommandLines();
        sampled.push(snapshot);
        for (const [marker, flag] of waiting)
          if (snapshot.includes(marker) && !seen.has(marker)) {
            seen.add(marker);
            await writeFile(flag, '');
          }
      }
    })();
    const base = 100_000 + Math.floor(Math.random() * 800_000);
    const small = await conn.run(watched(base, 'read -r line; printf "%s" "$line" | wc -c'), {
      stdin: `${secret}\n`,
    });
    const bigData = Buffer.concat([
      Buffer.alloc(200_000, 'x'),
      Buffer.from(secret),
      Buffer.from([0, 255, 10]),
    ]);
    const big = await conn.run(watched(base + 1, 'sha256sum'), { stdin: bigData });
    sampling = false;
    await sampler;
    await rm(dir, { recursive: true, force: true });
    expect(small.stdout.trim()).toBe(String(secret.length));
    expect(big.stdout.split(' ')[0]).toBe(createHash('sha256').update(bigData).digest('hex'));
    expect([...seen]).toEqual([`sleep ${base}.5`, `sleep ${base + 1}.5`]); // both seen while running
    for (const snapshot of sampled) expect(snapshot).not.toContain(secret);
  });

  it('passes stdin with no trailing newline and binary bytes exactly', async () => {
    const data = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0x27, 0x5c, 0x24]);
    const result = await conn.run('od -An -tx1 | tr -s " \\n" " "', { stdin: data });
    expect(result.stdout.trim()).toBe('00 01 02 ff fe 0a 0d 27 5c 24');
  });

  it('kills a command at its timeout, with its children, and goes on', async () => {
    const started = Date.now();
    const result = await conn.run('echo started; sleep 31.4159 & sleep 31.4159; echo never', {
      timeoutMs: 400,
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result).toMatchObject({ stdout: 'started\n', exitCode: 124, timedOut: true });
    expect(result.stderr).toMatch(/timed out after 400 ms/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await allCommandLines()).not.toContain('sleep 31.4159');
    expect((await conn.run('echo next')).stdout).toBe('next\n');
  });

  it('kills a command that ignores SIGTERM after the grace period', async () => {
    const result = await conn.run('trap "" TERM; sleep 27.1828', { timeoutMs: 300 });
    expect(result).toMatchObject({ exitCode: 124, timedOut: true });
    expect((await conn.run('echo next', { timeoutMs: 5000 })).stdout).toBe('next\n');
  });

  it('runs a command that finishes in time normally, with stdin, under a timeout', async () => {
    expect(await conn.run('cat; exit 4', { timeoutMs: 5000, stdin: 'abc' })).toMatchObject({
      stdout: 'abc',
      exitCode: 4,
    });
  });

  it('runs 200 sequential commands quickly in one shell', async () => {
    const started = performance.now();
    for (let i = 0; i < 200; i++) expect((await conn.run(`echo ${i}`)).stdout).toBe(`${i}\n`);
    const ms = performance.now() - started;
    console.log(`local: 200 sequential commands in ${ms.toFixed(0)} ms (${(ms / 200).toFixed(1)} ms each)`);
    expect(ms).toBeLessThan(20_000);
  });

  it('queues concurrent calls and runs them one at a time in order', async () => {
    const finished: number[] = [];
    const runs = Array.from({ length: 20 }, (_, i) =>
      conn.run(`echo ${i}; sleep 0.0${i % 3}; echo $$ >/dev/null`).then((r) => {
        finished.push(i);
        return r.stdout;
      }),
    );
    const outputs = await Promise.all(runs);
    expect(outputs).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
    expect(finished).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('local connection failure', () => {
  it('rejects the running and all later commands once the shell dies', async () => {
    const conn = await openConnection(target, settings);
    const killing = conn.run('kill -9 $$');
    const queued = conn.run('echo queued');
    await expect(killing).rejects.toBeInstanceOf(UnreachableError);
    await expect(queued).rejects.toThrow(/shell ended/);
    await expect(conn.run('echo after')).rejects.toBeInstanceOf(UnreachableError);
    await conn.close();
    await conn.close();
  });

  it('closes idempotently and refuses commands afterwards', async () => {
    const conn = await openConnection(target, settings);
    await Promise.all([conn.close(), conn.close()]);
    await expect(conn.run('true')).rejects.toThrow(/connection closed/);
  });

  it('refuses PowerShell targets clearly', async () => {
    await expect(openConnection({ ...target, shellType: 'powershell' }, settings)).rejects.toThrow(
      /PowerShell .* not supported yet/,
    );
  });
});

describe.skipIf(process.getuid?.() !== 0 || !existsSync('/usr/bin/sudo'))('local become (as root)', () => {
  it('runs the shell as the become user through sudo', async () => {
    const conn = await openConnection({ ...target, become: { method: 'sudo', user: 'nobody' } }, settings);
    expect(conn.description).toBe('local (sudo -u nobody)');
    expect((await conn.run('id -un')).stdout).toBe('nobody\n');
    await conn.close();
  });

  it('uses no sudo when already the become user', async () => {
    const conn = await openConnection({ ...target, become: { method: 'sudo', user: 'root' } }, settings);
    expect(conn.description).toBe('local');
    await conn.close();
  });
});
