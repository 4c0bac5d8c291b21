// systemd's probe parsing, planning and option checks on output captured from a Debian 12 test
// host (test/tasks/fixtures/systemd/); no host needed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseUnitFacts, reloadReason } from '../../tasks/services/systemd-facts.js';
import { planUnit, systemd } from '../../tasks/services/systemd.js';
import { systemdDropin } from '../../tasks/services/systemd-dropin.js';
import { renderUnitSettings } from '../../tasks/services/systemd-ini.js';
import { unitName } from '../../tasks/services/systemd-units.js';

/** Fixtures are named after the unit they were captured from, then the case. */
const UNITS: Record<string, string> = {
  'ssh-running': 'ssh.service',
  overridden: 'ssh.service',
  'not-found': 'nosuch.service',
  masked: 'hwclock.service',
  static: 'systemd-journal-flush.service',
  'enabled-runtime': 'console-getty.service',
  alias: 'kmod.service',
};
const facts = (name: string) =>
  parseUnitFacts(
    readFileSync(new URL(`fixtures/systemd/${name}.txt`, import.meta.url), 'utf8'),
    UNITS[name] ?? 'nsdemo.service',
  );
const unit = 'u.service';

describe('systemd probe parsing', () => {
  it('reads systemctl show in any order, and the unit file and drop-ins on disk', () => {
    expect(facts('ssh-running')).toEqual({
      id: 'ssh.service',
      loadState: 'loaded',
      activeState: 'active',
      subState: 'running',
      unitFileState: 'enabled',
      fragmentPath: '/lib/systemd/system/ssh.service',
      needDaemonReload: false,
      canReload: true,
      // /lib is a link to /usr/lib on Debian 12: both sides are resolved before comparing.
      onDisk: { kind: 'file', path: '/usr/lib/systemd/system/ssh.service' },
      fragmentReal: '/usr/lib/systemd/system/ssh.service',
      loadedDropins: ['/etc/systemd/system/ssh.service.d/novastation-log.conf'],
      dropinsOnDisk: ['/etc/systemd/system/ssh.service.d/novastation-log.conf'],
    });
    expect(facts('not-found')).toMatchObject({
      loadState: 'not-found',
      unitFileState: '',
      loadedDropins: [],
      dropinsOnDisk: [],
    });
    expect(facts('not-found').onDisk).toBeUndefined();
    expect(facts('alias').id).toBe('systemd-modules-load.service'); // systemctl resolves aliases
    expect(facts('alias').onDisk).toEqual({ kind: 'link', path: '/lib/systemd/system/kmod.service' });
    expect(() => parseUnitFacts('Failed to connect to bus\n', 'x.service')).toThrow(
      /unexpected probe output/,
    );
  });

  it('knows when systemd must re-read its files, including what NeedDaemonReload misses', () => {
    expect(reloadReason(facts('ssh-running'))).toBeUndefined();
    expect(reloadReason(facts('inactive-disabled'))).toBeUndefined();
    expect(reloadReason(facts('changed-on-disk'))).toBe('changed on disk');
    // systemd 252 says NeedDaemonReload=no for these two:
    expect(facts('new-dropin-folder').needDaemonReload).toBe(false);
    expect(reloadReason(facts('new-dropin-folder'))).toBe('changed on disk (drop-ins)');
    expect(facts('overridden').needDaemonReload).toBe(false);
    expect(reloadReason(facts('overridden'))).toBe(
      'changed on disk (/etc/systemd/system/ssh.service overrides /lib/systemd/system/ssh.service)',
    );
    expect(reloadReason(facts('dropin-loaded'))).toBeUndefined();
    expect(reloadReason(facts('dropin-removed'))).toBe('changed on disk');
    expect(reloadReason({ ...facts('dropin-removed'), needDaemonReload: false })).toBe(
      'changed on disk (drop-ins)',
    );
    // systemctl set-property's drop-ins (system.control/) are systemd's own: no reload for them.
    expect(reloadReason(facts('set-property'))).toBeUndefined();
    expect(reloadReason(facts('masked'))).toBeUndefined();
    expect(reloadReason(facts('alias'))).toBeUndefined();
  });
});

describe('systemd planning', () => {
  it('enables and starts what is disabled and stopped; nothing when already so', () => {
    expect(planUnit(facts('inactive-disabled'), { unit, enabled: true, state: 'started' })).toEqual([
      { field: 'unit file state', from: 'disabled', to: 'enabled' },
      { field: 'state', from: 'inactive', to: 'started' },
    ]);
    expect(planUnit(facts('ssh-running'), { unit, enabled: true, state: 'started' })).toEqual([]);
    expect(planUnit(facts('ssh-running'), { unit, enabled: false, state: 'stopped' })).toEqual([
      { field: 'unit file state', from: 'enabled', to: 'disabled' },
      { field: 'state', from: 'active', to: 'stopped' },
    ]);
  });

  it('daemon-reload only when systemd says the files changed, or a file is not loaded yet', () => {
    expect(planUnit(facts('changed-on-disk'), { unit, state: 'started' })).toEqual([
      { field: 'unit files', from: 'changed on disk', to: 'daemon-reload' },
    ]);
    const notLoaded = {
      ...facts('not-found'),
      onDisk: { kind: 'file' as const, path: '/etc/systemd/system/nosuch.service' },
    };
    expect(planUnit(notLoaded, { unit, enabled: true, state: 'started' })).toEqual([
      { field: 'unit files', from: 'not loaded yet', to: 'daemon-reload' },
      { field: 'unit file state', from: 'not-found', to: 'enabled' },
      { field: 'state', from: 'inactive', to: 'started' },
    ]);
  });

  it('restarted and reloaded are actions: they always change, marked as actions for check mode', () => {
    expect(planUnit(facts('ssh-running'), { unit, state: 'restarted' })).toEqual([
      { field: 'state', from: 'active', to: 'restarted', action: true },
    ]);
    expect(planUnit(facts('ssh-running'), { unit, state: 'reloaded' })).toEqual([
      { field: 'state', from: 'active', to: 'reloaded', action: true },
    ]);
    // A stopped unit asked to reload is started (as a handler would want).
    expect(planUnit(facts('inactive-disabled'), { unit, state: 'reloaded' })).toEqual([
      { field: 'state', from: 'inactive', to: 'started' },
    ]);
    // Not judged before a pending daemon-reload (the new file may add ExecReload=); apply plans again after it.
    expect(planUnit(facts('changed-on-disk'), { unit, state: 'reloaded' })).toEqual([
      { field: 'unit files', from: 'changed on disk', to: 'daemon-reload' },
      { field: 'state', from: 'active', to: 'reloaded', action: true },
    ]);
    expect(() =>
      planUnit({ ...facts('changed-on-disk'), needDaemonReload: false }, { unit, state: 'reloaded' }),
    ).toThrow(/cannot reload \(no ExecReload=\)/);
  });

  it('masks, unmasks, and refuses to start a masked unit without unmasking it', () => {
    expect(planUnit(facts('inactive-disabled'), { unit, masked: true, state: 'stopped' })).toEqual([
      { field: 'unit file state', from: 'disabled', to: 'masked' },
    ]);
    expect(planUnit(facts('ssh-running'), { unit, masked: true, state: 'stopped' })).toEqual([
      { field: 'state', from: 'active', to: 'stopped' },
      { field: 'unit file state', from: 'enabled', to: 'masked' },
    ]);
    expect(planUnit(facts('masked'), { unit, masked: true })).toEqual([]);
    expect(() => planUnit(facts('masked'), { unit, state: 'started' })).toThrow(
      /is masked; pass masked: false/,
    );
    expect(planUnit(facts('masked'), { unit, masked: false, enabled: true, state: 'started' })).toEqual([
      { field: 'unit file state', from: 'masked', to: 'unmasked' },
      { field: 'unit file state', from: 'unmasked', to: 'enabled' },
      { field: 'state', from: 'inactive', to: 'started' },
    ]);
  });

  it('static units count as enabled and cannot be disabled; enabled-runtime is not enabled for good', () => {
    expect(planUnit(facts('static'), { unit, enabled: true })).toEqual([]);
    expect(() => planUnit(facts('static'), { unit, enabled: false })).toThrow(
      /is static and cannot be disabled; mask it instead/,
    );
    expect(planUnit(facts('enabled-runtime'), { unit, enabled: true })).toEqual([
      { field: 'unit file state', from: 'enabled-runtime', to: 'enabled' },
    ]);
  });

  it('a missing unit is stopped and disabled already, can be masked, cannot be started', () => {
    expect(planUnit(facts('not-found'), { unit, enabled: false, state: 'stopped' })).toEqual([]);
    expect(planUnit(facts('not-found'), { unit, masked: true })).toEqual([
      { field: 'unit file state', from: 'not-found', to: 'masked' },
    ]);
    expect(() => planUnit(facts('not-found'), { unit: 'nosuch.service', state: 'started' })).toThrow(
      /unit nosuch.service not found/,
    );
  });
});

describe('systemd options', () => {
  it('names units', () => {
    expect(unitName('x', 'nginx')).toBe('nginx.service');
    expect(unitName('x', 'docker.socket')).toBe('docker.socket');
    expect(unitName('x', 'getty@tty1')).toBe('getty@tty1.service');
    expect(unitName('x', 'php8.2-fpm')).toBe('php8.2-fpm.service');
  });

  it('refuses bad options before touching the host', () => {
    const host = null as never;
    expect(() => systemd(host, { unit: 'nginx; reboot', state: 'started' })).toThrow(
      /systemd: unit must be a unit name/,
    );
    expect(() => systemd(host, { unit: '-nginx', state: 'started' })).toThrow(
      /systemd: unit must be a unit name/,
    );
    expect(() => systemd(host, { unit: 'getty@.service', enabled: true })).toThrow(
      /systemd: unit "getty@.service" is a template/,
    );
    expect(() => systemd(host, { unit: 'nginx', state: 'running' as never })).toThrow(
      /systemd: state must be "started", "stopped", "restarted" or "reloaded"/,
    );
    expect(() => systemd(host, { unit: 'nginx', enabled: 'yes' as never })).toThrow(
      /systemd: enabled must be true or false/,
    );
    expect(() => systemd(host, { unit: 'nginx', masked: true, state: 'started' })).toThrow(
      /systemd: a masked unit can only be stopped/,
    );
    expect(() => systemd(host, { unit: 'nginx' })).toThrow(
      /systemd: give at least one of enabled, state, masked/,
    );
  });
});

describe('systemd drop-ins', () => {
  it('renders settings: arrays repeat a key, "" resets it, booleans are yes/no', () => {
    expect(
      renderUnitSettings('t', {
        Service: {
          ExecStart: ['', '/usr/bin/app --fast'],
          Restart: 'always',
          NoNewPrivileges: true,
          LimitNOFILE: 65536,
        },
        Unit: { After: 'network-online.target' },
      }),
    ).toBe(
      '[Service]\nExecStart=\nExecStart=/usr/bin/app --fast\nRestart=always\nNoNewPrivileges=yes\nLimitNOFILE=65536\n\n[Unit]\nAfter=network-online.target\n',
    );
  });

  it('refuses bad options before touching the host', () => {
    const host = null as never;
    expect(() => systemdDropin(host, { unit: 'nginx', name: '../x', content: '' })).toThrow(
      /systemdDropin: name must be a file name/,
    );
    expect(() => systemdDropin(host, { unit: 'ng inx', name: 'x', content: '' })).toThrow(
      /systemdDropin: unit must be a unit name/,
    );
    expect(() => systemdDropin(host, { unit: 'nginx', name: 'x' })).toThrow(
      /systemdDropin: give either content or settings/,
    );
    expect(() => systemdDropin(host, { unit: 'nginx', name: 'x', content: 'a', settings: {} })).toThrow(
      /give either content or settings/,
    );
    expect(() =>
      systemdDropin(host, {
        unit: 'nginx',
        name: 'x',
        settings: { Service: { Environment: 'A=1\nExecStart=/bin/evil' } },
      }),
    ).toThrow(/systemdDropin: Environment must be one line/);
    expect(() => systemdDropin(host, { unit: 'nginx', name: 'x', settings: { service: { A: 1 } } })).toThrow(
      /systemdDropin: section must be a name like "Service"/,
    );
    expect(() =>
      systemdDropin(host, { unit: 'nginx', name: 'x', content: 'a', state: 'gone' as never }),
    ).toThrow(/systemdDropin: state must be "present" or "absent"/);
  });
});
