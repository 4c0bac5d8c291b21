/**
 * Prefetched reads (issue 21) end to end over real SSH: from the second run on, a role's reads
 * come in one round trip at its start (no task sends one on a no-op run); a change made on the
 * host between runs is seen (the batch reads the host when the role starts); after a write, the
 * next read of the same file reads the host again, so two edits of one file both land; check mode
 * after drift reports the change and changes nothing; the run record keeps the reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { runCli, taskEvents } from '../support/cli.js';

const PLAYBOOK = 'test/fixtures/engine/prefetch-playbook.ts';

describe.skipIf(skipHosts)('prefetched reads on a real host', () => {
  let f: HostFixture;
  let name: string;
  const run = (...args: string[]) => runCli([PLAYBOOK, ...f.sshArgs, '--json', ...args]);
  const read = async (path: string) => (await f.hosts.exec(name, `cat ${path} 2>/dev/null || true`)).stdout;
  const roundTrips = (r: Awaited<ReturnType<typeof run>>) =>
    taskEvents(r).reduce((n, e) => n + (e.roundTrips ?? 0), 0);

  beforeAll(async () => {
    f = await bootFixture(1, 'pf');
    name = f.hosts.hosts[0]!.name;
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  it('no-op from the batch; drift seen; two edits of one file both land; check mode exact', async () => {
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    expect(taskEvents(first, { status: 'changed' })).toHaveLength(3);
    expect(await read('/root/pf.conf')).toBe('one=1\ntwo=2\n');
    // The record keeps the role's reads for the next run.
    const runsDir = join(f.dir, '.novastation', 'runs');
    const records = readdirSync(runsDir).map((n) => JSON.parse(readFileSync(join(runsDir, n), 'utf8')));
    expect(records[0].hosts[name].probes.edits.length).toBeGreaterThanOrEqual(3);

    const noop = await run();
    expect(noop.code, noop.stderr).toBe(0);
    expect(taskEvents(noop, { status: 'changed' })).toHaveLength(0);
    expect(roundTrips(noop)).toBe(0); // every read answered by the batch sent when the role started

    // Drift that both edits must repair: the second edit reads the file after the first wrote it.
    await f.hosts.exec(name, "printf 'one=0\\ntwo=0\\n' > /root/pf.conf; chmod 0644 /root/pf-marker");
    const check = await run('--check');
    expect(check.code, check.stderr).toBe(0);
    expect(taskEvents(check, { status: 'changed' }).map((e) => e.task)).toEqual([
      'line one',
      'line two',
      'marker',
    ]);
    expect(await read('/root/pf.conf')).toBe('one=0\ntwo=0\n');
    const repair = await run();
    expect(repair.code, repair.stderr).toBe(0);
    expect(taskEvents(repair, { status: 'changed' }).map((e) => e.task)).toEqual([
      'line one',
      'line two',
      'marker',
    ]);
    expect(await read('/root/pf.conf')).toBe('one=1\ntwo=2\n');
    expect((await f.hosts.exec(name, 'stat -c %a /root/pf-marker')).stdout.trim()).toBe('600');
    const again = await run();
    expect(taskEvents(again, { status: 'changed' })).toHaveLength(0);
  });
});
