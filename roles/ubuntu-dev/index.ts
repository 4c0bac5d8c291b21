/**
 * `ubuntu-dev`: an Ubuntu 22.04 (or Debian 12) development VM that serves its assigned people an
 * XFCE desktop over RDP, ready for development work:
 *
 * 1. the desktop: xrdp + xorgxrdp + XFCE, TLS, session limits, the colord polkit rule (desktop.ts);
 * 2. development tools, each behind a variable (dev-tools.ts);
 * 3. the accounts of the users the site model assigns to this VM, as their state says (accounts.ts);
 * 4. SSH keys-only (ssh.ts);
 * 5. the firewall: RDP and SSH from the site's gateway and admin addresses only (firewall.ts).
 *
 * Handlers restart xrdp and reload sshd only when a task changed their configuration.
 */
import { defineRole } from '../../lib/define.js';
import { siteOf, usersOf } from '../../lib/site/index.js';
import { systemd } from '../../tasks/index.js';
import { accounts } from './accounts.js';
import { desktop } from './desktop.js';
import { devTools } from './dev-tools.js';
import { distroFacts } from './distro.js';
import { firewall } from './firewall.js';
import { readPending } from './gate.js';
import { sshHardening } from './ssh.js';
import { ubuntuDevDefaults, ubuntuDevSchema } from './vars.js';

export type { UbuntuDevVars } from './vars.js';

export const ubuntuDev = defineRole({
  name: 'ubuntu-dev',
  tags: ['ubuntu-dev', 'desktop'],
  vars: ubuntuDevSchema,
  defaults: ubuntuDevDefaults,
  handlers: {
    // xrdp.service Requires= xrdp-sesman.service, so restarting sesman restarts xrdp with it
    // (systemd.unit(5)). A second restart of xrdp right after raced that one's stop ("xrdp is
    // already running": xrdp --kill does not wait) and failed now and then on a loaded machine.
    'restart xrdp': async ({ host }) => {
      await systemd(host, { unit: 'xrdp-sesman', state: 'restarted' });
      await systemd(host, { unit: 'xrdp', state: 'started' });
    },
    // The whole configuration checked again before sshd rereads it.
    'reload sshd': async ({ host }) => {
      await host.$`sshd -t`;
      await systemd(host, { unit: 'ssh', state: 'reloaded' });
    },
  },
  async apply(ctx) {
    const distro = distroFacts(await ctx.host.facts());
    // Check mode on a fresh host: what is only planned (issue 12's engine work will replace this).
    const pending = await readPending(
      ctx.host,
      ['xrdp', distro.polkit.package, 'nftables', 'openssh-server'],
      ['xrdp', ...usersOf(siteOf(ctx), ctx.inventoryHost).map((u) => u.login)],
    );
    await desktop(ctx, distro, pending);
    await devTools(ctx, distro);
    await accounts(ctx, pending);
    await sshHardening(ctx, pending);
    await firewall(ctx, pending);
  },
});
