/**
 * Reaching the Guacamole webapp of the site's gateway from the controller, as the guacamole role
 * does (roles/guacamole/users.ts): the gateway's variables are planned exactly as a run of that
 * role would plan them (inventory, vault, `!secret`/`!env`, the role's defaults and checks), the
 * sync's administrator and password come from the site model, and a loopback `guacamole_url` is
 * reached through a port forward over an SSH connection to the gateway (directly for
 * `ansible_connection: local`). For read-only commands: the vault is opened in check mode, so
 * nothing is generated or written.
 */
import { existsSync } from 'node:fs';
import { definePlaybook } from '../define.js';
import { BadOptionsError } from '../errors.js';
import type { GuacamoleClient } from '../guacamole/client.js';
import { parseWebappUrl } from '../guacamole/url.js';
import { forwardPort, type PortForward } from '../host/port-forward.js';
import { loadInventory } from '../inventory/index.js';
import { isHostList } from '../inventory/sources.js';
import { matchHosts, planRun } from '../runner/run-plan.js';
import { prepareSecrets, type SecretsOptions } from '../secrets/index.js';
import { siteOf } from '../site/index.js';
import { openConnection, type Connection, type SshSettings } from '../transport/index.js';

export interface GatewayOptions {
  inventory: string[];
  /** The gateway host; default: the one host of the `gateway` group. */
  gateway?: string;
  secrets: Omit<SecretsOptions, 'inventoryPaths' | 'check'>;
  ssh: SshSettings;
  log?: (line: string) => void;
}

export interface GatewayWebapp {
  gateway: string;
  client: GuacamoleClient;
  close(): Promise<void>;
}

/** Logged in as the guacamole role's administrator; close() ends the login and any SSH connection. */
export async function openGatewayWebapp(options: GatewayOptions): Promise<GatewayWebapp> {
  const { guacamole } = await import('../../roles/guacamole/index.js');
  const { adminLogin, webappClient } = await import('../../roles/guacamole/users.js');
  for (const path of options.inventory)
    if (!existsSync(path) && !isHostList(path))
      throw new BadOptionsError(`inventory ${path} not found (give one with -i)`);
  const secrets = await prepareSecrets({
    ...options.secrets,
    inventoryPaths: options.inventory,
    check: true,
  });
  const inventory = await loadInventory(options.inventory, { decrypt: secrets.decrypt });
  const gateway = options.gateway ?? onlyGateway(matchHosts(inventory, 'gateway').map((h) => h.name));
  if (!inventory.hosts.has(gateway))
    throw new BadOptionsError(`--gateway ${gateway}: no such host in ${options.inventory.join(', ')}`);
  const playbook = definePlaybook({
    name: 'Guacamole on the gateway',
    plays: [{ hosts: gateway, roles: [guacamole] }],
  });
  const source = '(the guacamole role on the gateway)';
  await secrets.resolve(inventory, playbook, source, { limit: [gateway] });
  const plan = await planRun(playbook, source, inventory, {
    check: true,
    diff: false,
    forks: 1,
    tags: { only: [], skip: [] },
    limit: [gateway],
    extraVars: {},
    ssh: options.ssh,
    secrets: secrets.store,
  });
  const planned = plan.plays[0]!.hosts[0]!.roles[0]!;
  const vars = planned.vars as {
    guacamole_url: string;
    guacamole_tls_fingerprint?: string;
    guacamole_ca_file?: string;
    guacamole_admin?: string;
  };
  const site = siteOf({ hostVars: planned.hostVars });
  const admin = site.users.find((u) => u.login === adminLogin(site, vars))!;

  const url = new URL(vars.guacamole_url);
  let connection: Connection | undefined;
  let forward: PortForward | undefined;
  const closeAll = async () => {
    await forward?.close();
    await connection?.close();
  };
  try {
    if (parseWebappUrl(vars.guacamole_url).loopback) {
      connection = await openConnection(plan.targets.get(gateway)!, options.ssh);
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      forward = await forwardPort(connection, url.hostname.replace(/^\[|\]$/g, ''), port);
      if (forward.port !== port)
        options.log?.(
          `guacamole: ${url.host} on ${gateway} reached through ${forward.host}:${forward.port} (SSH port forward)`,
        );
      url.hostname = forward.host;
      url.port = String(forward.port);
    }
    const client = webappClient(vars, url, options.log);
    await client.login({ username: admin.login, password: admin.password! });
    return {
      gateway,
      client,
      close: async () => {
        await client.close();
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function onlyGateway(names: string[]): string {
  if (names.length === 1) return names[0]!;
  throw new BadOptionsError(
    names.length
      ? `the gateway group has ${names.length} hosts (${names.join(', ')}): name one with --gateway HOST`
      : 'no host in the gateway group: name the host that runs Guacamole with --gateway HOST',
  );
}
