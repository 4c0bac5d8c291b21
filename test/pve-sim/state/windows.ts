/**
 * A scripted Windows 11 guest behind the guest agent: what `agent/exec` of
 * `powershell.exe … -EncodedCommand <script>` does to the settings NovaStation's windows-rdp role
 * manages. PowerShell cannot run here, so the model does not interpret PowerShell: it decodes
 * every command (argv shape, base64 of UTF-16LE, the script's `# novastation: <name>` header,
 * JSON on stdin), refuses anything else (exit 1, and `windowsViolations` for the tests), and
 * carries out the named script's contract — `read` answers the state, `apply` runs its ops with
 * the errors the real cmdlets raise (an existing user or member, a missing one).
 *
 * Modelled: the registry values fDenyTSConnections and UserAuthentication, the Remote Desktop
 * firewall rules (enabled, remote addresses as Windows shows them: a CIDR range in mask form,
 * a single address without /32, `Any` when unrestricted), local users (SID, enabled, full name,
 * password, password expiry, profile), local groups by SID with members by SID, the marker
 * group, edition, computer name (a rename is pending until a reboot), pending-reboot reasons,
 * VirtIO guest tools, video controllers, boot time; `shutdown.exe /r` through `apply` reboots
 * (the agent goes away, comes back after bootMs with a new boot time).
 */
import type { SimCore } from '../core.js';
import type { SimVm } from './model.js';
import { windowsDiskOf, type WindowsDisk } from './windows-identity.js';

export interface WinUser {
  login: string;
  sid: string;
  enabled: boolean;
  fullName: string;
  password: string;
  passwordExpires: boolean;
  profile: boolean;
}

export interface WinRule {
  enabled: boolean;
  /** As Get-NetFirewallAddressFilter shows it. */
  remoteAddress: string[];
}

export interface WindowsModel {
  editionId: string;
  productName: string;
  build: string;
  bootTime: number;
  computer: { active: string; pending: string; hostname: string };
  fDenyTSConnections: number;
  userAuthentication: number;
  rules: Map<string, WinRule>;
  /** By lower-case login (Windows names are case-insensitive). */
  users: Map<string, WinUser>;
  /** By SID; a group made with New-LocalGroup gets a machine SID. */
  groups: Map<string, { sid: string; name: string; members: Set<string> }>;
  /** Reasons set from outside the role (Windows Update, servicing). */
  externalRebootReasons: Set<string>;
  virtio: { tools: string | null; agent: string | null; drivers: string[] };
  video: { name: string; driverVersion: string; pnp: string }[];
  nextRid: number;
  /** The machine SID, prefix of every local account's and group's SID. */
  machineSid: string;
  /** Every command decoded: the script's name, its argv, its parsed stdin. */
  log: { script: string; argv: string[]; input: unknown }[];
  reboots: number;
}

const DEFAULT_MACHINE = 'S-1-5-21-1111111111-2222222222-3333333333';

/**
 * The Windows of a VM as Setup left it: from its disk's identity when a generalised template's
 * clone was specialised (state/windows-identity.ts: its own SID, name and the answer file's
 * accounts), else the fixed seed (one administrator `admin`, a name from the VMID).
 */
export function seedWindows(vm: SimVm, now: number, identity?: WindowsDisk): WindowsModel {
  const MACHINE = identity?.machineSid ?? DEFAULT_MACHINE;
  const users = new Map<string, WinUser>();
  const add = (login: string, rid: number, enabled: boolean, password = '') =>
    users.set(login.toLowerCase(), {
      login,
      sid: `${MACHINE}-${rid}`,
      enabled,
      fullName: '',
      password,
      passwordExpires: false,
      profile: enabled,
    });
  add('Administrator', 500, false);
  add('Guest', 501, false);
  add('DefaultAccount', 503, false);
  add('WDAGUtilityAccount', 504, false);
  const accounts = identity?.accounts ?? [
    { name: 'admin', password: 'template-admin-password', admin: true },
  ];
  accounts.forEach((a, i) => add(a.name, 1000 + i, true, a.password)); // the answer file's accounts
  const name =
    identity?.computerName ??
    `DESKTOP-${(vm.vmid * 7919).toString(36).toUpperCase().padStart(7, 'Q').slice(0, 7)}`;
  return {
    editionId: 'Professional',
    productName: 'Windows 10 Pro', // sic: Windows 11 keeps "Windows 10" in ProductName
    build: '26100',
    bootTime: now,
    computer: { active: name, pending: name, hostname: name },
    // The answer file turns RDP on and enables the Remote Desktop rule group; NLA is Windows' default.
    fDenyTSConnections: 0,
    userAuthentication: 1,
    rules: new Map([
      ['RemoteDesktop-UserMode-In-TCP', { enabled: true, remoteAddress: ['Any'] }],
      ['RemoteDesktop-UserMode-In-UDP', { enabled: true, remoteAddress: ['Any'] }],
      ['RemoteDesktop-Shadow-In-TCP', { enabled: true, remoteAddress: ['Any'] }],
    ]),
    users,
    groups: new Map([
      [
        'S-1-5-32-544',
        {
          sid: 'S-1-5-32-544',
          name: 'Administrators',
          members: new Set([
            `${MACHINE}-500`,
            ...accounts.flatMap((a, i) => (a.admin ? [`${MACHINE}-${1000 + i}`] : [])),
          ]),
        },
      ],
      ['S-1-5-32-555', { sid: 'S-1-5-32-555', name: 'Remote Desktop Users', members: new Set<string>() }],
      [
        'S-1-5-32-545',
        {
          sid: 'S-1-5-32-545',
          name: 'Users',
          members: new Set(accounts.map((_, i) => `${MACHINE}-${1000 + i}`)),
        },
      ],
    ]),
    externalRebootReasons: new Set(),
    virtio: {
      tools: '0.1.262',
      agent: '108.0.2',
      drivers: ['vioscsi', 'netkvm', 'balloon', 'vioser'],
    },
    video: vm.config.hostpci0
      ? [
          {
            name: 'NVIDIA GeForce RTX 3090',
            driverVersion: '32.0.15.6094',
            pnp: 'PCI\\VEN_10DE&DEV_2204&SUBSYS_00000000&REV_A1\\3&1',
          },
          {
            name: 'Microsoft Basic Display Adapter',
            driverVersion: '10.0.26100.1',
            pnp: 'PCI\\VEN_1234&DEV_1111&SUBSYS_11001AF4&REV_02\\3&2',
          },
        ]
      : [
          {
            name: 'Microsoft Basic Display Adapter',
            driverVersion: '10.0.26100.1',
            pnp: 'PCI\\VEN_1234&DEV_1111&SUBSYS_11001AF4&REV_02\\3&2',
          },
        ],
    nextRid: 1000 + accounts.length,
    machineSid: MACHINE,
    log: [],
    reboots: 0,
  };
}

export interface ExecResult {
  exitcode: number;
  out?: string;
  err?: string;
}

const FLAGS = ['-NoLogo', '-NoProfile', '-NonInteractive', '-EncodedCommand'];

/** Decodes and checks one agent/exec; undefined when it is not PowerShell at all. */
export function decodeCommand(command: string[]): { script: string; name: string } | { problem: string } {
  if (command[0]?.toLowerCase() !== 'powershell.exe') return { problem: `not powershell.exe: ${command[0]}` };
  const flags = command.slice(1, -1);
  if (JSON.stringify(flags) !== JSON.stringify(FLAGS))
    return { problem: `unexpected arguments ${JSON.stringify(flags)} (want ${FLAGS.join(' ')} <base64>)` };
  const b64 = command[command.length - 1]!;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0)
    return { problem: 'EncodedCommand is not base64' };
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length % 2 !== 0) return { problem: 'EncodedCommand is not UTF-16LE (odd length)' };
  const script = bytes.toString('utf16le');
  if (Buffer.from(script, 'utf16le').toString('base64') !== b64)
    return { problem: 'EncodedCommand does not round-trip as UTF-16LE' };
  const name = /^# novastation: (.+)\n/.exec(script)?.[1];
  if (!name) return { problem: 'script without a "# novastation: <name>" header' };
  return { script, name };
}

/** Windows' display of a remote address: `a.b.c.d/24` → mask form, `/32` dropped. */
export function windowsAddress(address: string): string {
  const [ip, prefix] = address.split('/');
  if (prefix === undefined) return address;
  if (ip!.includes(':')) return prefix === '128' ? ip! : address;
  const bits = Number(prefix);
  if (bits === 32) return ip!;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return `${ip}/${[24, 16, 8, 0].map((s) => (mask >>> s) & 255).join('.')}`;
}

class CmdletError extends Error {}

export function windowsExec(
  sim: SimCore,
  vm: SimVm,
  command: string[],
  input: string | undefined,
  violations: string[],
): ExecResult {
  const win = (vm.windows ??= seedWindows(vm, sim.clock.now(), windowsDiskOf(sim, vm)));
  const decoded = decodeCommand(command);
  if ('problem' in decoded) {
    violations.push(`${vm.vmid}: ${decoded.problem}`);
    return { exitcode: 1, err: `pve-sim Windows guest: ${decoded.problem}` };
  }
  let data: any;
  try {
    if (input !== undefined && /[^\x00-\x7f]/.test(input)) throw new Error('stdin is not ASCII');
    data = input === undefined ? null : JSON.parse(input);
  } catch (error) {
    violations.push(`${vm.vmid}: ${decoded.name}: stdin: ${(error as Error).message}`);
    return { exitcode: 1, err: `stdin is not JSON: ${(error as Error).message}` };
  }
  win.log.push({ script: decoded.name, argv: command, input: data });
  try {
    const out =
      decoded.name === 'windows-rdp read'
        ? read(win, data)
        : decoded.name === 'windows-rdp apply'
          ? apply(sim, vm, win, data)
          : undefined;
    if (out === undefined) {
      violations.push(`${vm.vmid}: unknown script "${decoded.name}"`);
      return { exitcode: 1, err: `pve-sim Windows guest: no model for script "${decoded.name}"` };
    }
    return { exitcode: 0, out: `NOVASTATION-RESULT ${JSON.stringify(out)}\r\n` };
  } catch (error) {
    if (!(error instanceof CmdletError))
      violations.push(`${vm.vmid}: ${decoded.name}: ${(error as Error).message}`);
    return { exitcode: 1, err: `${(error as Error).message} (line 1)\r\n` };
  }
}

function pendingReasons(win: WindowsModel): string[] {
  const reasons = [...win.externalRebootReasons];
  if (win.computer.active !== win.computer.pending) reasons.push('computer rename');
  return reasons;
}

function read(win: WindowsModel, data: any): unknown {
  for (const key of ['rules', 'marker', 'passwords', 'gpu'])
    if (!(key in (data ?? {}))) throw new Error(`read: input without ${key}`);
  const marker = [...win.groups.values()].find(
    (g) => g.name.toLowerCase() === String(data.marker).toLowerCase(),
  );
  const passwordOk: Record<string, boolean> = {};
  for (const p of data.passwords) {
    const u = win.users.get(String(p.login).toLowerCase());
    passwordOk[p.login] = Boolean(u && u.enabled && u.password === p.password);
  }
  return {
    editionId: win.editionId,
    productName: win.productName,
    build: win.build,
    bootTime: new Date(win.bootTime).toISOString(),
    computer: { ...win.computer },
    fDenyTSConnections: win.fDenyTSConnections,
    userAuthentication: win.userAuthentication,
    rules: (data.rules as string[]).map((name) => {
      const r = win.rules.get(name);
      return r
        ? { name, found: true, enabled: r.enabled, remoteAddress: [...r.remoteAddress] }
        : { name, found: false };
    }),
    users: [...win.users.values()].map((u) => ({
      login: u.login,
      sid: u.sid,
      enabled: u.enabled,
      fullName: u.fullName,
      passwordExpires: u.passwordExpires,
    })),
    groups: [
      ...['S-1-5-32-555', 'S-1-5-32-544'].map((sid) => {
        const g = win.groups.get(sid)!;
        return { sid, name: g.name, found: true, members: [...g.members] };
      }),
      marker
        ? { sid: marker.sid, name: marker.name, found: true, members: [...marker.members] }
        : { sid: '', name: data.marker, found: false, members: [] },
    ],
    passwordOk,
    pendingReboot: pendingReasons(win),
    virtio: { ...win.virtio, drivers: [...win.virtio.drivers] },
    video: data.gpu ? win.video.map((v) => ({ ...v })) : [],
  };
}

function user(win: WindowsModel, login: string): WinUser {
  const u = win.users.get(String(login).toLowerCase());
  if (!u) throw new CmdletError(`User ${login} was not found.`);
  return u;
}

function group(win: WindowsModel, ref: string) {
  const g = ref.startsWith('S-1-')
    ? win.groups.get(ref)
    : [...win.groups.values()].find((x) => x.name.toLowerCase() === ref.toLowerCase());
  if (!g) throw new CmdletError(`Group ${ref} was not found.`);
  return g;
}

function apply(sim: SimCore, vm: SimVm, win: WindowsModel, data: any): unknown {
  if (!Array.isArray(data?.ops)) throw new Error('apply: input without ops');
  let done = 0;
  for (const op of data.ops) {
    try {
      applyOne(sim, vm, win, op);
    } catch (error) {
      if (!(error instanceof CmdletError)) throw error;
      throw new CmdletError(`op ${done + 1} of ${data.ops.length} (${op.op}): ${error.message}`);
    }
    done++;
  }
  return { done };
}

function applyOne(sim: SimCore, vm: SimVm, win: WindowsModel, op: any): void {
  switch (op.op) {
    case 'registry': {
      if (
        op.path === 'HKLM:\\System\\CurrentControlSet\\Control\\Terminal Server' &&
        op.name === 'fDenyTSConnections'
      )
        win.fDenyTSConnections = op.value;
      else if (
        op.path === 'HKLM:\\System\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' &&
        op.name === 'UserAuthentication'
      )
        win.userAuthentication = op.value;
      else throw new Error(`registry: ${op.path}\\${op.name} is not modelled`);
      return;
    }
    case 'firewall-rule': {
      const rule = win.rules.get(op.rule);
      if (!rule)
        throw new CmdletError(
          `No MSFT_NetFirewallRule objects found with property 'Name' equal to '${op.rule}'.`,
        );
      const addresses = (op.remoteAddress as string[]).map(windowsAddress);
      for (const a of addresses)
        if (!/^[0-9a-fA-F:.]+(\/[0-9.]+)?$/.test(a)) throw new CmdletError(`The address is invalid: ${a}`);
      rule.enabled = true;
      rule.remoteAddress = addresses.length ? addresses : ['Any'];
      return;
    }
    case 'marker-group': {
      if ([...win.groups.values()].some((g) => g.name.toLowerCase() === op.name.toLowerCase()))
        throw new CmdletError(`Group ${op.name} already exists.`);
      const sid = `${win.machineSid}-${win.nextRid++}`;
      win.groups.set(sid, { sid, name: op.name, members: new Set() });
      return;
    }
    case 'create-user': {
      if (win.users.has(op.login.toLowerCase())) throw new CmdletError(`User ${op.login} already exists.`);
      if (typeof op.password !== 'string' || !op.password) throw new Error('create-user without a password');
      win.users.set(op.login.toLowerCase(), {
        login: op.login,
        sid: `${win.machineSid}-${win.nextRid++}`,
        enabled: true,
        fullName: op.fullName,
        password: op.password,
        passwordExpires: false,
        profile: false,
      });
      win.groups.get('S-1-5-32-545')!.members.add(win.users.get(op.login.toLowerCase())!.sid);
      return;
    }
    case 'set-password':
      user(win, op.login).password = op.password;
      return;
    case 'set-user': {
      const u = user(win, op.login);
      u.fullName = op.fullName;
      u.enabled = op.enabled;
      u.passwordExpires = false;
      return;
    }
    case 'add-member': {
      const g = group(win, op.group);
      const u = user(win, op.login);
      if (g.members.has(u.sid))
        throw new CmdletError(
          `${vm.windows!.computer.active}\\${u.login} is already a member of group ${g.name}.`,
        );
      g.members.add(u.sid);
      return;
    }
    case 'remove-member': {
      const g = group(win, op.group);
      const u = user(win, op.login);
      if (!g.members.has(u.sid)) throw new CmdletError(`Member ${u.login} was not found in group ${g.name}.`);
      g.members.delete(u.sid);
      return;
    }
    case 'remove-user': {
      const u = user(win, op.login);
      win.users.delete(u.login.toLowerCase());
      for (const g of win.groups.values()) g.members.delete(u.sid);
      return;
    }
    case 'rename-computer':
      win.computer.pending = String(op.name).toUpperCase().slice(0, 15);
      win.computer.hostname = String(op.name);
      return;
    case 'reboot': {
      win.reboots++;
      // shutdown /r /t 5: the agent answers a little longer, then is gone until Windows is up again.
      vm.guest.timers.push(
        setTimeout(() => {
          vm.guest.agentAt = undefined;
          vm.guest.timers.push(
            setTimeout(() => {
              win.computer.active = win.computer.pending;
              win.externalRebootReasons.clear();
              win.bootTime = sim.clock.now();
              vm.guest.agentAt = sim.clock.now();
            }, sim.timing.bootMs),
          );
        }, sim.timing.taskMs * 2),
      );
      return;
    }
    default:
      throw new Error(`apply: unknown op ${JSON.stringify(op.op)}`);
  }
}
