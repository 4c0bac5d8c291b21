/**
 * SSH hardened: keys only, no root password login, in a drop-in that sshd_config's Include reads
 * first. The file is checked with `sshd -t` before it replaces the old one, and the whole
 * configuration again before the reload (the handler): a bad file never reaches sshd.
 */
import type { RoleContext } from '../../lib/define.js';
import { template } from '../../tasks/index.js';
import { type Pending, unlessPending } from './gate.js';
import type { UbuntuDevVars } from './vars.js';

export const SSHD_DROPIN = '/etc/ssh/sshd_config.d/10-novastation-hardening.conf';

export async function sshHardening(ctx: RoleContext<UbuntuDevVars>, pending: Pending): Promise<void> {
  const { host, task } = ctx;
  await task(
    'ssh: keys only',
    () =>
      unlessPending(pending.packages(['openssh-server']), `write ${SSHD_DROPIN}`, () =>
        template(host, {
          path: SSHD_DROPIN,
          src: 'ubuntu-dev/sshd.conf.hbs',
          vars: {},
          mode: '0644',
          // The drop-in alone is a complete sshd configuration: checked as one.
          validate: 'sshd -t -f %s',
        }),
      ),
    { notify: 'reload sshd' },
  );
}
