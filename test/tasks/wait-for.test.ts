import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../lib/host/host.js';
import { waitFor, WaitTimeoutError, type WaitForOptions } from '../../tasks/system/wait-for.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle } from '../support/prove.js';
import { untouchable } from './fixtures/command/untouchable.js';

describe('waitFor options', () => {
  const refused = (options: unknown, message: RegExp) => {
    expect(() => waitFor(untouchable, options as WaitForOptions)).toThrow(TypeError);
    expect(() => waitFor(untouchable, options as WaitForOptions)).toThrow(message);
  };

  it('refuses bad options before touching the host', () => {
    refused({}, /waitFor: give exactly one of options "port", "path", "command" or "hostUp", got "none"/);
    refused({ port: 80, path: '/x' }, /exactly one of .* got "port and path"/);
    refused({ port: 0 }, /waitFor: port must be an integer 1–65535, got 0/);
    refused({ port: 8080.5 }, /waitFor: port must be an integer/);
    refused({ port: '80' }, /waitFor: port must be an integer/);
    refused({ port: 80, address: '1.2.3.4; rm -rf /' }, /waitFor: address must be a host name or IP address/);
    refused(
      { port: 80, state: 'present' },
      /waitFor: state must be "open" or "closed" for a port, got "present"/,
    );
    refused({ path: 'relative' }, /waitFor: path must be an absolute path/);
    refused({ path: '/x', state: 'open' }, /waitFor: state must be "present" or "absent" for a path/);
    refused({ command: [] }, /waitFor: command must be a non-empty argv array/);
    refused({ command: 'systemctl is-active nginx' }, /waitFor: command must be an argv array/);
    refused(
      { command: ['true'], state: 'open' },
      /waitFor: unknown option state \(known: command, timeoutMs, intervalMs\)/,
    );
    refused({ hostUp: 'yes' }, /waitFor: hostUp must be true, got "yes"/);
    refused({ port: 80, timeoutMs: -1 }, /waitFor: timeoutMs must be a positive number of milliseconds/);
    refused(
      { path: '/x', intervalMs: Number.NaN },
      /waitFor: intervalMs must be a positive number of milliseconds/,
    );
  });
});

describe.skipIf(skipHosts)('waitFor on a real host', () => {
  let f: HostFixture;
  let name: string;
  let host: Host;
  beforeAll(async () => {
    f = await bootFixture(1, 'twait');
    name = f.hosts.hosts[0]!.name;
    host = hostHandle(f, name);
  });
  afterAll(async () => {
    await host?.close();
    await f?.hosts.teardown();
  });

  /** Runs `cmd` inside the host one second from now (a systemd timer), so a wait has to wait. */
  async function soon(unit: string, cmd: string): Promise<void> {
    const r = await f.hosts.exec(
      name,
      `systemd-run --quiet --unit=${unit} --on-active=1 --timer-property=AccuracySec=50ms ${cmd}`,
    );
    expect(r.exitCode, r.stderr).toBe(0);
  }

  /** The wait's outcome, how long it took, and how many commands it sent. */
  async function timed(options: WaitForOptions, on: Host = host) {
    const trips = on.roundTrips;
    const started = Date.now();
    const outcome = await waitFor(on, options);
    return { outcome, ms: Date.now() - started, trips: on.roundTrips - trips };
  }

  it('waits for a port to open and to close, polling on the host in one round trip', async () => {
    await soon('nsw-listen', 'python3 -m http.server 8123 --bind 127.0.0.1');
    const open = await timed({ port: 8123, timeoutMs: 30_000, intervalMs: 200 });
    expect(open.outcome).toEqual({
      changed: false,
      message: expect.stringMatching(/^port 127\.0\.0\.1:8123 open \(after \d/),
    });
    expect(open.ms, 'it had to wait for the listener').toBeGreaterThan(400);
    expect(open.trips, 'one command however many polls').toBe(1);
    expect((await f.hosts.exec(name, 'ss -Htln "sport = :8123"')).stdout).toContain('127.0.0.1:8123');

    await soon('nsw-stop', 'systemctl stop nsw-listen.service');
    const closed = await timed({ port: 8123, state: 'closed', timeoutMs: 30_000, intervalMs: 200 });
    expect(closed.outcome.message).toMatch(/^port 127\.0\.0\.1:8123 closed/);
    expect(closed.ms).toBeGreaterThan(400);
    expect((await f.hosts.exec(name, 'ss -Htln "sport = :8123"')).stdout).toBe('');
  });

  it('fails with a WaitTimeoutError when the deadline passes', async () => {
    const started = Date.now();
    const wait = waitFor(host, { port: 8124, timeoutMs: 1500, intervalMs: 300 });
    await expect(wait).rejects.toThrow(WaitTimeoutError);
    await expect(wait).rejects.toThrow(/wait for port 127\.0\.0\.1:8124 open on \S+: timed out after 1\.5 s/);
    const ms = Date.now() - started;
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(6000);
  });

  it('waits for a path to appear and to go', async () => {
    await soon('nsw-touch', 'touch /run/nsw-ready');
    const present = await timed({ path: '/run/nsw-ready', intervalMs: 200 });
    expect(present.outcome.message).toMatch(/^\/run\/nsw-ready present/);
    expect(present.ms).toBeGreaterThan(400);
    await soon('nsw-rm', 'rm /run/nsw-ready');
    const absent = await timed({ path: '/run/nsw-ready', state: 'absent', intervalMs: 200 });
    expect(absent.outcome.message).toMatch(/^\/run\/nsw-ready absent/);
    expect(absent.ms).toBeGreaterThan(400);
  });

  it('waits for a command to succeed; a timeout shows what it last said', async () => {
    await soon('nsw-svc', 'sleep 300');
    const active = await timed({
      command: ['systemctl', 'is-active', '--quiet', 'nsw-svc.service'],
      intervalMs: 200,
    });
    expect(active.outcome.message).toMatch(/^command systemctl is-active --quiet nsw-svc.service succeeds/);
    expect(active.ms).toBeGreaterThan(400);
    expect(active.trips).toBe(1);
    await expect(
      waitFor(host, {
        command: { shell: 'echo "not yet ready" >&2; exit 1' },
        timeoutMs: 1000,
        intervalMs: 200,
      }),
    ).rejects.toThrow(/timed out after 1 s; last output: not yet ready/);
  });

  it('runs in check mode, reports ok and changes nothing', async () => {
    const checkHost = hostHandle(f, name, true);
    try {
      const before = await f.hosts.snapshotUpper(name);
      for (const options of [
        { port: 22 },
        { path: '/etc/hostname' },
        { command: ['test', '-d', '/etc'] },
        { hostUp: true },
      ] satisfies WaitForOptions[]) {
        const { outcome } = await timed(options, checkHost);
        expect(outcome.changed).toBe(false);
        expect(outcome.skipped).toBeUndefined();
      }
      expect(await f.hosts.snapshotUpper(name)).toBe(before);
    } finally {
      await checkHost.close();
    }
  });

  it('waits for the host to answer again, reconnecting; times out while it is down', async () => {
    expect((await timed({ hostUp: true })).outcome.message).toMatch(/answers/);
    await f.hosts.stop(name);
    await expect(waitFor(host, { hostUp: true, timeoutMs: 2000, intervalMs: 200 })).rejects.toThrow(
      /did not answer within 2 s \(last: /,
    );
    const boots = f.hosts.bootCount(name);
    const starting = new Promise((resolve) => setTimeout(resolve, 1000)).then(() => f.hosts.start(name));
    const back = await timed({ hostUp: true, timeoutMs: 90_000, intervalMs: 200 });
    await starting;
    expect(back.outcome.message).toMatch(/answers \(after \d/);
    expect(back.ms).toBeGreaterThan(900);
    expect(f.hosts.bootCount(name)).toBe(boots + 1);
    expect((await host.probe`hostname`).stdout, 'the same handle works after the wait').toBe(`${name}\n`);
  });
});
