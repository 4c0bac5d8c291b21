/**
 * `group`: a local group present (with a gid) or absent. One read round trip (`getent group`
 * for the name, and for the wanted gid: who holds it); one `groupadd`/`groupmod`/`groupdel` when
 * something differs. `system` only matters when the group is created (groupadd picks a gid from
 * the system range); an existing group is not renumbered for it.
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';
import { groupProbeScript, parseGroupProbe, type GroupFacts } from './account-facts.js';
import { AccountId, AccountName, PRESENCE } from './account-options.js';
import { checkOptions, fail, Flag, OneOf, Options } from '../options.js';

export const GroupOptions = Options({
  name: AccountName(),
  /** Default `present`. */
  state: Type.Optional(OneOf(PRESENCE)),
  /** The gid; when not given, a new group gets the next free one and an existing one keeps its own. */
  gid: Type.Optional(AccountId()),
  /** Create it as a system group (gid from the system range). */
  system: Type.Optional(Flag()),
});
export type GroupOptions = Static<typeof GroupOptions>;

const PRIMITIVE = 'group';

/** The rules between options that their declaration cannot say. */
function checkGroupOptions(o: GroupOptions): void {
  checkOptions(PRIMITIVE, GroupOptions, o);
  if (o.state === 'absent') {
    for (const key of ['gid', 'system'] as const)
      if (o[key] !== undefined) fail(PRIMITIVE, key, 'has no meaning with state "absent"', o[key]);
  }
}

/** A group's plan, as data: apply runs groupadd/groupmod/groupdel from these, not from the text shown. */
export type GroupChange =
  | (Change<'state', 'created' | `created (gid ${number})`> & { gid?: number })
  | Change<'state', 'absent'>
  | (Change<'gid'> & { gid: number });

/** The changes for a group, as data (pure: unit-tested without a host). */
export function planGroup(o: GroupOptions, facts: GroupFacts): GroupChange[] {
  const { group } = facts;
  if (o.state === 'absent') return group ? [{ field: 'state', from: 'present', to: 'absent' }] : [];
  // Someone else holding the gid would make groupadd/groupmod fail later: say it now, also in check mode.
  if (o.gid !== undefined && facts.gidOwner !== null && facts.gidOwner !== o.name) {
    throw new Error(`group ${o.name}: gid ${o.gid} already belongs to group ${facts.gidOwner}`);
  }
  if (!group)
    return [
      o.gid !== undefined
        ? { field: 'state', to: `created (gid ${o.gid})`, gid: o.gid }
        : { field: 'state', to: 'created' },
    ];
  if (o.gid !== undefined && group.gid !== o.gid)
    return [{ field: 'gid', from: String(group.gid), to: String(o.gid), gid: o.gid }];
  return [];
}

export function groupResource(options: GroupOptions): Resource<GroupFacts, GroupChange> {
  checkGroupOptions(options);
  const { name, gid } = options;
  return {
    id: `group ${name}`,
    async read(host) {
      const r = await host.probe({
        inShell: true,
      })`eval ${groupProbeScript(name, options.state === 'absent' ? undefined : gid)}`;
      return parseGroupProbe(name, r.stdout);
    },
    plan: (facts) => planGroup(options, facts),
    provides: (facts) => (options.state === 'absent' || facts.group ? [] : [{ kind: 'group', name }]),
    async apply(host, _facts, changes) {
      for (const c of changes) {
        if (c.field === 'gid')
          // groupmod -g also moves the primary gid of the group's users in /etc/passwd.
          await host.$`groupmod -g ${String(c.gid)} -- ${name}`;
        else if (c.to === 'absent') await host.$`groupdel -- ${name}`;
        else {
          const args = [
            ...('gid' in c && c.gid !== undefined ? ['-g', String(c.gid)] : []),
            ...(options.system ? ['-r'] : []),
          ];
          await host.$`groupadd ${args} -- ${name}`;
        }
      }
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
