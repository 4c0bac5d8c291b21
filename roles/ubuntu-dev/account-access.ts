/**
 * Whether a site user's account may log in, beyond its password: locked and expired when the
 * user is `disabled` (or dropped from the map), so both sshd (keys included: its PAM account
 * check refuses an expired account) and xrdp (PAM) refuse it, and out of the RDP group; its
 * running sessions are ended. Re-enabling clears the expiry (the password comes back through the
 * user primitive, which replaces the locked hash). One read, one write, as every primitive.
 */
import type { Host } from '../../lib/host/host.js';
import type { TaskOutcome } from '../../lib/define.js';
import { converge, type Change, type Resource } from '../../tasks/index.js';
import { RDP_GROUP } from './groups.js';

interface Access {
  exists: boolean;
  locked: boolean;
  /** /etc/shadow's expiry field: '' for none, days since 1970 otherwise. */
  expire: string;
  inRdpGroup: boolean;
}

/** Day 1 (1970-01-02): expired for good, and unlike 0 not read as "no expiry" by any tool. */
const EXPIRED = '1';

export function accountAccessResource(name: string, enabled: boolean): Resource<Access> {
  return {
    id: `account ${name}`,
    async read(host) {
      const out = await host.probe({ nothrow: true })`getent shadow ${name} && id -nG ${name}`;
      if (out.exitCode !== 0) return { exists: false, locked: false, expire: '', inRdpGroup: false };
      const [shadow = '', groups = ''] = out.stdout.split('\n');
      const fields = shadow.split(':');
      return {
        exists: true,
        locked: (fields[1] ?? '').startsWith('!'),
        expire: fields[7] ?? '',
        inRdpGroup: groups.split(' ').includes(RDP_GROUP),
      };
    },
    plan(a) {
      const changes: Change[] = [];
      if (!a.exists) return changes; // the user primitive reports a missing account
      if (enabled) {
        if (a.expire !== '') changes.push({ field: 'expiry', from: a.expire, to: 'none' });
        return changes;
      }
      if (!a.locked) changes.push({ field: 'password', from: 'usable', to: 'locked' });
      if (a.expire !== EXPIRED) changes.push({ field: 'expiry', from: a.expire || 'none', to: 'expired' });
      if (a.inRdpGroup) changes.push({ field: `group ${RDP_GROUP}`, from: 'member', to: 'removed' });
      return changes;
    },
    async apply(host, a) {
      if (enabled) {
        await host.$`usermod -e '' ${name}`;
        return;
      }
      const steps = [
        a.locked ? '' : 'usermod -L "$1"',
        'usermod -e 1 "$1"',
        a.inRdpGroup ? `gpasswd -d "$1" ${RDP_GROUP} >/dev/null` : '',
        // End what the user still runs (an open RDP or SSH session): disabled means out now.
        'pkill -KILL -u "$1" || true',
      ].filter(Boolean);
      await host.$`sh -c ${`set -e; ${steps.join('; ')}`} sh ${name}`;
    },
  };
}

export function accountAccess(host: Host, name: string, enabled: boolean): Promise<TaskOutcome> {
  return converge(host, accountAccessResource(name, enabled));
}
