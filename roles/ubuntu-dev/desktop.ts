/**
 * The remote desktop: xrdp + xorgxrdp + XFCE, xrdp allowed to read its TLS key (ssl-cert), the
 * site's certificate or the host's snakeoil pair, the TLS security layer, sesman's limits, RDP
 * only for the role's group, and the polkit rule that stops colord's "authentication required"
 * prompt in remote sessions. Every change notifies `restart xrdp`.
 */
import { readFileSync } from 'node:fs';
import type { RoleContext, TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { isSecret, Secret } from '../../lib/secret.js';
import { apt, file, iniSetting, systemd, template, user } from '../../tasks/index.js';
import type { DistroFacts } from './distro.js';
import { merged, type Pending, unlessPending } from './gate.js';
import { RDP_GROUP } from './groups.js';
import type { UbuntuDevVars } from './vars.js';

const CERT = '/etc/xrdp/novastation-cert.pem';
const KEY = '/etc/xrdp/novastation-key.pem';

/** `[section] key=value` settings of one INI file (xrdp's files: no spaces around `=`). */
export async function iniFile(
  host: Host,
  path: string,
  settings: Record<string, Record<string, string>>,
): Promise<TaskOutcome> {
  const outcomes: TaskOutcome[] = [];
  for (const [section, keys] of Object.entries(settings))
    for (const [key, value] of Object.entries(keys))
      outcomes.push(await iniSetting(host, { path, section, key, value, separator: '=', create: false }));
  return merged(outcomes);
}

/** The site's certificate and key, from the variables or controller files; undefined: snakeoil. */
function siteCertificate(vars: UbuntuDevVars): { cert: string; key: Secret } | undefined {
  const cert =
    vars.xrdp_tls_cert ??
    (vars.xrdp_tls_cert_file ? readFileSync(vars.xrdp_tls_cert_file, 'utf8') : undefined);
  const rawKey =
    vars.xrdp_tls_key ?? (vars.xrdp_tls_key_file ? readFileSync(vars.xrdp_tls_key_file, 'utf8') : undefined);
  if (!cert && !rawKey) return undefined;
  if (!cert || !rawKey)
    throw new Error(
      'xrdp TLS: give both the certificate (xrdp_tls_cert[_file]) and its key (xrdp_tls_key[_file])',
    );
  return { cert, key: isSecret(rawKey) ? rawKey : new Secret(rawKey) };
}

export async function desktop(
  ctx: RoleContext<UbuntuDevVars>,
  distro: DistroFacts,
  pending: Pending,
): Promise<void> {
  const { host, vars, task } = ctx;
  const notify = 'restart xrdp';
  const xrdp = pending.packages(['xrdp']);
  await task('desktop packages', () =>
    apt(host, {
      packages: [...vars.desktop_packages, distro.polkit.package, 'ssl-cert'],
      updateCache: true,
      cacheValidTime: vars.apt_cache_valid_time,
    }),
  );
  // xrdp's postinst links the snakeoil pair but does not let xrdp read the key (§5.1).
  await task(
    'xrdp may read TLS keys (ssl-cert)',
    () =>
      unlessPending(pending.accounts(['xrdp']), 'add xrdp to ssl-cert', () =>
        user(host, { name: 'xrdp', groups: ['ssl-cert'], append: true }),
      ),
    { notify },
  );
  const site = siteCertificate(vars);
  await task(
    'xrdp TLS certificate',
    async () => {
      // Without a site certificate, xrdp's own links to the snakeoil pair stay: nothing to write.
      if (!site) return { changed: false, message: "the host's snakeoil pair (ssl-cert)" };
      return unlessPending(xrdp, 'write the TLS certificate', async () =>
        merged([
          await file(host, { path: CERT, content: site.cert, mode: '0644' }),
          await file(host, { path: KEY, content: site.key, mode: '0640', owner: 'root', group: 'xrdp' }),
        ]),
      );
    },
    { notify },
  );
  await task(
    'xrdp.ini: TLS',
    () =>
      unlessPending(xrdp, 'set the TLS security layer in /etc/xrdp/xrdp.ini', () =>
        iniFile(host, '/etc/xrdp/xrdp.ini', {
          Globals: {
            security_layer: vars.xrdp_security_layer,
            // Empty: xrdp's default, /etc/xrdp/cert.pem → the snakeoil pair.
            certificate: site ? CERT : '',
            key_file: site ? KEY : '',
            ssl_protocols: 'TLSv1.2, TLSv1.3',
          },
        }),
      ),
    { notify },
  );
  await task(
    'sesman.ini: sessions and who may log in',
    () =>
      unlessPending(xrdp, 'set session limits in /etc/xrdp/sesman.ini', () =>
        iniFile(host, '/etc/xrdp/sesman.ini', {
          Security: {
            AllowRootLogin: 'false',
            // Only the site users this VM's assignment lets in (accounts.ts keeps the group).
            TerminalServerUsers: RDP_GROUP,
            AlwaysGroupCheck: 'true',
          },
          Sessions: {
            MaxSessions: String(vars.xrdp_max_sessions),
            Policy: vars.xrdp_session_policy,
            KillDisconnected: String(vars.xrdp_kill_disconnected),
            DisconnectedTimeLimit: String(vars.xrdp_disconnected_time_limit),
            IdleTimeLimit: String(vars.xrdp_idle_time_limit),
          },
        }),
      ),
    { notify },
  );
  await task('polkit: no colord prompt in remote sessions', () =>
    unlessPending(pending.packages([distro.polkit.package]), `write ${distro.polkit.path}`, () =>
      template(host, { path: distro.polkit.path, src: distro.polkit.template, vars: {}, mode: '0644' }),
    ),
  );
  await task('xrdp running at boot', () =>
    unlessPending(
      xrdp,
      'enable and start xrdp',
      () => systemd(host, { unit: 'xrdp', enabled: true, state: 'started' }),
      "xrdp's package enables and starts it",
    ),
  );
}
