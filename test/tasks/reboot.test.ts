import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../lib/host/host.js';
import { UnreachableError, type CommandResult, type Connection } from '../../lib/transport/types.js';
import { reboot, type RebootOptions } from '../../tasks/system/reboot.js';
import { readBootMarker, waitForHostUp } from '../../tasks/system/wait-host.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle } from '../support/prove.js';
import { untouchable } from './fixtures/command/untouchable.js';

const FLAG = '/var/run/reboot-required';

describe('reboot options', () => {
  it('refuses bad options before touching the host', () => {
    const refused = (options: unknown, message: RegExp) => {
      expect(() => reboot(untouchable, options as RebootOptions)).toThrow(TypeError);
      expect(() => reboot(untouchable, options as RebootOptions)).toThrow(message);
    };
    refused({ rebootIfFile: 'var/run/reboot-required' }, /reboot: rebootIfFile must be an absolute path/);
    refused({ rebootIfFile: 42 }, /reboot: rebootIfFile must be an absolute path, got 42/);
    refused({ timeoutMs: 0 }, /reboot: timeoutMs must be a positive number of milliseconds/);
    refused({ intervalMs: Infinity }, /reboot: intervalMs must be a positive number of milliseconds/);
    refused(null, /reboot: options must be an object/);
  });
});

/**
 * A Host on a scripted connection: each command answers with the next step — the old boot's
 * marker, a new boot's, a dead connection, a refused connect, or no answer at all.
 */
function scriptedHost(steps: ('old' | 'new' | 'dead' | 'refused' | 'hang')[]) {
  const seen = { connects: 0, steps: 0 };
  const next = () => steps[seen.steps++] ?? 'old';
  const host = new Host({
    name: 'fake',
    check: false,
    shellType: 'sh',
    connect: async () => {
      seen.connects++;
      if (steps[seen.steps] === 'refused') {
        next();
        throw new UnreachableError('fake', 'fake: connection refused');
      }
      const connection: Connection = {
        description: 'fake',
        shellType: 'sh',
        close: async () => {},
        run: async (): Promise<CommandResult> => {
          const step = next();
          if (step === 'dead') throw new UnreachableError('fake', 'fake: the shell ended');
          if (step === 'hang') return new Promise<never>(() => {});
          return { stdout: `${step === 'new' ? NEW : OLD}\n`, stderr: '', exitCode: 0 };
        },
      };
      return connection;
    },
  });
  return { host, seen };
}
const OLD = '11111111-1111-4111-8111-111111111111 4242';
const NEW = '22222222-2222-4222-8222-222222222222 4343';

describe('waiting for a new boot', () => {
  it('keeps polling while the old boot answers or the host is unreachable, reconnecting each time it fails', async () => {
    const { host, seen } = scriptedHost(['old', 'dead', 'refused', 'old', 'dead', 'new']);
    const up = await waitForHostUp(host, { timeoutMs: 5000, intervalMs: 5, notBoot: OLD });
    expect(up.boot).toBe(NEW);
    expect(seen.steps).toBe(6);
    expect(seen.connects, 'a fresh connection after each failure').toBe(4);
  });

  it('times out while only the old boot answers, saying so', async () => {
    const { host } = scriptedHost([]);
    await expect(waitForHostUp(host, { timeoutMs: 300, intervalMs: 20, notBoot: OLD })).rejects.toThrow(
      /fake did not come back from a new boot within 0\.3 s \(last: it answered from the boot before the reboot\)/,
    );
  });

  it('bounds an attempt that never answers by the deadline', async () => {
    const { host } = scriptedHost(['hang']);
    const started = Date.now();
    await expect(waitForHostUp(host, { timeoutMs: 400, intervalMs: 20 })).rejects.toThrow(
      /did not answer within 0\.4 s \(last: no answer within 0\.4 s\)/,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe.skipIf(skipHosts)('reboot on a real host', () => {
  let f: HostFixture;
  let name: string;
  let host: Host;
  beforeAll(async () => {
    f = await bootFixture(1, 'treboot');
    name = f.hosts.hosts[0]!.name;
    host = hostHandle(f, name);
  });
  afterAll(async () => {
    await host?.close();
    await f?.hosts.teardown();
  });

  it('reads the same boot marker twice within one boot', async () => {
    expect(await readBootMarker(host)).toBe(await readBootMarker(host));
  });

  it('does nothing when the flag file is absent', async () => {
    const boots = f.hosts.bootCount(name);
    expect(await reboot(host, { rebootIfFile: FLAG })).toEqual({
      changed: false,
      message: `no reboot needed: ${FLAG} is absent`,
    });
    expect(f.hosts.bootCount(name)).toBe(boots);
  });

  it('in check mode reports it would reboot, and neither reboots nor changes anything', async () => {
    expect((await f.hosts.exec(name, `touch ${FLAG}`)).exitCode).toBe(0);
    const checkHost = hostHandle(f, name, true);
    try {
      const boots = f.hosts.bootCount(name);
      const before = await f.hosts.snapshotUpper(name);
      const outcome = await reboot(checkHost, { rebootIfFile: FLAG });
      expect(outcome).toEqual({
        changed: false,
        skipped: true,
        message: `check mode: would reboot (${FLAG} exists)`,
      });
      expect(await f.hosts.snapshotUpper(name)).toBe(before);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // a reboot, had one started, would show by now
      expect(f.hosts.bootCount(name)).toBe(boots);
      expect((await f.hosts.exec(name, `test -e ${FLAG}`)).exitCode).toBe(0);
    } finally {
      await checkHost.close();
    }
  });

  it('reboots when the flag file exists, comes back on a new boot with a working handle, then is ok', async () => {
    // A service that takes 3 s to stop, ordered after sshd so sshd outlives it: the old boot keeps
    // answering SSH for a while after the reboot is queued, as a slow real machine does.
    const slow =
      '[Unit]\\nAfter=ssh.service\\n[Service]\\nType=oneshot\\nRemainAfterExit=yes\\nExecStart=/bin/true\\nExecStop=/bin/sleep 3\\n[Install]\\nWantedBy=multi-user.target\\n';
    const setup = await f.hosts.exec(
      name,
      `printf '${slow}' > /etc/systemd/system/slow-stop.service && systemctl enable --now --quiet slow-stop.service`,
    );
    expect(setup.exitCode, setup.stderr).toBe(0);
    expect((await f.hosts.exec(name, `touch ${FLAG}`)).exitCode).toBe(0);
    const boots = f.hosts.bootCount(name);
    const marker = await readBootMarker(host);
    const outcome = await reboot(host, { rebootIfFile: FLAG, timeoutMs: 120_000, intervalMs: 250 });
    expect(outcome).toEqual({
      changed: true,
      changes: [`reboot: rebooted (${FLAG} exists)`],
      message: expect.stringMatching(/^back after \d/),
    });
    expect(f.hosts.bootCount(name), 'the harness saw exactly one reboot').toBe(boots + 1);
    // The same handle works: a new connection on the new boot, facts gathered again.
    expect(await readBootMarker(host)).not.toBe(marker);
    expect((await host.facts()).hostname).toBe(name);
    expect((await host.probe`systemctl is-system-running --wait`).stdout.trim()).toMatch(/running|degraded/);
    // /run is a fresh tmpfs: the flag went with the old boot, so a second run has nothing to do.
    expect(await reboot(host, { rebootIfFile: FLAG })).toEqual({
      changed: false,
      message: `no reboot needed: ${FLAG} is absent`,
    });
    expect(f.hosts.bootCount(name)).toBe(boots + 1);
  });

  it('reboots unconditionally without rebootIfFile', async () => {
    const boots = f.hosts.bootCount(name);
    const outcome = await reboot(host, { timeoutMs: 120_000, intervalMs: 250 });
    expect(outcome.changed).toBe(true);
    expect(outcome.changes).toEqual(['reboot: rebooted']);
    expect(f.hosts.bootCount(name)).toBe(boots + 1);
    expect((await host.probe`hostname`).stdout).toBe(`${name}\n`);
  });
});
