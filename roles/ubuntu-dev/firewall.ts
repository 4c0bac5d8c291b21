/**
 * The firewall: nftables rules from a template, RDP and SSH accepted only from the site's
 * gateway addresses and admin networks (and SSH from the controller running the role, so the
 * role never cuts off its own session), other inbound traffic dropped. The file is checked with
 * `nft -c` before it replaces the old one, loaded as one transaction (all or nothing), and loaded
 * again at boot by nftables.service. Where ufw is active, `firewall_ufw` decides: leave it (and
 * write no rules of ours), or replace it.
 */
import type { RoleContext, TaskOutcome } from '../../lib/define.js';
import { addressFamily } from '../../lib/site/index.js';
import { siteOf } from '../../lib/site/index.js';
import { apt, systemd, template } from '../../tasks/index.js';
import { type Pending, unlessPending } from './gate.js';
import type { UbuntuDevVars } from './vars.js';

export const NFT_CONF = '/etc/nftables.conf';
/** SHA-256 of the file last loaded by the role (kept across boots: nftables.service loads the same file). */
const LOADED = '/var/lib/novastation/nftables.loaded';

const byFamily = (list: string[], family: 4 | 6) => list.filter((a) => addressFamily(a) === family);

export async function firewall(ctx: RoleContext<UbuntuDevVars>, pending: Pending): Promise<void> {
  const { host, vars, task } = ctx;
  if (!vars.firewall) return;
  const site = siteOf(ctx);

  const ufw = await host.probe({ nothrow: true })`ufw status 2>/dev/null | head -n 1`;
  if (/Status: active/.test(ufw.stdout)) {
    if (vars.firewall_ufw === 'leave') {
      ctx.log('ufw is active: left as it is (firewall_ufw: leave); no nftables rules written');
      await task('firewall: ufw is active, left as it is', async () => ({
        changed: false,
        message: 'ufw is active and firewall_ufw is leave: its rules stay, the role writes none',
      }));
      return;
    }
    await task('firewall: ufw replaced', async () => {
      await host.$`ufw --force disable`;
      await systemd(host, { unit: 'ufw', enabled: false, state: 'stopped' });
      return { changed: true, changes: ['ufw: disabled (firewall_ufw: replace)'] };
    });
  }

  await task('firewall package', () =>
    apt(host, { packages: ['nftables'], updateCache: true, cacheValidTime: vars.apt_cache_valid_time }),
  );
  // Where this run's SSH session comes from, as the host sees it ($SSH_CONNECTION: client address first).
  const from = await host.probe({ nothrow: true })`printf '%s' "$SSH_CONNECTION"`;
  const controller = from.stdout.split(' ')[0] ? [from.stdout.split(' ')[0]!] : [];
  const allowed = [...site.gatewayAddresses, ...site.adminNetworks];
  const nft = pending.packages(['nftables']);
  await task('firewall rules', () =>
    unlessPending(nft, `write ${NFT_CONF}`, () =>
      template(host, {
        path: NFT_CONF,
        src: 'ubuntu-dev/nftables.conf.hbs',
        vars: {
          site4: byFamily(allowed, 4),
          site6: byFamily(allowed, 6),
          controller4: byFamily(controller, 4),
          controller6: byFamily(controller, 6),
        },
        mode: '0755',
        validate: 'nft -c -f %s',
      }),
    ),
  );
  await task('firewall loaded', () => unlessPending(nft, 'load the rules', () => loadRules(ctx)));
  await task('firewall at boot', () =>
    unlessPending(nft, 'enable nftables.service', () => systemd(host, { unit: 'nftables', enabled: true })),
  );
}

/** Loads the file when it is not what was last loaded, or the table is gone from the kernel. */
async function loadRules({ host }: RoleContext<UbuntuDevVars>): Promise<TaskOutcome> {
  const r = await host.probe({ nothrow: true })`
    sha256sum < ${NFT_CONF} | cut -d' ' -f1
    cat ${LOADED} 2>/dev/null || echo none
    nft list table inet novastation >/dev/null 2>&1 && echo present || echo missing`;
  const [want = '', loaded = '', table = ''] = r.stdout.trim().split('\n');
  if (want === loaded && table === 'present') return { changed: false };
  const why = table !== 'present' ? 'table inet novastation missing' : 'rules changed';
  await host.$`nft -f ${NFT_CONF} && mkdir -p -m 0755 /var/lib/novastation && printf '%s\n' ${want} > ${LOADED}`;
  return { changed: true, changes: [`nftables: ${NFT_CONF} loaded (${why})`] };
}
