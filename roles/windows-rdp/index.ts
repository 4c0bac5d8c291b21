/**
 * `windows-rdp`: a Windows 11 VM (a dev VM or the GPU VM) serves RDP with NLA to exactly the
 * site users assigned to it — set up with no network path into the guest, only Proxmox's QEMU
 * guest agent (PowerShell through `agent/exec`, lib/windows/powershell.ts).
 *
 * 1. read everything once (one script): edition (Home has no RDP server: a clear error), VirtIO
 *    tools and drivers, the GPU driver on a GPU VM — reported, not changed;
 * 2. RDP on, NLA required, the Remote Desktop firewall rules enabled and scoped to the site's
 *    gateway and admin addresses;
 * 3. the assigned users as local accounts (password from the vault) in Remote Desktop Users,
 *    `sudo` users in Administrators; disabled users and users dropped from the map disabled and
 *    out of those groups, never deleted; absent users removed;
 * 4. the computer name from the inventory;
 * 5. after changes, read again (each must have taken); a reboot the settings need (a rename)
 *    only with `win_reboot: true`, through the agent, waiting for Windows to answer again.
 *
 * Each setting is a task that changes only what differs (lib/resource.ts's converge), from the
 * one read: a second run sends one read script and nothing else; check mode sends only that.
 */
import { createTwoFilesPatch } from 'diff';
import { defineRole, Type, type RoleContext, type Static, type WithDefaults } from '../../lib/define.js';
import { InvalidInputError } from '../../lib/errors.js';
import { converge, type Resource } from '../../lib/resource.js';
import { siteOf, usersOf } from '../../lib/site/index.js';
import { powershellRunner, type PowerShellRunner } from '../../lib/windows/powershell.js';
import { locateVm } from '../../tasks/index.js';
import { cloneProperties, PveHostVars, pveSite, vmProperties, withProxmox } from '../proxmox-vm.js';
import {
  computerNameProblem,
  describeGuest,
  isHomeEdition,
  MARKER_GROUP,
  planComputerName,
  planDropped,
  planFirewall,
  planMarkerGroup,
  planNla,
  planRdpOn,
  planUser,
  type SettingPlan,
} from './plan.js';
import { applyScript, RDP_RULES, readScript, type ReadInput, type WindowsState } from './scripts.js';
import { waitForReboot } from './reboot.js';

export const WindowsRdpVars = Type.Object({
  // The VM roles' own definitions: one description per variable in inventory/schema.json.
  pve_host: vmProperties.pve_host,
  vm_id: vmProperties.vm_id,
  vm_power: cloneProperties.vm_power,
  gpu_mapping: Type.Optional(
    Type.String({
      pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$',
      description: 'Id of the cluster PCI mapping for the GPU (e.g. rtx3090).',
    }),
  ),
  win_computer_name: Type.Optional(
    Type.String({
      pattern: '^(?![0-9]+$)[A-Za-z0-9-]{1,15}$',
      description: 'Windows computer name (default: the inventory name).',
    }),
  ),
  win_reboot: Type.Optional(
    Type.Boolean({
      description:
        'Reboot through the guest agent when a setting needs it (a rename). Default false: reported.',
    }),
  ),
  win_agent_timeout_s: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Wait for the guest agent (default 300).' }),
  ),
  win_reboot_timeout_s: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Wait for Windows after a reboot (default 600).' }),
  ),
});

const defaults = { win_reboot: false, win_agent_timeout_s: 300, win_reboot_timeout_s: 600 };
type Vars = WithDefaults<Static<typeof WindowsRdpVars>, typeof defaults>;

export const windowsRdp = defineRole({
  name: 'windows-rdp',
  tags: ['windows', 'rdp'],
  delegate: 'controller',
  vars: WindowsRdpVars,
  hostRefs: { pve_host: PveHostVars },
  defaults,
  async apply(ctx) {
    const { vars, inventoryHost: name, host, task } = ctx;
    const computerName = vars.win_computer_name ?? name;
    const why = computerNameProblem(computerName);
    if (why)
      throw new InvalidInputError(
        `host ${name}, role windows-rdp: the computer name "${computerName}" (the inventory name) ${why}: set win_computer_name`,
      );
    const site = siteOf(ctx);
    const remote = [...site.gatewayAddresses, ...site.adminNetworks];
    if (!remote.length)
      throw new InvalidInputError(
        `host ${name}, role windows-rdp: site_gateway_addresses and site_admin_networks are both empty: RDP would be open to every address`,
      );
    const users = usersOf(site, name);
    const pve = pveSite(ctx.hostVarsOf('pve_host'));

    await withProxmox(pve, ctx.log, async (client) => {
      const guest = await locateVm(client, name, vars.vm_id);
      const unready = !guest
        ? `${name} does not exist yet`
        : guest.status !== 'running'
          ? `${name} is ${guest.status}`
          : undefined;
      if (unready) {
        if (host.check || vars.vm_power === 'stopped') {
          await task('Windows guest', async () => ({
            changed: false,
            skipped: true,
            message: `${unready}${vars.vm_power === 'stopped' ? ' (vm_power: stopped)' : ''}: its guest is configured once it runs`,
          }));
          return;
        }
        throw new Error(`${unready}: windows-rdp needs it running (the dev-vm or gpu-vm role starts it)`);
      }
      const runner = powershellRunner(
        client,
        { node: guest!.node, vmid: guest!.vmid, name },
        { agentTimeoutMs: vars.win_agent_timeout_s * 1000, log: ctx.log },
      );
      const readInput: ReadInput = {
        rules: RDP_RULES,
        marker: MARKER_GROUP,
        passwords: users
          .filter((u) => u.state === 'present' && u.password)
          .map((u) => ({ login: u.login, password: u.password })),
        gpu: Boolean(vars.gpu_mapping),
      };
      const read = () => runner.run<WindowsState>(readScript, readInput);

      let state!: WindowsState;
      await task('Windows guest', async () => {
        state = await read();
        if (isHomeEdition(state))
          throw new Error(
            `${name} runs ${state.productName} (EditionID ${state.editionId}): Windows Home has no Remote Desktop server; windows-rdp needs Pro, Enterprise or Education`,
          );
        return { changed: false, message: describeGuest(state, Boolean(vars.gpu_mapping)).join('; ') };
      });

      const plans = (s: WindowsState): SettingPlan[] => [
        planRdpOn(s),
        planNla(s),
        planFirewall(s, remote),
        planMarkerGroup(s),
        ...users.map((u) => planUser(s, u)),
        ...planDropped(s, users),
        planComputerName(s, computerName),
      ];
      let changed = false;
      for (const p of plans(state)) {
        const result = await task(p.id, async () => {
          const outcome = await converge(host, settingResource(p, runner));
          return p.note && !outcome.changed ? { ...outcome, message: p.note } : outcome;
        });
        changed ||= result.status === 'changed';
      }

      await task('settings took effect', async () => {
        if (!changed || host.check) return { changed: false };
        state = await read();
        const left = plans(state).filter((p) => p.ops.length);
        if (left.length)
          throw new Error(
            `${name}: after the changes, these still differ: ${left.map((p) => `${p.id} (${p.changes.map((c) => c.field).join(', ')})`).join('; ')}`,
          );
        return { changed: false };
      });

      await task('reboot', () => rebootIfNeeded(ctx, runner, () => state, read, computerName));
    });
  },
});

/** One setting as a primitive: its read is the one snapshot, its apply one `apply` script. */
function settingResource(p: SettingPlan, runner: PowerShellRunner): Resource<SettingPlan> {
  return {
    id: p.id,
    read: async () => p,
    plan: (current) => current.changes,
    apply: async (_host, current) => {
      await runner.run(applyScript, { ops: current.ops });
    },
    diff: (current) => {
      const shown = current.changes.filter((c) => c.from !== undefined);
      if (!shown.length) return undefined;
      return createTwoFilesPatch(
        `${p.id} (before)`,
        `${p.id} (after)`,
        shown.map((c) => `${c.field}: ${c.from}\n`).join(''),
        shown.map((c) => `${c.field}: ${c.to}\n`).join(''),
      );
    },
  };
}

/**
 * A rename takes effect at the next boot: with `win_reboot` the guest is restarted through the
 * agent and waited for; without it the pending reboot is reported. Other reasons for a pending
 * reboot (Windows Update, servicing) are reported, never acted on: they are not the role's.
 */
async function rebootIfNeeded(
  ctx: RoleContext<Vars>,
  runner: PowerShellRunner,
  current: () => WindowsState,
  read: () => Promise<WindowsState>,
  computerName: string,
) {
  const s = current();
  const renamePlanned = planComputerName(s, computerName).ops.length > 0; // check mode: not made
  const reasons = [...new Set([...s.pendingReboot, ...(renamePlanned ? ['computer rename'] : [])])];
  const ours = reasons.includes('computer rename');
  if (!reasons.length) return { changed: false };
  if (!ours || !ctx.vars.win_reboot)
    return {
      changed: false,
      message: `reboot pending (${reasons.join(', ')})${ours ? ': set win_reboot: true to let the role restart Windows' : ''}`,
    };
  if (ctx.host.check) return { changed: true, changes: [`reboot: ${reasons.join(', ')}`] };
  const after = await waitForReboot(
    runner,
    read,
    s.bootTime,
    ctx.vars.win_reboot_timeout_s * 1000,
    ctx.inventoryHost,
    reasons,
  );
  const still = after.pendingReboot.filter((r) => r === 'computer rename');
  if (still.length) throw new Error(`${ctx.inventoryHost}: rebooted, but the rename is still pending`);
  return { changed: true, changes: [`reboot: ${reasons.join(', ')}`] };
}
