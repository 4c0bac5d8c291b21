/**
 * A killed CLI leaves no live remote work (issue 16 item 3): after `kill -9` of the playbook
 * while a host runs a command, that command is stopped — it neither finishes nor goes on to write
 * anything — on a local connection and over SSH to a real test host; and the run record written
 * as the run went holds what was done up to the kill. The fixture's command is
 * `sleep N; echo … >> ran.log`: the line must never appear. Positive control: the same run, not
 * killed, does write it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';

const PLAYBOOK = 'test/fixtures/lock/playbook.ts';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the CLI, waits until the host runs the fixture's `sleep`, kills the CLI with SIGKILL. */
async function killMidCommand(args: string[], running: () => Promise<boolean>): Promise<void> {
  const cli = spawn('node_modules/.bin/playbook', args, { stdio: 'ignore' });
  const exited = new Promise((r) => cli.once('exit', r));
  const end = Date.now() + 30_000;
  while (!(await running())) {
    if (Date.now() > end) throw new Error('the command never started');
    await sleep(50);
  }
  cli.kill('SIGKILL');
  await exited;
}

describe('a killed CLI on a local connection', () => {
  it('stops the command in flight', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-killed-'));
    const inventory = join(dir, 'hosts.yml');
    writeFileSync(
      inventory,
      `all:\n  vars: { work_dir: "${dir}" }\n  hosts:\n    m1: { ansible_connection: local }\n`,
    );
    const marker = `${dir}/ran.log`;
    const sleeping = async () => {
      const r = await new Promise<string>((resolve) => {
        const p = spawn('pgrep', ['-f', '^sleep 4$']);
        let out = '';
        p.stdout.on('data', (b: Buffer) => (out += b.toString()));
        p.on('close', () => resolve(out));
      });
      return r.trim() !== '';
    };
    await killMidCommand([PLAYBOOK, '-i', inventory, '-e', '{"pause_s":4}'], sleeping);
    await sleep(5000);
    expect(existsSync(marker), 'the killed run wrote nothing').toBe(false);
    // Its run record was written as it went: the task done before the kill is in it.
    const runsDir = join(dir, '.novastation', 'runs');
    const records = readdirSync(runsDir).map((n) => JSON.parse(readFileSync(join(runsDir, n), 'utf8')));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: 'incomplete', exitCode: null });
    expect(records[0].hosts.m1.tasks).toEqual([
      expect.objectContaining({ task: 'note the start', status: 'changed' }),
    ]);
    // Control: not killed, the same run writes it.
    const r = await runCli([PLAYBOOK, '-i', inventory, '-e', '{"pause_s":0}']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(marker, 'utf8')).toMatch(/^\d+\n$/);
  });
});

describe.skipIf(skipHosts)('a killed CLI over SSH', () => {
  let f: HostFixture;
  let name: string;
  beforeAll(async () => {
    f = await bootFixture(1, 'tkcli');
    name = f.hosts.hosts[0]!.name;
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  it('stops the command in flight on the host when the connection drops', async () => {
    const extra = JSON.stringify({ work_dir: '/root', pause_s: 4 });
    const sleeping = async () => (await f.hosts.exec(name, "pgrep -f '^sleep 4$'")).exitCode === 0;
    await killMidCommand([PLAYBOOK, ...f.sshArgs, '-e', extra], sleeping);
    await sleep(5000);
    expect((await f.hosts.exec(name, 'test -e /root/ran.log')).exitCode, 'the killed run wrote nothing').toBe(
      1,
    );
    expect(await sleeping(), 'no sleep left').toBe(false);
    const r = await runCli([PLAYBOOK, ...f.sshArgs, '-e', JSON.stringify({ work_dir: '/root', pause_s: 0 })]);
    expect(r.code, r.stderr).toBe(0);
    expect((await f.hosts.exec(name, 'cat /root/ran.log')).stdout).toMatch(/^\d+\n$/);
  });
});
