/**
 * `systemdDropin`: /etc/systemd/system/UNIT.d/NAME.conf, written through `file()` (atomic; the
 * temp name ends in `~`, which systemd's `*.conf` glob never loads), followed by a daemon-reload
 * whenever it changed. Not "only if NeedDaemonReload": systemd 252 does not notice a drop-in
 * folder created for a loaded unit, so it would say no and keep the old configuration.
 * Restarting the service to apply it is the role's handler's job (`systemd` with
 * `state: 'restarted'`), as with any config file.
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import type { FileStat } from '../../lib/host/stat.js';
import { converge, type Resource } from '../../lib/resource.js';
import { isSecret, type Secret } from '../../lib/secret.js';
import { fileResource } from '../files/file.js';
import { renderUnitSettings, type UnitSettings } from './systemd-ini.js';
import { unitName } from './systemd-units.js';

export interface SystemdDropinOptions {
  /** The unit it extends: `nginx` (→ nginx.service), `docker.socket`. */
  unit: string;
  /** File name without `.conf`: `override`, `10-limits`. */
  name: string;
  /** The drop-in text … */
  content?: string | Secret;
  /** … or its settings as data (one of the two). */
  settings?: UnitSettings;
  /** Default `present`. */
  state?: 'present' | 'absent';
}

const DROPIN_NAME = /^[A-Za-z0-9_.@-]+$/;

export function systemdDropinResource(options: SystemdDropinOptions): Resource<unknown> {
  const { path, content, state } = settle(options);
  const dir = path.slice(0, path.lastIndexOf('/'));
  const id = `systemd drop-in ${path}`;
  if (state === 'absent') return absentResource(id, path, dir);
  const inner = fileResource({
    path,
    content: content!,
    mode: '0644',
    owner: 'root',
    group: 'root',
  }) as Resource<unknown>;
  return {
    id,
    ...(inner.sensitive !== undefined ? { sensitive: inner.sensitive } : {}),
    read: (host) => inner.read(host),
    plan: (current) => inner.plan(current),
    diff: (current) => inner.diff?.(current),
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
  return converge(host, systemdDropinResource(options));
}

/**
 * Removal. No content diff: the options say nothing about whether the file held a secret
 * (`Environment=TOKEN=…`), so its text is never fetched or shown.
 */
function absentResource(id: string, path: string, dir: string): Resource<FileStat | null> {
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

function settle(o: SystemdDropinOptions): {
  unit: string;
  path: string;
  content?: string | Secret;
  state: 'present' | 'absent';
} {
  const fail = (what: string, got: unknown) =>
    new TypeError(`systemdDropin: ${what}, got ${JSON.stringify(got)}`);
  if (o === null || typeof o !== 'object') throw fail('options must be an object', o);
  const unit = unitName('systemdDropin', o.unit);
  if (typeof o.name !== 'string' || !DROPIN_NAME.test(o.name) || o.name.startsWith('.'))
    throw fail('name must be a file name without ".conf" like "override"', o.name);
  const path = `/etc/systemd/system/${unit}.d/${o.name.replace(/\.conf$/, '')}.conf`;
  const state = o.state ?? 'present';
  if (state !== 'present' && state !== 'absent') throw fail('state must be "present" or "absent"', o.state);
  if (state === 'absent') return { unit, path, state };
  if ((o.content === undefined) === (o.settings === undefined))
    throw fail('give either content or settings', {
      content: o.content === undefined ? undefined : '…',
      settings: o.settings,
    });
  if (o.content !== undefined && typeof o.content !== 'string' && !isSecret(o.content))
    throw fail('content must be a string or a Secret', typeof o.content);
  const content = o.settings !== undefined ? renderUnitSettings('systemdDropin', o.settings) : o.content;
  return { unit, path, content: content!, state };
}
