/**
 * Check mode that assumes earlier tasks ran (issue 12). On a fresh Debian 12 test host, a role of
 * apt → template → systemd and one of file → line/block/INI edits of it and user → its key in
 * check mode exit 0, list exactly the changes (and diffs) the real run that follows then makes,
 * and change nothing (the host's overlay upper directory is byte-identical).
 * The units below check the planning itself: a unit from a file an earlier task writes, one
 * from a package an earlier task installs ("would be enabled once installed"), and none at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckMemory } from '../../lib/resource.js';
import { authorizedKeyResource } from '../../tasks/accounts/authorized-key.js';
import { userResource } from '../../tasks/accounts/user.js';
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

describe('planning keys against an earlier user task', () => {
  const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDL4RzHpmgGQ5pkHb9ooCQbL8Wr5OhYrLba7UEE17fiL t@test';
  /** What an earlier `user` task, planned on a host without that user, leaves in the memory. */
  const afterUser = (options: Parameters<typeof userResource>[0]) => {
    const earlier = new CheckMemory();
    const created = userResource(options);
    const none = { account: null, sameNameGroupGid: null };
    earlier.add(created.provides!(none, created.plan(none)));
    return earlier;
  };
  const missing = { account: null, homeMissing: false, parts: [] };

  it('plans the folder and file in the home useradd would make', () => {
    const keys = authorizedKeyResource({ user: 'deploy', keys: [KEY] });
    const assumed = keys.assume!(missing, afterUser({ name: 'deploy', home: '/srv/deploy' }))!;
    expect(assumed.because).toBe('user deploy and its home /srv/deploy are created by an earlier task');
    expect(keys.plan(assumed.current)).toEqual([
      { field: '/srv/deploy/.ssh state', to: 'directory created' },
      { field: '/srv/deploy/.ssh/authorized_keys state', to: 'created' },
    ]);
  });

  it('waits for a home a system user is created without, as the real run then fails', () => {
    const keys = authorizedKeyResource({ user: 'svc', keys: [KEY] });
    const assumed = keys.assume!(missing, afterUser({ name: 'svc', system: true }))!;
    expect(assumed.because).toBe('user svc is created by an earlier task');
    expect(keys.plan(assumed.current)).toEqual([
      { field: 'authorized keys', to: 'written once the home /home/svc exists' },
    ]);
  });

  it('plans nothing new for a user no earlier task creates', () => {
    const keys = authorizedKeyResource({ user: 'ghost', keys: [KEY] });
    expect(keys.assume!(missing, afterUser({ name: 'other' }))).toBeUndefined();
    expect(keys.plan(missing)).toEqual([{ field: 'authorized keys', to: 'written once user ghost exists' }]);
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

  /** Per task: its diff (--diff), for the tasks that have one. */
  const diffsOf = (r: CliRun): Record<string, string> =>
    Object.fromEntries(taskEvents(r).flatMap((e) => (e.diff ? [[e.task, e.diff as string]] : [])));

  // One converge for the whole file: the check run, the real run that follows, and a second run.
  it('plans each task against what earlier tasks would make: check exits 0, lists exactly what the real run does, changes nothing', async () => {
    expect((await f.hosts.exec(name, 'command -v jq || echo none')).stdout.trim()).toBe('none');
    expect((await f.hosts.exec(name, 'getent passwd nsdeploy || echo none')).stdout.trim()).toBe('none');
    const before = await f.hosts.snapshotUpper(name);

    const check = await run('--check', '--diff');
    expect(check.code, check.stderr + check.stdout).toBe(0);
    expect(await f.hosts.snapshotUpper(name)).toEqual(before);
    const because = (task: string) => taskEvents(check, { task })[0]!.message;
    expect(because('service')).toBe(
      'check mode: planned as if earlier tasks had run (/etc/systemd/system/ns-hello.service is written by an earlier task)',
    );
    for (const task of ['conf line', 'conf setting', 'conf block'])
      expect(because(task), task).toBe(
        'check mode: planned as if earlier tasks had run (/etc/ns-check.conf is written by an earlier task)',
      );
    expect(because('deploy key')).toBe(
      'check mode: planned as if earlier tasks had run (user nsdeploy and its home /home/nsdeploy are created by an earlier task)',
    );

    const real = await run('--diff');
    expect(real.code, real.stderr + real.stdout).toBe(0);
    const planned = changesOf(check);
    expect(planned).toEqual(changesOf(real));
    expect(Object.values(planned).map((t) => t.status)).toEqual(Array(9).fill('changed'));
    expect(planned.service!.changes).toEqual([
      'systemd ns-hello.service: unit file state disabled → enabled',
      'systemd ns-hello.service: state inactive → started',
    ]);
    // Edits of a file an earlier task writes: content against the would-be content, and only the
    // attributes that differ from what that task sets.
    const content = /: content sha256:\w{12} → sha256:\w{12}$/;
    expect(planned['conf line']!.changes).toEqual([expect.stringMatching(content)]);
    expect(planned['conf block']!.changes).toEqual([
      expect.stringMatching(content),
      'block extra in /etc/ns-check.conf: group root → adm',
    ]);
    expect(planned['conf setting']!.changes).toEqual([
      expect.stringMatching(/^setting \[main\] workers in \/etc\/ns-check.conf: content /),
    ]);
    expect(planned['deploy key']!.changes).toEqual([
      'authorized_key nsdeploy: /home/nsdeploy/.ssh state → directory created',
      'authorized_key nsdeploy: /home/nsdeploy/.ssh/authorized_keys state → created',
    ]);
    // The diffs check mode shows are the ones the real run shows.
    const diffs = diffsOf(check);
    expect(Object.keys(diffs)).toEqual(expect.arrayContaining(['conf line', 'conf block', 'conf setting']));
    expect(diffs).toEqual(diffsOf(real));
    expect(diffs['conf line']).toContain(' [main]\n+port = 8080');

    expect((await f.hosts.exec(name, 'systemctl is-active ns-hello')).stdout.trim()).toBe('active');
    const conf = (await f.hosts.exec(name, 'cat /etc/ns-check.conf')).stdout;
    for (const line of ['port = 8080', 'workers = 4', 'level = 2']) expect(conf).toContain(`\n${line}\n`);

    const again = await run();
    expect(again.events.at(-1)!.hosts[name]).toMatchObject({ changed: 0, failed: 0 });
  });
});
