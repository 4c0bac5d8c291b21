/**
 * The engine end to end on three real Debian 12 hosts over real SSH: idempotence, one login per
 * host per run, parallel hosts, handlers, check mode, selection, unreachable hosts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parse, stringify } from 'yaml';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { runCli, taskEvents } from '../support/cli.js';

const PLAYBOOK = 'test/fixtures/engine/playbook.ts';

describe.skipIf(skipHosts)('engine on real hosts', () => {
  let f: HostFixture;
  let names: string[];
  const run = (...args: string[]) => runCli([PLAYBOOK, ...f.sshArgs, '--json', ...args]);
  const reset = () =>
    Promise.all(
      names.map((h) => f.hosts.exec(h, 'rm -f /root/probe-a /root/probe-b /root/other /root/handler-runs')),
    );
  const read = async (host: string, path: string) =>
    (await f.hosts.exec(host, `cat ${path} 2>/dev/null || true`)).stdout;

  beforeAll(async () => {
    f = await bootFixture(3, 'eng');
    names = f.hosts.hosts.map((h) => h.name);
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  it('first run changes, second run reports 0 changed, each with exactly one SSH login per host', async () => {
    await reset();
    const before = await Promise.all(names.map((h) => f.hosts.sshLoginCount(h)));
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    const changed = taskEvents(first, { status: 'changed' });
    expect(changed.filter((e) => !e.handler)).toHaveLength(names.length * 3); // 2 probe files + other
    expect(changed.filter((e) => e.handler)).toHaveLength(names.length); // the handler, once per host
    const second = await run();
    expect(second.code, second.stderr).toBe(0);
    const recap = second.events.at(-1)!;
    expect(recap.type).toBe('recap');
    for (const h of names) expect(recap.hosts[h]).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
    const after = await Promise.all(names.map((h) => f.hosts.sshLoginCount(h)));
    expect(after.map((n, i) => n - before[i]!)).toEqual(names.map(() => 2));
    expect(await read(names[0]!, '/root/probe-a')).toBe('v1\n');
  });

  it('runs hosts in parallel: a barrier that every host must reach before any may pass', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-barrier-'));
    const r = await run(
      '--tags',
      'barrier',
      '-e',
      JSON.stringify({ barrier_dir: dir, barrier_count: names.length }),
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const met = taskEvents(r, { role: 'barrier', status: 'ok' });
    expect(met.map((e) => e.host).sort()).toEqual([...names].sort());
    // Every pair of barrier intervals overlaps: each started before the other ended.
    for (const a of met)
      for (const b of met) expect(a.startedAt).toBeLessThanOrEqual(b.startedAt + b.durationMs);
  });

  it('handlers: two notifications run the handler once; none on a failed host; none in check mode', async () => {
    await reset();
    const inv = parse(readFileSync(f.inventory, 'utf8'));
    inv.all.hosts[names[1]!].probe_fail = true;
    const failing = join(f.dir, 'failing.yml');
    writeFileSync(failing, stringify(inv));
    const r = await runCli([PLAYBOOK, '-i', failing, '--known-hosts', f.knownHosts, '--json']);
    expect(r.code).toBe(2);
    expect(await read(names[0]!, '/root/handler-runs')).toBe('run\n');
    expect(await read(names[2]!, '/root/handler-runs')).toBe('run\n');
    expect(await read(names[1]!, '/root/handler-runs')).toBe('');
    expect(taskEvents(r, { host: names[1]!, task: 'maybe fail', status: 'failed' })).toHaveLength(1);
    // The failed host leaves the run: role `other` did not run there, but did elsewhere.
    expect(taskEvents(r, { host: names[1]!, role: 'other' })).toHaveLength(0);
    expect(taskEvents(r, { host: names[0]!, role: 'other' })).toHaveLength(1);

    await reset();
    const check = await run('--check');
    expect(check.code, check.stderr).toBe(0);
    for (const h of names) expect(await read(h, '/root/handler-runs')).toBe('');
    expect(taskEvents(check, { task: 'count runs', status: 'skipped' })).toHaveLength(names.length);
  });

  it('check mode changes nothing on the host, yet reports the drift', async () => {
    expect((await run()).code).toBe(0);
    await f.hosts.exec(names[0]!, 'echo drifted > /root/probe-a');
    const before = await f.hosts.snapshotUpper(names[0]!);
    const r = await run('--check', '--diff');
    expect(r.code, r.stderr).toBe(0);
    const drift = taskEvents(r, { host: names[0]!, task: 'first file' });
    expect(drift[0]).toMatchObject({ status: 'changed' });
    expect(drift[0]!.diff).toContain('-drifted');
    expect(drift[0]!.diff).toContain('+v1');
    expect(taskEvents(r, { host: names[1]!, status: 'changed' })).toHaveLength(0);
    expect(await f.hosts.snapshotUpper(names[0]!)).toBe(before);
    expect(await read(names[0]!, '/root/probe-a')).toBe('drifted\n');
  });

  it('--limit, --role, --tags and --skip-tags select exactly what they say', async () => {
    const limited = await run('--limit', names[0]!);
    expect(new Set(taskEvents(limited).map((e) => e.host))).toEqual(new Set([names[0]]));

    const role = await run('--role', 'other');
    expect(new Set(taskEvents(role).map((e) => e.role))).toEqual(new Set(['other']));
    expect(taskEvents(role)).toHaveLength(names.length);

    const tags = await run('--tags', 'alpha');
    expect(new Set(taskEvents(tags).map((e) => e.task))).toEqual(new Set(['first file', 'maybe fail']));

    const skip = await run('--skip-tags', 'beta,other');
    expect(new Set(taskEvents(skip).map((e) => e.task))).toEqual(new Set(['first file', 'maybe fail']));

    const hosts = await runCli([PLAYBOOK, ...f.sshArgs, '--list-hosts', '--limit', `all:!${names[2]}`]);
    expect(hosts.stdout.trim().split('\n')).toEqual(names.slice(0, 2));

    const unknown = await run('--role', 'nope');
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toContain('--role nope');
  });

  it('an unreachable host does not stop the others: exit 3', async () => {
    await f.hosts.stop(names[2]!);
    try {
      const r = await run('-T', '3');
      expect(r.code, r.stderr).toBe(3);
      const down = r.events.filter((e) => e.type === 'host');
      expect(down).toEqual([expect.objectContaining({ host: names[2], status: 'unreachable' })]);
      for (const h of names.slice(0, 2)) expect(taskEvents(r, { host: h }).length).toBeGreaterThan(0);
      expect(r.events.at(-1)!.hosts[names[2]!].unreachable).toBe(1);
    } finally {
      await f.hosts.start(names[2]!);
    }
  });

  it('refuses unknown host keys unless --accept-new-host-keys, which records them; refuses changed keys always', async () => {
    const empty = join(f.dir, 'known_hosts.empty');
    writeFileSync(empty, '');
    const args = [PLAYBOOK, '-i', f.inventory, '--known-hosts', empty, '--json', '--limit', names[0]!];
    const refused = await runCli(args);
    expect(refused.code).toBe(3);
    expect(refused.events.find((e) => e.type === 'host')?.error).toContain('--accept-new-host-keys');

    const accepted = await runCli([...args, '--accept-new-host-keys']);
    expect(accepted.code, accepted.stderr).toBe(0);
    const host0 = f.hosts.hosts[0]!;
    expect(readFileSync(empty, 'utf8')).toContain(host0.hostPublicKey.split(' ')[1]!);
    expect((await runCli(args)).code).toBe(0);

    // Ansible users' switch: ANSIBLE_HOST_KEY_CHECKING=False accepts any key and records nothing.
    const unchecked = join(f.dir, 'known_hosts.unchecked');
    writeFileSync(unchecked, '');
    const loose = await runCli(
      [PLAYBOOK, '-i', f.inventory, '--known-hosts', unchecked, '--json', '--limit', names[0]!],
      { env: { ANSIBLE_HOST_KEY_CHECKING: 'False' } },
    );
    expect(loose.code, loose.stderr).toBe(0);
    expect(readFileSync(unchecked, 'utf8')).toBe('');

    // Another host's key recorded for this address: a changed key.
    const changed = join(f.dir, 'known_hosts.changed');
    const otherKey = f.hosts.hosts[1]!.hostPublicKey.split(' ').slice(0, 2).join(' ');
    writeFileSync(changed, `${host0.address} ${otherKey}\n`);
    const refusedChanged = await runCli([
      PLAYBOOK,
      '-i',
      f.inventory,
      '--known-hosts',
      changed,
      '--json',
      '--limit',
      names[0]!,
      '--accept-new-host-keys',
    ]);
    expect(refusedChanged.code).toBe(3);
    expect(refusedChanged.events.find((e) => e.type === 'host')?.error).toMatch(
      /changed|does not match|mismatch/i,
    );
  });
});
