/** Shared by the sync tests: a site model, sync options, and a hand-made REST caller (a human in the UI). */
import { secret } from '../../lib/secret.js';
import type { SiteModel, SiteUser, SiteVm } from '../../lib/site/types.js';
import { GuacamoleClient } from '../../lib/guacamole/index.js';
import { DEFAULT_RDP, type SyncOptions } from '../../lib/guacamole/sync/index.js';
import type { GuacSim } from '../guac-sim/index.js';

/** Distinct, greppable secrets: none may ever appear in output. */
export const PASSWORDS = {
  root: 'Adm1n-pw-7f3k2q',
  alice: 'Al1ce-pw-9x8c7v',
  bob: 'B0b-pw-m4n5b6',
  carol: 'Car0l-pw-z1x2c3',
  key: 'sync-key-Qw3rTy-uiop',
};

export function user(login: string, extra: Partial<SiteUser> = {}): SiteUser {
  return {
    login,
    fullName: login[0]!.toUpperCase() + login.slice(1),
    sso: false,
    sshKeys: [],
    sudo: false,
    admin: false,
    groups: [],
    guacamoleGroups: [],
    vms: [],
    state: 'present',
    removeHome: false,
    declaredAt: 'inventory/site.yml:10',
    ...extra,
  };
}

export function vm(name: string, extra: Partial<SiteVm> = {}): SiteVm {
  return { name, os: 'ubuntu', kind: 'dev', address: `10.0.10.${name.length + 10}`, rdpPort: 3389, ...extra };
}

export function siteModel(): SiteModel {
  return {
    users: [
      user('root', { admin: true, password: secret(PASSWORDS.root), vms: ['vm-dev-01'] }),
      user('alice', {
        password: secret(PASSWORDS.alice),
        vms: ['vm-dev-01', 'vm-gpu-01'],
        guacamoleGroups: ['artists'],
      }),
      user('bob', { password: secret(PASSWORDS.bob), vms: ['vm-win-01'] }),
      user('carol', { password: secret(PASSWORDS.carol), vms: ['vm-dev-02'], state: 'disabled' }),
    ],
    vms: [
      vm('vm-dev-01', { address: '10.0.10.11' }),
      vm('vm-dev-02', { address: '10.0.10.12' }),
      vm('vm-win-01', { os: 'windows', address: '10.0.10.21' }),
      vm('vm-gpu-01', { os: 'windows', kind: 'gpu', address: '10.0.10.31' }),
      vm('vm-spare', { address: '10.0.10.99' }),
    ],
    gatewayAddresses: ['10.0.0.2'],
    adminNetworks: [],
  };
}

export function syncOptions(extra: Partial<SyncOptions> = {}): SyncOptions {
  return {
    admin: 'root',
    defaultAdmin: { username: 'guacadmin', password: secret('guacadmin'), action: 'delete' },
    passwordKey: secret(PASSWORDS.key),
    groupNames: { dev: 'Development VMs', gpu: 'GPU VMs' },
    rdp: { ...DEFAULT_RDP },
    prune: false,
    check: false,
    ...extra,
  };
}

export function clientFor(sim: GuacSim, log?: (line: string) => void): GuacamoleClient {
  return new GuacamoleClient({
    url: sim.url,
    ...(sim.fingerprint ? { fingerprint: sim.fingerprint } : {}),
    retry: { attempts: 2, baseMs: 10, maxDelayMs: 20 },
    ...(log ? { log } : {}),
  });
}

/** A person at the web UI: plain fetch with a token, as the browser sends it. */
export async function byHand(sim: GuacSim, username: string, password: string) {
  const login = await fetch(`${sim.url}/api/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }),
  });
  const grant = (await login.json()) as { authToken?: string };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sim.url}/api/session/data/postgresql${path}`, {
      method,
      headers: {
        'guacamole-token': grant.authToken ?? '',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return { status: login.status, token: grant.authToken, call };
}
