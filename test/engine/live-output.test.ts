/**
 * Live output on a terminal (issue 10 §3), under a real pseudo-terminal (`script`), checked in
 * what the terminal received. No timing: each task of the `live` role waits until this test has
 * seen on the terminal what it must show at that point, so "as it happens" is proven by order.
 * `script -qfec` without a terminal behind it gives a pty that reports 0 columns and 0 rows.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { playbookBin, repoRoot } from '../support/cli.js';

const PLAYBOOK = 'test/engine/fixtures/habits.ts';
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

describe('live output on a terminal', () => {
  it('shows the running task and each finished result as it happens, at a sane width on a size-less pty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-live-'));
    const inventory = join(dir, 'hosts.yml');
    writeFileSync(inventory, `all:\n  hosts:\n    h1: { live_dir: "${dir}" }\n`);
    const command = [playbookBin, PLAYBOOK, '-i', inventory, '--role', 'live'].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: '', COLUMNS: '', LINES: '' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const closed = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    /** Waits until the terminal has shown `pattern` (a hang guard, not a timed assertion). */
    const shown = async (pattern: RegExp) => {
      const deadline = Date.now() + 60_000;
      while (!pattern.test(plain(out)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return pattern.test(plain(out));
    };

    // While the first task runs, the host's line names it (it said "waiting" throughout before).
    expect(await shown(/h1\s+running live: first step/), plain(out)).toBe(true);
    writeFileSync(join(dir, 'first'), '');
    // Its result appears while the second task is still running, not at the end of the play.
    expect(await shown(/changed: live: first step — first step made its change/), plain(out)).toBe(true);
    expect(await shown(/h1\s+running live: second step/), plain(out)).toBe(true);
    writeFileSync(join(dir, 'second'), '');
    expect(await closed, plain(out)).toBe(0);

    const text = plain(out);
    expect(text).toContain('PLAY RECAP');
    expect(text).toMatch(/h1\s+: ok=2\s+changed=1/);
    // Not one character per line: no run of short lines (the size-less pty bug).
    const lines = text.split('\n');
    const short = lines.filter((l) => l.trim().length === 1).length;
    expect(short, text).toBeLessThan(3);
    expect(lines.some((l) => /h1\s+done\s+\[ok=2 changed=1 failed=0 skipped=0\]/.test(l))).toBe(true);
  });

  it('with --json on a terminal, the live list goes to stderr and stdout carries only the JSON events', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-live-json-'));
    const events = join(dir, 'events.jsonl');
    const command = `${[playbookBin, PLAYBOOK, '-i', 'h1,', '--role', 'typed', '--json'].map((a) => `'${a}'`).join(' ')} > '${events}'`;
    const r = spawnSync('script', ['-qfec', command, '/dev/null'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, CI: '' },
      timeout: 60_000,
    });
    expect(r.status, r.stdout).toBe(0);
    expect(plain(r.stdout)).toMatch(/h1\s+done/); // the live list, on the terminal (stderr)
    const lines = readFileSync(events, 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['task', 'recap']);
  });
});
