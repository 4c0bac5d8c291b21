/**
 * `systemd`: a unit enabled or disabled, started or stopped, masked or not — and `restarted` /
 * `reloaded` as actions (they always run when asked: that is what handlers call). State is read
 * in one round trip (tasks/services/systemd-facts.ts); the changes run in one `systemctl … && systemctl …`
 * command.
 *
 * `daemon-reload` runs only when the unit's files on disk differ from what systemd loaded
 * (`reloadReason` in tasks/services/systemd-facts.ts: systemd's NeedDaemonReload, plus the new drop-in
 * folders and overriding unit files it does not notice). A role writes the unit file with
 * `file()` and then calls `systemd()`: no flag to pass around.
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Assumed, type Change, type CheckMemory, type Resource } from '../../lib/resource.js';
import { readUnitFacts, reloadReason, UNIT_DIRS, type UnitFacts } from './systemd-facts.js';
import { systemctlSteps, unitName } from './systemd-units.js';
import { checkOptions, fail, Flag, OneOf, Options } from '../options.js';

export const SystemdOptions = Options({
  /** `nginx` (→ nginx.service), `docker.socket`, `getty@tty1.service`. */
  unit: Type.String({ expected: 'must be a unit name like "nginx" or "nginx.service"' }),
  /** Started at boot (`systemctl enable`) or not. */
  enabled: Type.Optional(Flag()),
  state: Type.Optional(
    OneOf(['started', 'stopped', 'restarted', 'reloaded'], {
      expected: 'must be "started", "stopped", "restarted" or "reloaded"',
    }),
  ),
  /** `true`: linked to /dev/null, cannot be started at all. `false`: unmasked if masked. */
  masked: Type.Optional(Flag()),
});
export type SystemdOptions = Static<typeof SystemdOptions>;

interface Settings {
  unit: string;
  enabled?: boolean;
  state?: SystemdOptions['state'];
  masked?: boolean;
}

/** Unit file states that satisfy `enabled: true`; the last four cannot be changed by enable/disable. */
const ENABLED = new Set(['enabled', 'indirect', 'static', 'alias', 'generated', 'transient']);
const FIXED = new Set(['static', 'alias', 'generated', 'transient']);
const MASKED = new Set(['masked', 'masked-runtime']);
const RUNNING = new Set(['active', 'activating', 'reloading']);
const STOPPED = new Set(['inactive', 'failed', 'deactivating']);

/** Order of the verbs in one command: unmask first, mask last (after a stop). */
const ORDER = ['unmask', 'enable', 'disable', 'start', 'stop', 'restart', 'reload', 'mask'] as const;
type Verb = (typeof ORDER)[number];

/** What a unit becomes (the change's `to`) → the systemctl verb that makes it. */
const VERB = {
  masked: 'mask',
  unmasked: 'unmask',
  enabled: 'enable',
  disabled: 'disable',
  started: 'start',
  stopped: 'stop',
  restarted: 'restart',
  reloaded: 'reload',
} as const satisfies Record<string, Verb>;
type UnitState = keyof typeof VERB;

/** A planned unit change: `to` is a state systemctl makes (by VERB), or a daemon-reload. */
export type UnitChange =
  Change<'unit file state' | 'state', UnitState> | Change<'unit files', 'daemon-reload'>;

const step = (field: 'unit file state' | 'state', from: string, to: UnitState): UnitChange => ({
  field,
  from,
  to,
});

export function systemdResource(options: SystemdOptions): Resource<UnitFacts, UnitChange> {
  const s = settings(options);
  return {
    id: `systemd ${s.unit}`,
    read: (host) => readUnitFacts(host, s.unit),
    plan: (current) => planUnit(current, s),
    assume: (current, earlier) => assumeUnit(current, s.unit, earlier),
    async apply(host, _current, changes) {
      let rest = changes;
      if (changes.some((c) => c.to === 'daemon-reload')) {
        await host.$`systemctl daemon-reload`;
        // Reloaded: the unit's real state may differ from what was read (a new unit is only now known).
        rest = planUnit(await readUnitFacts(host, s.unit), s);
      }
      const verbs = rest.flatMap((c) => (c.to === 'daemon-reload' ? [] : [VERB[c.to]]));
      await systemctlSteps(
        host,
        ORDER.filter((v) => verbs.includes(v)).map((v) => [v, s.unit]),
      );
    },
  };
}

/**
 * A systemd unit's boot and run state.
 *
 * @example
 * await file(host, { path: '/etc/systemd/system/app.service', content: unitText });
 * await systemd(host, { unit: 'app', enabled: true, state: 'started' }); // daemon-reload if needed
 * await systemd(host, { unit: 'nginx', state: 'reloaded' });              // in a handler
 */
export function systemd(host: Host, options: SystemdOptions): Promise<TaskOutcome> {
  return converge(host, systemdResource(options));
}

/** Stands for a unit's state before the package an earlier task installs has brought it. */
export const NOT_INSTALLED = 'not installed yet';

/**
 * Check mode, a unit not found: as it will be once earlier tasks of the run have run.
 *
 * - A unit file an earlier task writes: systemd loads a unit it does not know from disk when
 *   first asked, so the real run will find it loaded, `disabled` when its [Install] section says
 *   where to enable it, else `static` — and plan enable and start from there.
 * - A package an earlier task installs may bring the unit: planned from "not installed yet", it
 *   would be enabled once installed. (A package's own scripts may enable or start it themselves:
 *   the real run then reports less.)
 */
export function assumeUnit(u: UnitFacts, unit: string, earlier: CheckMemory): Assumed<UnitFacts> | undefined {
  if (u.loadState !== 'not-found' || u.onDisk || MASKED.has(u.unitFileState)) return undefined;
  const written = UNIT_DIRS.map((d) => earlier.file(`${d}/${unit}`)).find((f) => f !== undefined);
  if (written) {
    const text = written.content?.toString('utf8') ?? '';
    const installable = /^\[Install\][^[]*^(WantedBy|RequiredBy|UpheldBy|Alias)=\S/ms.test(text);
    return {
      current: {
        ...u,
        loadState: 'loaded',
        unitFileState: installable ? 'disabled' : 'static',
        activeState: 'inactive',
        subState: 'dead',
        fragmentPath: written.path,
        fragmentReal: written.path,
        canReload: /^ExecReload=/m.test(text),
        onDisk: { kind: 'file', path: written.path },
      },
      because: `${written.path} is written by an earlier task`,
    };
  }
  const packages = earlier.packages();
  if (!packages.length) return undefined;
  return {
    current: { ...u, loadState: 'loaded', unitFileState: NOT_INSTALLED, activeState: NOT_INSTALLED },
    because: `${unit} would come with package ${packages.join(', ')}, installed by an earlier task`,
  };
}

/** The changes, in order; throws for what cannot be done (a missing unit, disabling a static one). */
export function planUnit(u: UnitFacts, s: Settings): UnitChange[] {
  const changes: UnitChange[] = [];
  const fileState = u.unitFileState || (u.loadState === 'not-found' ? 'not-found' : 'unknown');
  const reason = reloadReason(u);
  if (reason) changes.push({ field: 'unit files', from: reason, to: 'daemon-reload' });
  const notFound = !reason && u.loadState === 'not-found' && !MASKED.has(u.unitFileState);

  const daemonReload = changes.length > 0;
  const wantsRunning = s.state === 'started' || s.state === 'restarted' || s.state === 'reloaded';
  if (notFound) {
    // A unit that does not exist is disabled and stopped already; it can still be masked.
    if (s.enabled || wantsRunning)
      throw new Error(`systemd: unit ${s.unit} not found (no unit file in the systemd search path)`);
    return s.masked ? [step('unit file state', 'not-found', 'masked')] : [];
  }

  const masked = MASKED.has(u.unitFileState) || u.loadState === 'masked';
  if (masked && s.masked === undefined && (s.enabled || wantsRunning)) {
    throw new Error(`systemd: unit ${s.unit} is masked; pass masked: false to unmask it`);
  }
  const unmasking = masked && s.masked === false;
  if (unmasking) changes.push(step('unit file state', 'masked', 'unmasked'));
  // After unmasking, the unit is as enabled as its [Install] links say; enable/disable are
  // no-ops when already so, so planning them from "unmasked" is safe.
  const before = unmasking ? 'unmasked' : fileState;

  if (s.enabled === true && !ENABLED.has(fileState)) changes.push(step('unit file state', before, 'enabled'));
  if (s.enabled === false && (!masked || unmasking)) {
    if (FIXED.has(fileState))
      throw new Error(
        `systemd: unit ${s.unit} is ${fileState} and cannot be disabled; mask it instead (masked: true)`,
      );
    if (fileState !== 'disabled' && fileState !== 'indirect')
      changes.push(step('unit file state', before, 'disabled'));
  }

  switch (s.state) {
    case 'started':
      if (!RUNNING.has(u.activeState)) changes.push(step('state', u.activeState, 'started'));
      break;
    case 'stopped':
      if (!STOPPED.has(u.activeState)) changes.push(step('state', u.activeState, 'stopped'));
      break;
    case 'restarted':
      // An action: it runs whenever asked, so check mode reports it as what would run, not as a
      // difference found on the host (Ansible's handlers report it only when they run).
      changes.push({ ...step('state', u.activeState, 'restarted'), action: true });
      break;
    case 'reloaded':
      if (!RUNNING.has(u.activeState)) changes.push(step('state', u.activeState, 'started'));
      // Judged after a pending daemon-reload: the new unit file may add ExecReload=.
      else if (!u.canReload && !daemonReload)
        throw new Error(`systemd: unit ${s.unit} cannot reload (no ExecReload=); use state: 'restarted'`);
      else changes.push({ ...step('state', u.activeState, 'reloaded'), action: true });
      break;
  }

  if (s.masked === true && !masked) changes.push(step('unit file state', fileState, 'masked'));
  return changes;
}

function settings(o: SystemdOptions): Settings {
  checkOptions('systemd', SystemdOptions, o);
  const unit = unitName('systemd', o.unit);
  if (o.masked === true && (o.enabled === true || (o.state !== undefined && o.state !== 'stopped'))) {
    fail(
      'systemd',
      'a masked unit',
      'can only be stopped and not enabled (masked: true with enabled: true or state other than "stopped")',
      { enabled: o.enabled, state: o.state },
    );
  }
  if (o.enabled === undefined && o.state === undefined && o.masked === undefined)
    fail('systemd', 'give', 'at least one of enabled, state, masked', o);
  return {
    unit,
    ...(o.enabled !== undefined ? { enabled: o.enabled } : {}),
    ...(o.state ? { state: o.state } : {}),
    ...(o.masked !== undefined ? { masked: o.masked } : {}),
  };
}
