/**
 * The guacamole role's second half: Guacamole's users, connections and permissions kept equal to
 * the site model, through the webapp's REST API (lib/guacamole). The role's index declares the
 * variables below (`usersVarsSchema`, `usersDefaults`), runs `checkUsersInput` with the other
 * checks before any host is touched, and calls `syncUsersTask` as a task body.
 *
 * The webapp listens on the gateway's loopback only (nginx is the front door), so a loopback
 * `guacamole_url` is reached through a port forward over the run's SSH connection to the gateway
 * (host.forwardPort: no extra login, nothing published); with `ansible_connection=local` directly.
 * An HTTPS URL elsewhere (through nginx) is reached directly, its certificate verified.
 */
import type { RoleContext, TaskOutcome } from '../../lib/define.js';
import { InvalidInputError } from '../../lib/errors.js';
import { secret, type Secret } from '../../lib/secret.js';
import type { SiteModel } from '../../lib/site/types.js';
import { GuacamoleClient } from '../../lib/guacamole/client.js';
import { parseWebappUrl } from '../../lib/guacamole/url.js';
import {
  checkSite,
  planAgainstFreshDatabase,
  syncGuacamole,
  DEFAULT_RDP,
  type SyncOptions,
  type SyncResult,
} from '../../lib/guacamole/sync/index.js';

export interface UsersVars {
  /** The webapp: `https://…` through nginx, or `http://127.0.0.1:PORT/guacamole` on the gateway's loopback (reached through an SSH port forward). */
  guacamole_url: string;
  /** SHA-256 fingerprint of the webapp's certificate (an HTTPS URL), pinned: `AA:BB:…`. */
  guacamole_tls_fingerprint?: string;
  /** CA certificate file on the controller to verify an HTTPS URL's certificate with. */
  guacamole_ca_file?: string;
  /** The site user (admin: true) the sync logs in as; default: the first such user with a password. */
  guacamole_admin?: string;
  /** What becomes of the fresh database's `guacadmin` once the site's administrator can log in: `delete` or `disable`. */
  guacamole_default_admin: 'delete' | 'disable';
  /** The fresh database's `guacadmin` password, used only until the site's administrator exists. */
  guacamole_default_admin_password: string | Secret;
  /** Remove NovaStation's users, connections and groups that the site no longer lists (default: keep them and say so). */
  guacamole_prune: boolean;
  /** The names of the connection groups for development (`dev`) and GPU (`gpu`) VMs. */
  guacamole_connection_groups: { dev: string; gpu: string };
  /** The VMs' RDP certificates: `ignore` (xrdp and Windows present self-signed ones), `tofu` (trust on first use) or `verify`. */
  guacamole_rdp_cert_policy: 'ignore' | 'tofu' | 'verify';
  /** Clipboard between browser and desktop: `both`, `copy` (remote to local only), `paste` (local to remote only) or `none`. */
  guacamole_rdp_clipboard: 'both' | 'copy' | 'paste' | 'none';
  /** A per-user drive for file transfer (`/drive/${GUAC_USERNAME}` in guacd). */
  guacamole_rdp_drive: boolean;
  /** Log in to the VM with the user's own Guacamole credentials (`${GUAC_USERNAME}`/`${GUAC_PASSWORD}`). */
  guacamole_rdp_pass_through: boolean;
  /** The server's keyboard layout (`en-us-qwerty`, `de-de-qwertz`, … or `failsafe`); unset: guacd's default. */
  guacamole_rdp_server_layout?: string;
  /** The time zone given to the desktop session (e.g. `Europe/Berlin`). */
  guacamole_rdp_timezone?: string;
  /** Turn off the RDP graphics pipeline (GFX, on by default in 1.6); `guacamole_rdp_color_depth` then applies. */
  guacamole_rdp_disable_gfx: boolean;
  /** Colour depth (8, 16 or 24 bits) when the graphics pipeline is off. */
  guacamole_rdp_color_depth?: 8 | 16 | 24;
  /** No sound from the desktop. */
  guacamole_rdp_disable_audio: boolean;
}

/** HTTPS anywhere; plain HTTP only to the gateway's loopback (lib/guacamole/url.ts says why). */
const WEBAPP_URL =
  '^(https://[^\\s/?#]+|http://(127(\\.[0-9]{1,3}){3}|localhost|\\[::1\\])(:[0-9]+)?)(/[^\\s?#]*)?$';

export const usersVarsSchema = {
  guacamole_url: {
    type: 'string',
    pattern: WEBAPP_URL,
    description: 'the webapp: https://… through nginx, or http://127.0.0.1:PORT/guacamole on the gateway',
  },
  guacamole_tls_fingerprint: { type: 'string', pattern: '^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$' },
  guacamole_ca_file: { type: 'string', minLength: 1 },
  guacamole_admin: { type: 'string', pattern: '^[a-z_][a-z0-9_.-]*$' },
  guacamole_default_admin: { enum: ['delete', 'disable'] },
  guacamole_default_admin_password: { type: 'string', minLength: 1 },
  guacamole_prune: { type: 'boolean' },
  guacamole_connection_groups: {
    type: 'object',
    properties: { dev: { type: 'string', minLength: 1 }, gpu: { type: 'string', minLength: 1 } },
    required: ['dev', 'gpu'],
    additionalProperties: false,
  },
  guacamole_rdp_cert_policy: { enum: ['ignore', 'tofu', 'verify'] },
  guacamole_rdp_clipboard: { enum: ['both', 'copy', 'paste', 'none'] },
  guacamole_rdp_drive: { type: 'boolean' },
  guacamole_rdp_pass_through: { type: 'boolean' },
  guacamole_rdp_server_layout: { type: 'string', pattern: '^([a-z]{2}-[a-z]{2,5}-[a-z]+|failsafe)$' },
  guacamole_rdp_timezone: { type: 'string', minLength: 1 },
  guacamole_rdp_disable_gfx: { type: 'boolean' },
  guacamole_rdp_color_depth: { enum: [8, 16, 24] },
  guacamole_rdp_disable_audio: { type: 'boolean' },
} as const;

export const usersDefaults: Partial<UsersVars> = {
  guacamole_url: 'http://127.0.0.1:8080/guacamole',
  guacamole_default_admin: 'delete',
  guacamole_default_admin_password: 'guacadmin',
  guacamole_prune: false,
  guacamole_connection_groups: { dev: 'Development VMs', gpu: 'GPU VMs' },
  guacamole_rdp_cert_policy: 'ignore',
  guacamole_rdp_clipboard: 'both',
  guacamole_rdp_drive: false,
  guacamole_rdp_pass_through: true,
  guacamole_rdp_disable_gfx: false,
  guacamole_rdp_disable_audio: false,
};

/** The administrator the sync logs in as: `guacamole_admin`, else the first admin with a password. */
export function adminLogin(model: SiteModel, vars: Pick<UsersVars, 'guacamole_admin'>): string | undefined {
  return (
    vars.guacamole_admin ?? model.users.find((u) => u.admin && u.password && u.state === 'present')?.login
  );
}

/**
 * Planning-time checks (exit 4, naming file and field, before any host is touched): the URL,
 * the administrator, every assigned VM has an address, every non-SSO user a password.
 */
export function checkUsersInput(model: SiteModel, vars: UsersVars): InvalidInputError[] {
  const problems: InvalidInputError[] = [];
  try {
    parseWebappUrl(vars.guacamole_url);
  } catch (error) {
    problems.push(
      new InvalidInputError(`guacamole_url: ${(error as Error).message}`, { path: 'guacamole_url' }),
    );
  }
  const admin = adminLogin(model, vars);
  if (!admin)
    problems.push(
      new InvalidInputError(
        'no site user can administer Guacamole (give one admin: true and a password, or set guacamole_admin)',
        { path: 'guacamole_admin' },
      ),
    );
  else problems.push(...checkSite(model, { admin }));
  return problems;
}

const asSecret = (v: string | Secret): Secret => (typeof v === 'string' ? secret(v) : v);

/** The task body: connect (through a port forward when the URL is the gateway's loopback), sync. */
export async function syncUsersTask<V extends UsersVars>(
  ctx: RoleContext<V>,
  model: SiteModel,
): Promise<TaskOutcome> {
  const { vars } = ctx;
  const problems = checkUsersInput(model, vars);
  if (problems.length) throw problems[0]!;
  const url = new URL(vars.guacamole_url);
  const webapp = parseWebappUrl(vars.guacamole_url);
  const options = await syncOptions(ctx, model);
  let forward: Awaited<ReturnType<typeof ctx.host.forwardPort>> | undefined;
  if (webapp.loopback) {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    forward = await ctx.host.forwardPort(url.hostname.replace(/^\[|\]$/g, ''), port);
    try {
      await forward.probe();
    } catch (error) {
      await forward.close();
      const why = `nothing listens on ${url.host} on ${ctx.inventoryHost} (${(error as Error).message})`;
      // In check mode the stack may not be deployed yet: show what a first run would do.
      if (ctx.check) return outcome(planAgainstFreshDatabase(model, options, why));
      throw new Error(`Guacamole webapp: ${why}; is its stack up?`);
    }
    if (forward.port !== port)
      ctx.log(
        `guacamole: ${url.host} on ${ctx.inventoryHost} reached through 127.0.0.1:${forward.port} (SSH port forward)`,
      );
    url.hostname = forward.host;
    url.port = String(forward.port);
  }
  const client = webappClient(vars, url, (line) => ctx.log(line));
  try {
    return outcome(await syncGuacamole(client, model, options));
  } finally {
    await client.close();
    await forward?.close();
  }
}

/** A client of the webapp at `url` (the port forward's, for a loopback URL), with the TLS pin or CA of `vars`. */
export function webappClient(
  vars: Pick<UsersVars, 'guacamole_tls_fingerprint' | 'guacamole_ca_file'>,
  url: URL,
  log?: (line: string) => void,
): GuacamoleClient {
  return new GuacamoleClient({
    url: url.toString().replace(/\/$/, ''),
    ...(vars.guacamole_tls_fingerprint ? { fingerprint: vars.guacamole_tls_fingerprint } : {}),
    ...(vars.guacamole_ca_file ? { caFile: vars.guacamole_ca_file } : {}),
    ...(log ? { log } : {}),
  });
}

function outcome(result: SyncResult): TaskOutcome {
  const notes = [
    result.unreachable ? `webapp not reachable, planned against a fresh database: ${result.unreachable}` : '',
    result.stale.length
      ? `kept (not declared any more; guacamole_prune: true removes them): ${result.stale.join(', ')}`
      : '',
  ].filter(Boolean);
  return {
    changed: result.changed,
    ...(result.changes.length ? { changes: result.changes } : {}),
    ...(notes.length ? { message: notes.join('; ') } : {}),
  };
}

async function syncOptions<V extends UsersVars>(ctx: RoleContext<V>, model: SiteModel): Promise<SyncOptions> {
  const { vars } = ctx;
  return {
    admin: adminLogin(model, vars)!,
    defaultAdmin: {
      username: 'guacadmin',
      password: asSecret(vars.guacamole_default_admin_password),
      action: vars.guacamole_default_admin,
    },
    passwordKey: await ctx.secrets.generate('guacamole_sync_key', { length: 48 }),
    groupNames: vars.guacamole_connection_groups,
    rdp: {
      ...DEFAULT_RDP,
      certPolicy: vars.guacamole_rdp_cert_policy,
      clipboard: vars.guacamole_rdp_clipboard,
      drive: vars.guacamole_rdp_drive,
      passThrough: vars.guacamole_rdp_pass_through,
      disableGfx: vars.guacamole_rdp_disable_gfx,
      disableAudio: vars.guacamole_rdp_disable_audio,
      ...(vars.guacamole_rdp_server_layout ? { serverLayout: vars.guacamole_rdp_server_layout } : {}),
      ...(vars.guacamole_rdp_timezone ? { timezone: vars.guacamole_rdp_timezone } : {}),
      ...(vars.guacamole_rdp_color_depth ? { colorDepth: vars.guacamole_rdp_color_depth } : {}),
    },
    prune: vars.guacamole_prune,
    check: ctx.check,
    log: (line) => ctx.log(line),
  };
}
