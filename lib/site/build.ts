/**
 * Builds the site model (lib/site/types.ts) from the inventory, and lists every problem with it
 * — each naming the file (and line) and the user or variable — so planning can stop the run
 * with exit 4 before any host is touched.
 *
 * The site variables are read from one host of the run (`siteHost`): they are `all` vars, so
 * every host sees the same ones, and the run's hosts are the ones whose `!secret` references were
 * resolved. VM names and VM facts come from the whole inventory (also hosts outside --limit).
 */
import type { ValidateFunction } from 'ajv';
import type { Inventory, InventoryHost } from '../inventory/types.js';
import { isSecret } from '../secret.js';
import { addressProblem } from './addresses.js';
import { placeOf, userLines } from './locate.js';
import { loginNameProblem } from './login-name.js';
import { siteUserSchema, siteVarsSchema } from './schema.js';
import type { SiteModel, SiteUser, SiteUserState, SiteVm, VmOs } from './types.js';

export interface SiteBuild {
  site: SiteModel;
  problems: string[];
}

interface RawUser {
  full_name: string;
  uid?: number;
  password?: unknown;
  sso: boolean;
  ssh_keys: string[];
  sudo: boolean;
  admin: boolean;
  groups: string[];
  guacamole_groups: string[];
  vms: string[];
  state: SiteUserState;
  remove_home: boolean;
}

let validators: { user: ValidateFunction; list: ValidateFunction } | undefined;

async function compile(): Promise<NonNullable<typeof validators>> {
  if (validators) return validators;
  const Ajv = (await import('../vendor/ajv.js')).default;
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
  validators = {
    user: ajv.compile(siteUserSchema),
    list: ajv.compile(siteVarsSchema.site_gateway_addresses),
  };
  return validators;
}

function ajvText(validate: ValidateFunction): string[] {
  return (validate.errors ?? []).map((e) => {
    const at = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '';
    if (e.keyword === 'additionalProperties')
      return `${at ? `${at}: ` : ''}unknown key ${(e.params as { additionalProperty: string }).additionalProperty}`;
    if (e.keyword === 'enum')
      return `${at} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    return `${at ? `${at} ` : ''}${e.message ?? 'is invalid'}`;
  });
}

export async function buildSite(
  inventory: Inventory,
  siteHost: InventoryHost | undefined,
): Promise<SiteBuild> {
  const problems: string[] = [];
  const site: SiteModel = { users: [], vms: [], gatewayAddresses: [], adminNetworks: [] };
  if (!siteHost) return { site, problems };
  const vars = siteHost.vars;
  // Compiling the schemas costs ~50 ms of every start: only an inventory with a site needs them.
  if (['site_gateway_addresses', 'site_admin_networks', 'site_users'].every((k) => vars[k] == null))
    return { site, problems };
  const { user: validateUser, list: validateList } = await compile();
  const sources = siteHost.varSources;

  for (const [name, key] of [
    ['site_gateway_addresses', 'gatewayAddresses'],
    ['site_admin_networks', 'adminNetworks'],
  ] as const) {
    const value = vars[name];
    if (value === undefined || value === null) continue;
    const at = placeOf(sources[name]);
    if (!validateList(value)) {
      problems.push(
        `${at}: ${name} ${ajvText(validateList).join('; ')} (a list of IP addresses or CIDR ranges)`,
      );
      continue;
    }
    for (const a of value as string[]) {
      const why = addressProblem(a);
      if (why) problems.push(`${at}: ${name}: ${JSON.stringify(a)} ${why}`);
    }
    site[key] = [...(value as string[])];
  }

  const users = vars.site_users;
  if (users === undefined || users === null) return { site, problems };
  const usersAt = placeOf(sources.site_users);
  if (typeof users !== 'object' || Array.isArray(users)) {
    problems.push(`${usersAt}: site_users must be a mapping of login name → user`);
    return { site, problems };
  }
  const lines = userLines(sources.site_users, Object.keys(users));
  const assigned = new Set<string>();
  for (const [login, value] of Object.entries(users as Record<string, unknown>)) {
    const declaredAt = lines.get(login) ?? usersAt;
    const fail = (detail: string) => problems.push(`${declaredAt}: site_users.${login}: ${detail}`);
    const nameProblem = loginNameProblem(login);
    if (nameProblem) fail(`the login name ${JSON.stringify(login)} ${nameProblem}`);
    // ajv fills defaults in place: validate a copy, the inventory stays as read.
    const raw = { ...(value && typeof value === 'object' ? value : {}) } as RawUser;
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      fail('must be a mapping (full_name, password, vms, …)');
      continue;
    }
    if (!validateUser(raw)) {
      for (const text of ajvText(validateUser)) fail(text);
      continue;
    }
    if (raw.password !== undefined && !isSecret(raw.password))
      fail(
        typeof raw.password === 'string'
          ? 'password must be a !secret (or !vault) reference, not plain text in the inventory'
          : 'password must be a !secret (or !vault) reference',
      );
    if (raw.password === undefined && !raw.sso && raw.state !== 'absent')
      fail('has no password: give one (password: !secret NAME), or mark the user sso: true');
    const vms: string[] = [];
    for (const name of raw.vms) {
      const hosts = hostsNamed(inventory, name);
      if (!hosts) fail(`vms: ${JSON.stringify(name)} is neither a host nor a group of the inventory`);
      else for (const h of hosts) if (!vms.includes(h)) vms.push(h);
    }
    for (const h of vms) assigned.add(h); // absent users too: their accounts go from those VMs
    site.users.push({
      login,
      fullName: raw.full_name,
      ...(raw.uid !== undefined ? { uid: raw.uid } : {}),
      ...(isSecret(raw.password) ? { password: raw.password } : {}),
      sso: raw.sso,
      sshKeys: [...raw.ssh_keys],
      sudo: raw.sudo,
      admin: raw.admin,
      groups: [...raw.groups],
      guacamoleGroups: [...raw.guacamole_groups],
      vms,
      state: raw.state,
      removeHome: raw.remove_home,
      declaredAt,
    } satisfies SiteUser);
  }
  const uids = new Map<number, string>();
  for (const u of site.users) {
    if (u.uid === undefined) continue;
    const other = uids.get(u.uid);
    if (other) problems.push(`${u.declaredAt}: site_users.${u.login}: uid ${u.uid} is also ${other}'s`);
    else uids.set(u.uid, u.login);
  }
  // VMs in inventory order.
  for (const host of inventory.hosts.values())
    if (assigned.has(host.name)) site.vms.push(siteVm(inventory, host));
  return { site, problems };
}

/** A host name → [it]; a group name → its hosts (children included), in inventory order. */
function hostsNamed(inventory: Inventory, name: string): string[] | undefined {
  if (inventory.hosts.has(name)) return [name];
  if (!inventory.groups.has(name)) return undefined;
  return [...inventory.hosts.values()].filter((h) => h.groups.includes(name)).map((h) => h.name);
}

function siteVm(inventory: Inventory, host: InventoryHost): SiteVm {
  const v = host.vars;
  const str = (x: unknown) => (typeof x === 'string' && x ? x : undefined);
  const template = str(v.vm_template) ? inventory.hosts.get(v.vm_template as string) : undefined;
  const declaredOs = str(v.vm_os) ?? str(template?.vars.vm_os);
  const os: VmOs =
    declaredOs === 'windows' || (!declaredOs && v.ansible_shell_type === 'powershell') ? 'windows' : 'ubuntu';
  const vmIp = str(v.vm_ip);
  const address = str(v.ansible_host) ?? (vmIp && vmIp !== 'dhcp' ? vmIp.split('/')[0] : undefined);
  const port = Number(v.rdp_port ?? 3389);
  const pveHost = str(v.pve_host);
  return {
    name: host.name,
    os,
    kind: v.gpu_mapping ? 'gpu' : 'dev',
    ...(address ? { address } : {}),
    rdpPort: Number.isInteger(port) && port > 0 && port < 65536 ? port : 3389,
    ...(pveHost ? { pveHost } : {}),
  };
}
