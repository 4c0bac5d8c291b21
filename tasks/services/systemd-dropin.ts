/**
 * `systemdDropin`: /etc/systemd/system/UNIT.d/NAME.conf, written through `file()` (atomic; the
 * temp name ends in `~`, which systemd's `*.conf` glob never loads), followed by a daemon-reload
 * whenever it changed. Not "only if NeedDaemonReload": systemd 252 does not notice a drop-in
 * folder created for a loaded unit, so it would say no and keep the old configuration.
 * Restarting the service to apply it is the role's handler's job (`systemd` with
 * `state: 'restarted'`), as with any config file.
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import type { FileStat } from '../../lib/host/stat.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';
import { Secret } from '../../lib/secret.js';
import { fileResource, type FileChange, type ManagedFileState } from '../files/file.js';
import { checkOptions, fail, InstanceOf, OneOf, Options } from '../options.js';
import { renderUnitSettings, UnitSettings } from './systemd-ini.js';
import { unitName } from './systemd-units.js';

export const SystemdDropinOptions = Options({
  /** The unit it extends: `nginx` (→ nginx.service), `docker.socket`. */
  unit: Type.String({ expected: 'must be a unit name like "nginx" or "nginx.service"' }),
  /** File name without `.conf`: `override`, `10-limits`. */
  name: Type.String({
    pattern: '^[A-Za-z0-9_@-][A-Za-z0-9_.@-]*$',
    expected: 'must be a file name without ".conf" like "override"',
  }),
  /** The drop-in text … */
  content: Type.Optional(
    Type.Union([Type.String(), InstanceOf(Secret)], { expected: 'must be a string or a Secret' }),
  ),
  /** … or its settings as data (one of the two). */
  settings: Type.Optional(UnitSettings),
  /** Default `present`. */
  state: Type.Optional(OneOf(['present', 'absent'], { expected: 'must be "present" or "absent"' })),
});
export type SystemdDropinOptions = Static<typeof SystemdDropinOptions>;

/** The drop-in's removal (its folder goes too once empty). */
export type DropinRemoval = Change<'state', 'absent'>;

/** The drop-in file, written as `file()` writes it, then a daemon-reload. */
function presentResource(
  id: string,
  path: string,
  content: string | Secret,
): Resource<ManagedFileState, FileChange> {
  const dir = path.slice(0, path.lastIndexOf('/'));
  const inner = fileResource({ path, content, mode: '0644', owner: 'root', group: 'root' });
  return {
    ...inner,
    id,
    async apply(host, current, changes) {
      await host.$`mkdir -p -m 0755 ${dir}`;
      await inner.apply(host, current, changes);
      await host.$`systemctl daemon-reload`;
    },
  };
}

/**
 * A systemd drop-in: extend or override a unit without touching its packaged file.
 *
 * @example
 * await systemdDropin(host, { unit: 'nginx', name: 'limits', settings: { Service: { LimitNOFILE: 65536 } } });
 * await systemdDropin(host, { unit: 'app', name: 'exec', settings: { Service: { ExecStart: ['', '/opt/app/bin/app --fast'] } } });
 */
export function systemdDropin(host: Host, options: SystemdDropinOptions): Promise<TaskOutcome> {
  const { path, content } = settle(options);
  const id = `systemd drop-in ${path}`;
  return content === undefined
    ? converge(host, absentResource(id, path))
    : converge(host, presentResource(id, path, content));
}

/**
 * Removal. No content diff: the options say nothing about whether the file held a secret
 * (`Environment=TOKEN=…`), so its text is never fetched or shown.
 */
function absentResource(id: string, path: string): Resource<FileStat | null, DropinRemoval> {
  const dir = path.slice(0, path.lastIndexOf('/'));
  return {
    id,
    async read(host) {
      const stat = await host.stat(path);
      if (stat && stat.type !== 'file') throw new Error(`${path} exists and is a ${stat.type}, not a file`);
      return stat;
    },
    plan: (stat) => (stat ? [{ field: 'state', from: 'present', to: 'absent' }] : []),
    async apply(host) {
      // The folder goes too once empty, so `systemctl cat` shows no leftover.
      await host.$`rm -f -- ${path}; rmdir -- ${dir} 2>/dev/null; true`;
      await host.$`systemctl daemon-reload`;
    },
  };
}

/** The drop-in's path and content (undefined: it is to be absent). */
function settle(o: SystemdDropinOptions): { path: string; content?: string | Secret } {
  checkOptions('systemdDropin', SystemdDropinOptions, o);
  const unit = unitName('systemdDropin', o.unit);
  const path = `/etc/systemd/system/${unit}.d/${o.name.replace(/\.conf$/, '')}.conf`;
  if (o.state === 'absent') return { path };
  if ((o.content === undefined) === (o.settings === undefined))
    fail('systemdDropin', 'give', 'either content or settings', {
      content: o.content === undefined ? undefined : '…',
      settings: o.settings,
    });
  return {
    path,
    content: o.settings !== undefined ? renderUnitSettings('systemdDropin', o.settings) : o.content!,
  };
}
