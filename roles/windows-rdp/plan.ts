/**
 * What the role wants of a Windows guest, compared with what `read` found: one plan per setting,
 * each a list of human changes and the `apply` ops that make them. Pure: no guest, no API, so
 * check mode and the real run plan the same way from the same state.
 */
import type { SiteUser } from '../../lib/site/index.js';
import {
  ADMINISTRATORS_SID,
  RDP_RULES,
  RDP_TCP_KEY,
  RDP_USERS_SID,
  TS_KEY,
  type ApplyOp,
  type WindowsState,
} from './scripts.js';

export const MARKER_GROUP = 'novastation-users';
const ACCOUNT_DESCRIPTION = 'NovaStation site user';

export interface SettingPlan {
  /** `RDP on`, `account alice`: the task's name and the changes' prefix. */
  id: string;
  changes: { field: string; from?: string; to: string }[];
  ops: ApplyOp[];
  /** A note for the task's message (why nothing was done). */
  note?: string;
}

const plan = (id: string): SettingPlan => ({ id, changes: [], ops: [] });

export function planRdpOn(s: WindowsState): SettingPlan {
  const p = plan('RDP on');
  if (s.fDenyTSConnections !== 0) {
    p.changes.push({ field: 'fDenyTSConnections', from: String(s.fDenyTSConnections ?? 'unset'), to: '0' });
    p.ops.push({ op: 'registry', path: TS_KEY, name: 'fDenyTSConnections', value: 0 });
  }
  return p;
}

export function planNla(s: WindowsState): SettingPlan {
  const p = plan('NLA required');
  if (s.userAuthentication !== 1) {
    p.changes.push({ field: 'UserAuthentication', from: String(s.userAuthentication ?? 'unset'), to: '1' });
    p.ops.push({ op: 'registry', path: RDP_TCP_KEY, name: 'UserAuthentication', value: 1 });
  }
  return p;
}

/** `a.b.c.d/255.255.255.0` (how Windows shows a range) → `a.b.c.d/24`; `/32` and `/128` dropped. */
export function canonicalAddress(address: string): string {
  const [ip, suffix] = address.trim().toLowerCase().split('/');
  if (suffix === undefined) return ip!;
  let bits = Number(suffix);
  if (suffix.includes('.'))
    bits = suffix
      .split('.')
      .map(Number)
      .reduce((n, octet) => n + ((octet >>> 0).toString(2).match(/1/g)?.length ?? 0), 0);
  if ((!ip!.includes(':') && bits === 32) || (ip!.includes(':') && bits === 128)) return ip!;
  return `${ip}/${bits}`;
}

const sameSet = (a: string[], b: string[]) => {
  const x = new Set(a.map(canonicalAddress));
  const y = new Set(b.map(canonicalAddress));
  return x.size === y.size && [...x].every((v) => y.has(v));
};

export function planFirewall(s: WindowsState, remote: string[]): SettingPlan {
  const p = plan('Remote Desktop firewall rules');
  for (const name of RDP_RULES) {
    const rule = s.rules.find((r) => r.name === name);
    if (!rule?.found)
      throw new Error(
        `the firewall rule ${name} does not exist (Windows ships it with Remote Desktop; was it deleted?)`,
      );
    const current = rule.remoteAddress ?? ['Any'];
    const scoped = sameSet(current, remote);
    if (rule.enabled && scoped) continue;
    if (!rule.enabled) p.changes.push({ field: `${name} enabled`, from: 'false', to: 'true' });
    if (!scoped)
      p.changes.push({ field: `${name} remote addresses`, from: current.join(', '), to: remote.join(', ') });
    p.ops.push({ op: 'firewall-rule', rule: name, remoteAddress: remote });
  }
  return p;
}

export function planMarkerGroup(s: WindowsState): SettingPlan {
  const p = plan(`group ${MARKER_GROUP}`);
  if (!markerOf(s).found) {
    p.changes.push({ field: 'state', from: 'absent', to: 'present' });
    p.ops.push({ op: 'marker-group', name: MARKER_GROUP, description: 'Accounts managed by NovaStation' });
  }
  return p;
}

const markerOf = (s: WindowsState) =>
  s.groups.find((g) => g.name === MARKER_GROUP && g.sid !== RDP_USERS_SID && g.sid !== ADMINISTRATORS_SID)!;
const groupOf = (s: WindowsState, sid: string) => s.groups.find((g) => g.sid === sid)!;
const accountOf = (s: WindowsState, login: string) =>
  s.users.find((u) => u.login.toLowerCase() === login.toLowerCase());

/** Membership changes for `login` (SID `sid`, undefined for an account about to be made). */
function memberships(
  s: WindowsState,
  login: string,
  sid: string | undefined,
  want: { rdp: boolean; admin: boolean; marker: boolean },
  p: SettingPlan,
): void {
  const groups: [string, string, boolean, { members: string[]; name: string }][] = [
    [MARKER_GROUP, MARKER_GROUP, want.marker, markerOf(s)],
    [RDP_USERS_SID, groupOf(s, RDP_USERS_SID).name, want.rdp, groupOf(s, RDP_USERS_SID)],
    [ADMINISTRATORS_SID, groupOf(s, ADMINISTRATORS_SID).name, want.admin, groupOf(s, ADMINISTRATORS_SID)],
  ];
  for (const [ref, name, wanted, group] of groups) {
    const member = sid !== undefined && group.members.includes(sid);
    if (wanted === member) continue;
    // The marker group is never left: it is how a dropped user is found again.
    if (!wanted && ref === MARKER_GROUP) continue;
    p.changes.push({ field: `member of ${name}`, from: String(member), to: String(wanted) });
    p.ops.push({ op: wanted ? 'add-member' : 'remove-member', group: ref, login });
  }
}

/** An assigned user, as the site model declares them on this VM. */
export function planUser(s: WindowsState, u: SiteUser): SettingPlan {
  const p = plan(`account ${u.login}`);
  const account = accountOf(s, u.login);
  if (u.state === 'absent') {
    if (account) {
      p.changes.push({ field: 'state', from: 'present', to: 'absent' });
      p.ops.push({ op: 'remove-user', login: account.login, removeProfile: u.removeHome });
    }
    return p;
  }
  if (u.state === 'disabled') {
    if (!account) {
      p.note = `${u.login} is disabled and has no account here: nothing to disable`;
      return p;
    }
    return planDisabled(s, account.login, u.fullName, p);
  }
  if (!u.password) {
    p.note = `${u.login} has no password in the site model (SSO only): no Windows account, RDP needs one`;
    return p;
  }
  if (!account) {
    p.changes.push({ field: 'state', from: 'absent', to: 'present' });
    p.ops.push({
      op: 'create-user',
      login: u.login,
      fullName: u.fullName,
      description: ACCOUNT_DESCRIPTION,
      password: u.password,
    });
  } else {
    if (account.fullName !== u.fullName)
      p.changes.push({ field: 'full name', from: account.fullName, to: u.fullName });
    if (!account.enabled) p.changes.push({ field: 'enabled', from: 'false', to: 'true' });
    if (account.passwordExpires) p.changes.push({ field: 'password expires', from: 'true', to: 'false' });
    if (p.changes.length)
      p.ops.push({ op: 'set-user', login: account.login, fullName: u.fullName, enabled: true });
    // Tested only for an account that was enabled: a disabled one cannot log on, so it is set.
    if (!account.enabled || s.passwordOk[u.login] !== true) {
      p.changes.push({ field: 'password', to: 'set (from the vault)' });
      p.ops.push({ op: 'set-password', login: account.login, password: u.password });
    }
  }
  memberships(s, u.login, account?.sid, { rdp: true, admin: u.sudo, marker: true }, p);
  return p;
}

function planDisabled(
  s: WindowsState,
  login: string,
  fullName: string | undefined,
  p: SettingPlan,
): SettingPlan {
  const account = accountOf(s, login)!;
  if (account.enabled) {
    p.changes.push({ field: 'enabled', from: 'true', to: 'false' });
    p.ops.push({
      op: 'set-user',
      login: account.login,
      fullName: fullName ?? account.fullName,
      enabled: false,
    });
  }
  memberships(s, login, account.sid, { rdp: false, admin: false, marker: true }, p);
  return p;
}

/** Accounts in the marker group that the site model no longer assigns to this VM: disabled. */
export function planDropped(s: WindowsState, assigned: SiteUser[]): SettingPlan[] {
  const listed = new Set(assigned.map((u) => u.login.toLowerCase()));
  return markerOf(s)
    .members.map((sid) => s.users.find((u) => u.sid === sid))
    .filter((u): u is NonNullable<typeof u> => u !== undefined && !listed.has(u.login.toLowerCase()))
    .map((u) => planDisabled(s, u.login, undefined, plan(`account ${u.login} (no longer assigned)`)));
}

export function planComputerName(s: WindowsState, name: string): SettingPlan {
  const p = plan('computer name');
  const pending = s.computer.hostname || s.computer.pending;
  if (pending.toLowerCase() !== name.toLowerCase()) {
    p.changes.push({ field: 'name', from: pending, to: name });
    p.ops.push({ op: 'rename-computer', name });
  }
  return p;
}

/** NetBIOS rules Rename-Computer enforces: 1–15 letters, digits and hyphens, not digits only. */
export function computerNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9-]{1,15}$/.test(name))
    return 'must be 1 to 15 letters, digits or hyphens (a Windows computer name)';
  if (/^[0-9]+$/.test(name)) return 'must not be digits only';
  return undefined;
}

/** Home editions (EditionID Core, CoreN, CoreSingleLanguage, CoreCountrySpecific) have no RDP server. */
export function isHomeEdition(s: WindowsState): boolean {
  return /^Core/i.test(s.editionId);
}

/** The read task's report: edition, VirtIO tools and drivers, and for a GPU VM its driver. */
export function describeGuest(s: WindowsState, gpu: boolean): string[] {
  const lines = [
    `Windows ${s.editionId} build ${s.build}`,
    s.virtio.tools
      ? `VirtIO guest tools ${s.virtio.tools}`
      : 'VirtIO guest tools: not installed (virtio-win-guest-tools.exe from the VirtIO ISO)',
    `VirtIO drivers: ${s.virtio.drivers.length ? s.virtio.drivers.join(', ') : 'none found'}`,
  ];
  if (gpu) {
    const gpus = s.video.filter((v) => /VEN_(10DE|1002)/i.test(v.pnp));
    lines.push(
      gpus.length
        ? `GPU driver: ${gpus.map((v) => `${v.name} ${v.driverVersion}`).join(', ')}`
        : `GPU driver: none — the passed-through GPU has no vendor driver (adapters: ${s.video.map((v) => v.name).join(', ') || 'none'}); install NVIDIA's driver in the guest`,
    );
  }
  return lines;
}
