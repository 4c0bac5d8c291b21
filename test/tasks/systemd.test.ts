// `systemd` on a real Debian 12 test host: a tiny unit of our own (written with `file()`, as a
// role does) and real package services (ssh, debug-shell).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../lib/host/host.js';
import { file } from '../../tasks/files/file.js';
import { systemd } from '../../tasks/services/systemd.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';

const unitText = (description: string) => `[Unit]
Description=${description}

[Service]
Type=simple
ExecStart=/bin/sleep infinity
ExecReload=/bin/sh -c 'echo reloaded >> /run/nsdemo.reloads'

[Install]
WantedBy=multi-user.target
`;
const UNIT_PATH = '/etc/systemd/system/nsdemo.service';

describe.skipIf(skipHosts)('systemd', () => {
  let f: HostFixture;
  let name: string;
  const sh = async (cmd: string) => (await f.hosts.exec(name, cmd)).stdout.trim();
  const show = (unit: string, prop: string) => sh(`systemctl show -p ${prop} --value ${unit}`);
  /** Runs `fn` on a fresh connection and reports its round trips and time. */
  async function measured<T>(
    label: string,
    fn: (host: Host) => Promise<T>,
  ): Promise<{ result: T; roundTrips: number }> {
    const host = hostHandle(f, name);
    try {
      await host.connection();
      const t0 = Date.now();
      const result = await fn(host);
      console.log(`${label}: ${host.roundTrips} round trips, ${Date.now() - t0} ms`);
      return { result, roundTrips: host.roundTrips };
    } finally {
      await host.close();
    }
  }

  beforeAll(async () => {
    f = await bootFixture(1, 'tsysd');
    name = f.hosts.hosts[0]!.name;
    const host = hostHandle(f, name);
    try {
      await file(host, { path: UNIT_PATH, content: unitText('NovaStation demo') });
    } finally {
      await host.close();
    }
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  it('enables and starts a new unit once; check mode after a drift reports it and changes nothing', async () => {
    const proof = await proveIdempotent(
      f,
      name,
      (host) => systemd(host, { unit: 'nsdemo', enabled: true, state: 'started' }),
      {
        drift: 'systemctl disable --now nsdemo',
        diffContains: ['unit file state disabled → enabled', 'state inactive → started'],
      },
    );
    expect(proof.first.changes).toEqual([
      'systemd nsdemo.service: unit file state disabled → enabled',
      'systemd nsdemo.service: state inactive → started',
    ]);
    expect(await sh('systemctl is-enabled nsdemo; systemctl is-active nsdemo')).toBe('disabled\ninactive'); // the drift, untouched
    const { result, roundTrips } = await measured('systemd enable+start', (host) =>
      systemd(host, { unit: 'nsdemo', enabled: true, state: 'started' }),
    );
    expect(result.changed).toBe(true);
    expect(roundTrips, 'read + one systemctl command').toBe(2);
    const again = await measured('systemd unchanged', (host) =>
      systemd(host, { unit: 'nsdemo', enabled: true, state: 'started' }),
    );
    expect(again.roundTrips).toBe(1);
  });

  it('daemon-reload only when the unit file changed under a loaded unit', async () => {
    const write = async (description: string) => {
      const host = hostHandle(f, name);
      try {
        return await file(host, { path: UNIT_PATH, content: unitText(description) });
      } finally {
        await host.close();
      }
    };
    expect((await write('NovaStation demo v2')).changed).toBe(true);
    expect(await show('nsdemo', 'NeedDaemonReload')).toBe('yes');
    const proof = await proveIdempotent(
      f,
      name,
      (host) => systemd(host, { unit: 'nsdemo', enabled: true, state: 'started' }),
      {
        drift: `sed -i 's/^Description=.*/Description=drifted/' ${UNIT_PATH}`,
        diffContains: ['unit files changed on disk → daemon-reload'],
      },
    );
    expect(proof.first.changes).toEqual([
      'systemd nsdemo.service: unit files changed on disk → daemon-reload',
    ]);
    // Check mode did not reload: systemd still has the previous description.
    expect(await show('nsdemo', 'Description')).toBe('NovaStation demo v2');
    expect(await show('nsdemo', 'NeedDaemonReload')).toBe('yes');
    const { roundTrips } = await measured('systemd daemon-reload', (host) =>
      systemd(host, { unit: 'nsdemo', enabled: true, state: 'started' }),
    );
    expect(roundTrips, 'read + daemon-reload + read again').toBe(3);
    expect(await show('nsdemo', 'Description')).toBe('drifted');
  });

  it('daemon-reload for a new drop-in folder of a running unit, which NeedDaemonReload does not see', async () => {
    const host = hostHandle(f, name);
    try {
      await systemd(host, { unit: 'nsdemo', state: 'started' });
      await host.$`mkdir -p /etc/systemd/system/nsdemo.service.d`;
      await file(host, {
        path: '/etc/systemd/system/nsdemo.service.d/env.conf',
        content: '[Service]\nEnvironment=FROM_DROPIN=1\n',
      });
      expect(await show('nsdemo', 'NeedDaemonReload'), "systemd's own flag misses it").toBe('no');
      const outcome = await systemd(host, { unit: 'nsdemo', state: 'started' });
      expect(outcome.changes).toEqual([
        'systemd nsdemo.service: unit files changed on disk (drop-ins) → daemon-reload',
      ]);
      expect(await show('nsdemo', 'Environment')).toBe('FROM_DROPIN=1');
      expect((await systemd(host, { unit: 'nsdemo', state: 'started' })).changed).toBe(false);
      await host.$`rm -r /etc/systemd/system/nsdemo.service.d`;
      expect((await systemd(host, { unit: 'nsdemo', state: 'started' })).changed, 'and for its removal').toBe(
        true,
      );
      expect(await show('nsdemo', 'Environment')).toBe('');
    } finally {
      await host.close();
    }
  });

  it('restarted and reloaded are actions: they run every time, never in check mode', async () => {
    const pid = () => show('nsdemo', 'MainPID');
    const before = await pid();
    const restart = (check: boolean) => {
      const host = hostHandle(f, name, check);
      return systemd(host, { unit: 'nsdemo', state: 'restarted' }).finally(() => host.close());
    };
    expect((await restart(false)).changes).toEqual(['systemd nsdemo.service: state active → restarted']);
    const first = await pid();
    expect(first).not.toBe(before);
    expect((await restart(false)).changed).toBe(true);
    const second = await pid();
    expect(second).not.toBe(first);
    const snap = await f.hosts.snapshotUpper(name);
    expect(await restart(true), 'check mode says it would restart, as a skip, not a change').toEqual({
      changed: false,
      skipped: true,
      message: 'check mode: would run systemd nsdemo.service: state active → restarted',
    });
    expect(await pid(), 'but does not restart').toBe(second);
    expect(await f.hosts.snapshotUpper(name)).toBe(snap);

    const reload = () => {
      const host = hostHandle(f, name);
      return systemd(host, { unit: 'nsdemo', state: 'reloaded' }).finally(() => host.close());
    };
    expect((await reload()).changes).toEqual(['systemd nsdemo.service: state active → reloaded']);
    expect((await reload()).changed).toBe(true);
    expect(await sh('cat /run/nsdemo.reloads')).toBe('reloaded\nreloaded');
    expect(await pid(), 'a reload keeps the process').toBe(second);
  });

  it('a real package service: ssh enabled again after a disable, and reloaded in place', async () => {
    await sh('systemctl disable ssh');
    const proof = await proveIdempotent(
      f,
      name,
      (host) => systemd(host, { unit: 'ssh', enabled: true, state: 'started' }),
      {
        drift: 'systemctl disable ssh',
        diffContains: ['systemd ssh.service: unit file state disabled → enabled'],
      },
    );
    expect(proof.first.changes).toEqual(['systemd ssh.service: unit file state disabled → enabled']);
    const host = hostHandle(f, name);
    try {
      expect((await systemd(host, { unit: 'ssh', enabled: true })).changed).toBe(true); // repair the drift
      const pid = await show('ssh', 'MainPID');
      expect((await systemd(host, { unit: 'ssh', state: 'reloaded' })).changes).toEqual([
        'systemd ssh.service: state active → reloaded',
      ]);
      expect(await show('ssh', 'MainPID')).toBe(pid);
      expect((await host.probe`echo still connected`).stdout).toBe('still connected\n');
    } finally {
      await host.close();
    }
  });

  it('masks and unmasks a packaged unit', async () => {
    const masked = await proveIdempotent(
      f,
      name,
      (host) => systemd(host, { unit: 'debug-shell', masked: true }),
      {
        drift: 'systemctl unmask debug-shell',
        diffContains: ['unit file state disabled → masked'],
      },
    );
    expect(masked.first.changes).toEqual(['systemd debug-shell.service: unit file state disabled → masked']);
    await sh('systemctl mask debug-shell');
    await proveIdempotent(f, name, (host) => systemd(host, { unit: 'debug-shell', masked: false }), {
      drift: 'systemctl mask debug-shell',
      diffContains: ['unit file state masked → unmasked'],
    });
  });

  it('refuses what cannot be done, with the reason', async () => {
    const host = hostHandle(f, name);
    try {
      await expect(systemd(host, { unit: 'no-such-unit', state: 'started' })).rejects.toThrow(
        /unit no-such-unit.service not found/,
      );
      await sh('systemctl mask debug-shell');
      await expect(systemd(host, { unit: 'debug-shell', state: 'started' })).rejects.toThrow(
        /is masked; pass masked: false/,
      );
      await expect(systemd(host, { unit: 'systemd-journal-flush', enabled: false })).rejects.toThrow(
        /is static and cannot be disabled/,
      );
      expect(
        (await systemd(host, { unit: 'no-such-unit', enabled: false, state: 'stopped' })).changed,
        'absent is disabled and stopped',
      ).toBe(false);
    } finally {
      await host.close();
    }
  });
});
