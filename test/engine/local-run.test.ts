/**
 * The engine over local connections: facts, controller delegation for hosts that cannot be
 * reached, throttles and named locks across hosts, Ctrl-C, and the TTY renderer.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { playbookBin, repoRoot, runCli, taskEvents } from '../support/cli.js';

const PLAYBOOK = 'test/fixtures/local/playbook.ts';

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'ns-local-'));
  const inventory = join(dir, 'hosts.yml');
  writeFileSync(
    inventory,
    [
      'all:',
      `  vars: { work_dir: "${dir}" }`,
      '  children:',
      '    machine:',
      '      hosts:',
      '        m1: { ansible_connection: local }',
      '        m2: { ansible_connection: local }',
      '        m3: { ansible_connection: local }',
      '    ghosts:',
      '      hosts:',
      // Never connected to: the role runs on the controller. .invalid cannot resolve.
      '        vm-ghost-01: { ansible_host: vm-ghost-01.invalid }',
      '        vm-ghost-02: { ansible_host: vm-ghost-02.invalid }',
      '',
    ].join('\n'),
  );
  return { dir, inventory };
}

/** Intervals [start, end] per host from `name.log`; true when no two overlap. */
function serialised(dir: string, name: string): boolean {
  const lines = readFileSync(join(dir, `${name}.log`), 'utf8')
    .trim()
    .split('\n');
  const spans = new Map<string, number[]>();
  for (const line of lines) {
    const [host, , at] = line.split(' ');
    spans.set(host!, [...(spans.get(host!) ?? []), Number(at)]);
  }
  const sorted = [...spans.values()].sort((a, b) => a[0]! - b[0]!);
  return sorted.length === 3 && sorted.every((s, i) => i === 0 || s[0]! >= sorted[i - 1]![1]!);
}

describe('engine over local connections', () => {
  it('gathers facts, delegates to the controller, honours throttle and named locks', async () => {
    const { dir, inventory } = workspace();
    const r = await runCli([PLAYBOOK, '-i', inventory, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const facts = JSON.parse(readFileSync(join(dir, 'm1', 'facts.json'), 'utf8'));
    const osRelease = readFileSync('/etc/os-release', 'utf8');
    expect(osRelease).toContain(`ID=${facts.os}`);
    expect(facts).toMatchObject({
      init: expect.any(String),
      packageManager: expect.any(String),
      arch: expect.any(String),
    });
    expect(taskEvents(r, { role: 'api-object', status: 'changed' })).toHaveLength(2);
    expect(existsSync(join(dir, 'vm-ghost-01.object'))).toBe(true);
    expect(r.events.filter((e) => e.type === 'host')).toHaveLength(0);
    expect(serialised(dir, 'serial')).toBe(true);
    expect(serialised(dir, 'locked')).toBe(true);

    const again = await runCli([PLAYBOOK, '-i', inventory, '--json']);
    expect(again.code).toBe(0);
    expect(taskEvents(again, { status: 'changed' })).toHaveLength(0);
  });

  it('Ctrl-C lets the command in flight finish, starts nothing new, exits 99', async () => {
    const { dir, inventory } = workspace();
    const child = spawn(playbookBin, [PLAYBOOK, '-i', inventory, '--tags', 'slow', '--limit', 'm1', '-vv'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
      detached: true,
    });
    const closed = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    // Wait until the slow command is running (-vv prints task starts), then interrupt.
    const deadline = Date.now() + 20_000;
    while (!out.includes('slow write | started') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(-child.pid!, 'SIGINT'); // the whole process group, as a terminal's Ctrl-C does
    const code = await closed;
    expect(code, out).toBe(99);
    expect(readFileSync(join(dir, 'm1.slow'), 'utf8')).toBe('done\n');
    expect(existsSync(join(dir, 'm1.after'))).toBe(false);
  });

  it('on a terminal, renders the live list and then the recap', () => {
    const { inventory } = workspace();
    // `script` gives the command a pseudo-terminal, as a user's shell would.
    const command = [playbookBin, PLAYBOOK, '-i', inventory, '--limit', 'm1'].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, CI: '' },
      timeout: 60_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('PLAY [on the machine]');
    expect(r.stdout).toMatch(/m1 .*ok=/);
    expect(r.stdout).toContain('PLAY RECAP');
  });
});
