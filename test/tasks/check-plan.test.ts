/**
 * Check mode that assumes earlier tasks ran (issue 12). On a fresh Debian 12 test host, a role of
 * apt → template → systemd in check mode exits 0, lists exactly the changes the real run that
 * follows then makes, and changes nothing (the host's overlay upper directory is byte-identical).
 * The units below check the planning itself: a unit from a file an earlier task writes, one
 * from a package an earlier task installs ("would be enabled once installed"), and none at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckMemory } from '../../lib/resource.js';
import type { UnitFacts } from '../../tasks/services/systemd-facts.js';
import { assumeUnit, planUnit } from '../../tasks/services/systemd.js';
import { runCli, taskEvents, type CliRun } from '../support/cli.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';

const PLAYBOOK = 'test/tasks/fixtures/check-plan/playbook.ts';

const notFound: UnitFacts = {
  id: 'app.service',
  loadState: 'not-found',
  activeState: 'inactive',
  subState: 'dead',
  unitFileState: '',
  fragmentPath: '',
  needDaemonReload: false,
  canReload: false,
  loadedDropins: [],
  dropinsOnDisk: [],
};
const wanted = { unit: 'app.service', enabled: true, state: 'started' as const };

describe('planning a unit against earlier tasks', () => {
  it('plans a unit whose file an earlier task writes as the real run will find it', () => {
    const earlier = new CheckMemory();
    const unitFile = '[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n';
    earlier.add([{ kind: 'file', path: '/etc/systemd/system/app.service', content: Buffer.from(unitFile) }]);
    const assumed = assumeUnit(notFound, 'app.service', earlier)!;
    expect(assumed.because).toBe('/etc/systemd/system/app.service is written by an earlier task');
    // systemd loads a unit it does not know when first asked: no daemon-reload is needed.
    expect(planUnit(assumed.current, wanted)).toEqual([
      { field: 'unit file state', from: 'disabled', to: 'enabled' },
      { field: 'state', from: 'inactive', to: 'started' },
    ]);
    // Without an [Install] section it is static: enabling is not a change.
    const static_ = new CheckMemory();
    static_.add([
      { kind: 'file', path: '/lib/systemd/system/app.service', content: Buffer.from('[Service]\n') },
    ]);
    expect(planUnit(assumeUnit(notFound, 'app.service', static_)!.current, wanted)).toEqual([
      { field: 'state', from: 'inactive', to: 'started' },
    ]);
  });

  it('plans a unit an earlier package install may bring as "would be enabled once installed"', () => {
    const earlier = new CheckMemory();
    earlier.add([{ kind: 'package', name: 'nginx' }]);
    const assumed = assumeUnit(notFound, 'app.service', earlier)!;
    expect(assumed.because).toBe('app.service would come with package nginx, installed by an earlier task');
    expect(planUnit(assumed.current, wanted)).toEqual([
      { field: 'unit file state', from: 'not installed yet', to: 'enabled' },
      { field: 'state', from: 'not installed yet', to: 'started' },
    ]);
  });

  it('still refuses a unit nothing earlier provides', () => {
    expect(assumeUnit(notFound, 'app.service', new CheckMemory())).toBeUndefined();
    expect(() => planUnit(notFound, wanted)).toThrow('systemd: unit app.service not found');
  });
});

describe.skipIf(skipHosts)('check mode on a fresh host', () => {
  let f: HostFixture;
  let name: string;
  beforeAll(async () => {
    f = await bootFixture(1, 'tcheck');
    name = f.hosts.hosts[0]!.name;
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });
  const run = (...args: string[]) => runCli([PLAYBOOK, ...f.sshArgs, '--json', ...args]);
  /** Per task: its status and change lines. */
  const changesOf = (r: CliRun): Record<string, { status: string; changes: string[] }> =>
    Object.fromEntries(taskEvents(r).map((e) => [e.task, { status: e.status, changes: e.changes ?? [] }]));

  it('apt → template → systemd: check exits 0, lists exactly what the real run does, changes nothing', async () => {
    expect((await f.hosts.exec(name, 'command -v jq || echo none')).stdout.trim()).toBe('none');
    const before = await f.hosts.snapshotUpper(name);

    const check = await run('--check');
    expect(check.code, check.stderr + check.stdout).toBe(0);
    expect(await f.hosts.snapshotUpper(name)).toEqual(before);
    const service = taskEvents(check, { task: 'service' })[0]!;
    expect(service.message).toBe(
      'check mode: planned as if earlier tasks had run (/etc/systemd/system/ns-hello.service is written by an earlier task)',
    );

    const real = await run();
    expect(real.code, real.stderr + real.stdout).toBe(0);
    const planned = changesOf(check);
    expect(planned).toEqual(changesOf(real));
    expect(Object.values(planned).map((t) => t.status)).toEqual(['changed', 'changed', 'changed']);
    expect(planned.service!.changes).toEqual([
      'systemd ns-hello.service: unit file state disabled → enabled',
      'systemd ns-hello.service: state inactive → started',
    ]);
    expect((await f.hosts.exec(name, 'systemctl is-active ns-hello')).stdout.trim()).toBe('active');

    const again = await run();
    expect(again.events.at(-1)!.hosts[name]).toMatchObject({ changed: 0, failed: 0 });
  });
});
