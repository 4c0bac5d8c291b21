/**
 * `group`: a local group present (with a gid) or absent. One read round trip (`getent group`
 * for the name, and for the wanted gid: who holds it); one `groupadd`/`groupmod`/`groupdel` when
 * something differs. `system` only matters when the group is created (groupadd picks a gid from
 * the system range); an existing group is not renumbered for it.
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';
import { groupProbeScript, parseGroupProbe, type GroupFacts } from './account-facts.js';
import { checkAccountName, checkId } from './account-options.js';
import { checkBoolean, checkObject, checkOneOf, fail } from '../options.js';

export interface GroupOptions {
  name: string;
  /** Default `present`. */
  state?: 'present' | 'absent';
  /** The gid; when not given, a new group gets the next free one and an existing one keeps its own. */
  gid?: number;
  /** Create it as a system group (gid from the system range). */
  system?: boolean;
}

function checkGroupOptions(o: GroupOptions): void {
  const primitive = 'group';
  checkObject(primitive, o);
  checkAccountName(primitive, 'name', o.name);
  checkOneOf(primitive, 'state', o.state, ['present', 'absent']);
  checkId(primitive, 'gid', o.gid);
  checkBoolean(primitive, 'system', o.system);
  if (o.state === 'absent') {
    for (const key of ['gid', 'system'] as const)
      if (o[key] !== undefined) fail(primitive, key, 'has no meaning with state "absent"', o[key]);
  }
}

/** The changes for a group, as data (pure: unit-tested without a host). */
export function planGroup(o: GroupOptions, facts: GroupFacts): Change[] {
  const { group } = facts;
  if (o.state === 'absent') return group ? [{ field: 'state', from: 'present', to: 'absent' }] : [];
  // Someone else holding the gid would make groupadd/groupmod fail later: say it now, also in check mode.
  if (o.gid !== undefined && facts.gidOwner !== null && facts.gidOwner !== o.name) {
    throw new Error(`group ${o.name}: gid ${o.gid} already belongs to group ${facts.gidOwner}`);
  }
  if (!group) return [{ field: 'state', to: o.gid !== undefined ? `created (gid ${o.gid})` : 'created' }];
  if (o.gid !== undefined && group.gid !== o.gid)
    return [{ field: 'gid', from: String(group.gid), to: String(o.gid) }];
  return [];
}

export function groupResource(options: GroupOptions): Resource<GroupFacts> {
  checkGroupOptions(options);
  const { name, gid } = options;
  return {
    id: `group ${name}`,
    async read(host) {
      const r =
        await host.probe`eval ${groupProbeScript(name, options.state === 'absent' ? undefined : gid)}`;
      return parseGroupProbe(name, r.stdout);
    },
    plan: (facts) => planGroup(options, facts),
    provides: (facts) => (options.state === 'absent' || facts.group ? [] : [{ kind: 'group', name }]),
    async apply(host, facts) {
      if (options.state === 'absent') await host.$`groupdel -- ${name}`;
      else if (!facts.group)
        await host.$`groupadd ${[...(gid !== undefined ? ['-g', String(gid)] : []), ...(options.system ? ['-r'] : [])]} -- ${name}`;
      // groupmod -g also moves the primary gid of the group's users in /etc/passwd.
      else await host.$`groupmod -g ${String(gid)} -- ${name}`;
    },
  };
}

/**
 * A local group, present (optionally with this gid) or absent.
 *
 * @example
 * await group(host, { name: 'ops', gid: 2000 });
 */
export function group(host: Host, options: GroupOptions): Promise<TaskOutcome> {
  return converge(host, groupResource(options));
}
