/**
 * `proxmox-host`: the Proxmox VE server itself, over SSH as root, made ready for the GPU VM and
 * for NovaStation's API roles (research: ../shared/docs/research/proxmox.md §3).
 *
 * 1. Read the hardware and boot facts; stop before any change when the firmware has no IOMMU or
 *    the GPU is not there.
 * 2. The kernel command line for the bootloader in use, keeping the administrator's parameters.
 * 3. vfio modules at boot, the GPU's functions bound to vfio-pci and kept off their host drivers,
 *    optional kvm/vfio options; the initramfs rebuilt once if any of these changed (a handler).
 * 4. Optionally, Proxmox's no-subscription repository instead of the enterprise one.
 * 5. The API identity (user, least-privilege role, ACLs, token; its secret into the vault).
 * 6. The cloud-init snippet that gives Ubuntu clones the QEMU guest agent.
 * 7. Reboot when asked (and needed), then verify; otherwise say "reboot required" when the
 *    running kernel lacks what the boot configuration now holds.
 */
import {
  defineRole,
  oneOf,
  Type,
  type RoleContext,
  type Static,
  type WithDefaults,
} from '../../lib/define.js';
import { LEAST_PRIVILEGE_NAMES } from '../../lib/proxmox/privileges.js';
import { SNIPPET_DEFAULTS, snippetVars } from '../../lib/proxmox/site.js';
import { absent, directory, file, reboot } from '../../tasks/index.js';
import { editGrubDefault, editKernelCmdline, grubDefaultParams, PARAM, wantedParams } from './cmdline.js';
import {
  DEFAULT_FACT_PATHS,
  GRUB_DEFAULT,
  KERNEL_CMDLINE,
  readHostFacts,
  type FactPaths,
  type HostFacts,
  type PciFunction,
} from './facts.js';
import { identityResource } from './identity.js';
import { enterpriseDisabled, noSubscriptionSource } from './repositories.js';
import { GUEST_AGENT_SNIPPET, snippetStorage } from './snippets.js';
import { groupNeighbours, neighbourWarning, pendingReboot } from './verify.js';
import {
  driverBlock,
  gpuSlot,
  kvmModprobeContent,
  modulesLoadContent,
  selectGpu,
  vfioModprobeContent,
  vfioModules,
} from './vfio.js';
import { converge } from '../../lib/resource.js';

export const MODULES_LOAD_FILE = '/etc/modules-load.d/novastation-vfio.conf';
export const VFIO_MODPROBE_FILE = '/etc/modprobe.d/novastation-vfio.conf';
export const KVM_MODPROBE_FILE = '/etc/modprobe.d/novastation-kvm.conf';

const NAME = '^[A-Za-z0-9_][A-Za-z0-9_.-]*$';

const opt = Type.Optional;

/** The role's variables, declared once: the JSON Schema checked before any host is touched, and their type. */
export const ProxmoxHostVarsSchema = Type.Object(
  {
    gpu_device: opt(
      Type.String({
        pattern: '^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$',
        description:
          "The GPU's vendor:device id (10de:2204 for an RTX 3090; lspci -nn). All its card's functions are passed through.",
      }),
    ),
    gpu_address: opt(
      Type.String({
        pattern: '^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(\\.[0-7])?$',
        description: "The GPU's PCI address (0000:01:00), needed when several cards match gpu_device.",
      }),
    ),
    gpu_driver_block: opt(
      oneOf(['softdep', 'blacklist'], {
        description:
          'How the GPU is kept from its host drivers: softdep (vfio-pci loads first; default) or blacklist (the drivers never load; a driver another device needs gets a softdep instead).',
      }),
    ),
    gpu_host_drivers: opt(
      Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]+$' }), {
        description:
          'More host drivers to keep off the GPU (e.g. nvidia, nvidia_drm when the proprietary driver is installed), besides those lspci lists for its functions.',
      }),
    ),
    iommu_passthrough: opt(Type.Boolean({ description: 'Add iommu=pt (default true).' })),
    kernel_cmdline_extra: opt(
      Type.Array(Type.String({ pattern: PARAM.source }), {
        description:
          'More kernel parameters, e.g. initcall_blacklist=sysfb_init or pcie_acs_override=downstream.',
      }),
    ),
    kvm_ignore_msrs: opt(
      Type.Boolean({
        description: 'options kvm ignore_msrs=1 (some Windows GPU drivers need it). Default false.',
      }),
    ),
    vfio_allow_unsafe_interrupts: opt(
      Type.Boolean({
        description:
          'options vfio_iommu_type1 allow_unsafe_interrupts=1, only for platforms without interrupt remapping. Default false.',
      }),
    ),
    pve_repository: opt(
      oneOf(['unchanged', 'no-subscription'], {
        description:
          "Proxmox VE's package repositories: unchanged (default: the role leaves them as they are) or no-subscription (adds Proxmox's pve-no-subscription repository and comments out the enterprise lines of pve-enterprise.list and ceph.list; Proxmox VE 8 on Debian 12). The web UI's subscription notice is never touched.",
      }),
    ),
    pve_api_identity: opt(
      Type.Boolean({ description: "Create NovaStation's API user, role, ACLs and token (default true)." }),
    ),
    pve_token_id: opt(
      Type.String({
        pattern: '^[^\\s@!]+@[^\\s@!]+![A-Za-z][A-Za-z0-9_.-]*$',
        description: 'The API token to create, user@realm!name (default novastation@pve!site).',
      }),
    ),
    pve_api_role: opt(
      Type.String({
        pattern: '^[A-Za-z][A-Za-z0-9_.-]*$',
        description: 'The Proxmox role holding the least privileges (default NovaStation).',
      }),
    ),
    pve_token_vault_entry: opt(
      Type.String({
        pattern: NAME,
        description:
          "The vault entry the token's secret is saved as (default pve_token_secret; reference it with !secret).",
      }),
    ),
    ...snippetVars,
    reboot: opt(
      Type.Boolean({
        description:
          'Reboot when the running kernel lacks what the boot configuration holds, then verify passthrough (default false: only report "reboot required").',
      }),
    ),
    host_fact_paths: opt(
      Type.Object(
        {
          cmdline: opt(Type.String({ pattern: '^/' })),
          osrelease: opt(Type.String({ pattern: '^/' })),
          cpuinfo: opt(Type.String({ pattern: '^/' })),
          iommu_groups: opt(Type.String({ pattern: '^/' })),
          acpi_tables: opt(Type.String({ pattern: '^/' })),
          sys_module: opt(Type.String({ pattern: '^/' })),
        },
        {
          additionalProperties: false,
          description:
            'Where kernel and firmware facts are read (defaults: /proc, /sys); tests point them at a fake machine.',
        },
      ),
    ),
  },
  // The GPU is named by its id, its address, or both.
  { anyOf: [{ required: ['gpu_device'] }, { required: ['gpu_address'] }] },
);

const DEFAULTS = {
  gpu_driver_block: 'softdep' as const,
  gpu_host_drivers: [] as string[],
  iommu_passthrough: true,
  kernel_cmdline_extra: [] as string[],
  kvm_ignore_msrs: false,
  vfio_allow_unsafe_interrupts: false,
  pve_repository: 'unchanged' as const,
  pve_api_identity: true,
  pve_token_id: 'novastation@pve!site',
  pve_api_role: 'NovaStation',
  pve_token_vault_entry: 'pve_token_secret',
  ...SNIPPET_DEFAULTS,
  reboot: false,
  host_fact_paths: {},
};

export type ProxmoxHostVars = WithDefaults<Static<typeof ProxmoxHostVarsSchema>, typeof DEFAULTS>;

export const proxmoxHost = defineRole({
  name: 'proxmox-host',
  tags: ['proxmox', 'proxmox-host'],
  vars: ProxmoxHostVarsSchema,
  defaults: DEFAULTS,
  // The token's secret: API roles of later plays reference it with !secret before it exists.
  producesSecrets: (vars) =>
    vars.pve_api_identity === false ? [] : [vars.pve_token_vault_entry ?? 'pve_token_secret'],
  handlers: {
    'update initramfs': async ({ host }) => {
      await host.$`update-initramfs -u -k all`;
    },
    'update-grub': async ({ host }) => {
      await host.$`update-grub`;
    },
    'proxmox-boot-tool refresh': async ({ host }) => {
      await host.$`proxmox-boot-tool refresh`;
    },
  },
  async apply(ctx) {
    const { host, vars, task } = ctx;
    const paths: FactPaths = { ...DEFAULT_FACT_PATHS, ...vars.host_fact_paths };
    let facts!: HostFacts;
    let gpu!: PciFunction[];

    // Tagged `always`: every later step needs the facts.
    await task(
      'hardware and boot facts',
      async () => {
        facts = await readHostFacts(host, paths);
        gpu = checkHardware(facts, vars);
        return {
          changed: false,
          message: `${facts.cpuVendor} CPU, kernel ${facts.kernel}, ${facts.bootloader}, GPU ${gpuSlot(gpu)} (${gpu.map((f) => f.id).join(', ')}), IOMMU ${facts.groups.size ? 'active' : 'not active yet'}`,
        };
      },
      { tags: ['always'] },
    );
    const wanted = wantedParams(facts, {
      iommuPassthrough: vars.iommu_passthrough,
      extra: vars.kernel_cmdline_extra,
    });

    const cmdlineTask = async (
      path: string,
      before: string[],
      edit: { content: string; params: string[] },
    ) => {
      const outcome = await file(host, { path, content: edit.content, mode: '0644' });
      if (!outcome.changed) return outcome;
      const line = `kernel command line: ${before.join(' ') || '(empty)'} → ${edit.params.join(' ')}`;
      return { ...outcome, changes: [line, ...(outcome.changes ?? [])] };
    };
    if (facts.bootloader === 'grub') {
      await task(
        'kernel command line (GRUB)',
        () => {
          const edit = editGrubDefault(facts.grubDefault ?? '', wanted, GRUB_DEFAULT);
          return cmdlineTask(GRUB_DEFAULT, grubDefaultParams(facts.grubDefault ?? '', GRUB_DEFAULT), edit);
        },
        { notify: 'update-grub' },
      );
    } else {
      await task(
        'kernel command line (systemd-boot)',
        () => {
          if (facts.kernelCmdline === null)
            throw new Error(
              `${KERNEL_CMDLINE} is missing on a systemd-boot machine: write the root= line there first (see proxmox-boot-tool)`,
            );
          const before = facts.kernelCmdline.trim().split(/\s+/).filter(Boolean);
          return cmdlineTask(KERNEL_CMDLINE, before, editKernelCmdline(facts.kernelCmdline, wanted));
        },
        { notify: 'proxmox-boot-tool refresh' },
      );
    }

    await task(
      'vfio modules at boot',
      () =>
        file(host, {
          path: MODULES_LOAD_FILE,
          content: modulesLoadContent(vfioModules(facts.kernel)),
          mode: '0644',
        }),
      { notify: 'update initramfs' },
    );
    await task(
      'GPU bound to vfio-pci, kept off its host drivers',
      () =>
        file(host, {
          path: VFIO_MODPROBE_FILE,
          content: vfioModprobeContent(
            gpu,
            driverBlock(gpu, facts.pci, vars.gpu_driver_block, vars.gpu_host_drivers),
          ),
          mode: '0644',
        }),
      { notify: 'update initramfs' },
    );
    await task(
      'kvm and vfio options',
      () => {
        const content = kvmModprobeContent({
          ignoreMsrs: vars.kvm_ignore_msrs,
          unsafeInterrupts: vars.vfio_allow_unsafe_interrupts,
        });
        return content === null
          ? absent(host, { path: KVM_MODPROBE_FILE })
          : file(host, { path: KVM_MODPROBE_FILE, content, mode: '0644' });
      },
      { notify: 'update initramfs' },
    );

    if (vars.pve_repository === 'no-subscription') {
      // The new source first: its lists refreshed, only then is the enterprise one commented out.
      await task('no-subscription repository', () => noSubscriptionSource(host));
      await task('enterprise repositories commented out', () => enterpriseDisabled(host));
    }

    if (vars.pve_api_identity) await apiIdentity(ctx);

    const storage = snippetStorage(facts.storageCfg, vars.pve_snippets_storage);
    await task(`snippets on storage ${storage.id}`, async () => {
      if (storage.content.includes('snippets')) return { changed: false };
      const content = [...storage.content, 'snippets'].join(',');
      if (!host.check) await host.$`pvesm set ${storage.id} --content ${content}`;
      return {
        changed: true,
        changes: [`storage ${storage.id}: content ${storage.content.join(',')} → ${content}`],
      };
    });
    await task('guest agent snippet', async () => {
      const dir = await directory(host, { path: `${storage.path}/snippets`, mode: '0755' });
      const snippet = await file(host, {
        path: `${storage.path}/snippets/${vars.pve_guest_agent_snippet}`,
        content: GUEST_AGENT_SNIPPET,
        mode: '0644',
      });
      return {
        changed: dir.changed || snippet.changed,
        changes: [...(dir.changes ?? []), ...(snippet.changes ?? [])],
        ...(snippet.diff ? { diff: snippet.diff } : {}),
      };
    });

    // What the handlers build (initramfs, boot entries) must exist before a reboot.
    await ctx.flushHandlers();
    await rebootAndVerify(ctx, paths, wanted, { facts, gpu });
  },
});

/** The GPU's functions; an Error before anything changed when the machine cannot pass it through. */
function checkHardware(facts: HostFacts, vars: ProxmoxHostVars): PciFunction[] {
  if (!facts.hasLspci) throw new Error('lspci is not installed (apt install pciutils)');
  const table = facts.cpuVendor === 'amd' ? 'IVRS' : 'DMAR';
  if (facts.cpuVendor === 'other')
    throw new Error(
      'the CPU is neither Intel nor AMD (vendor_id in /proc/cpuinfo): GPU passthrough set-up is not supported here',
    );
  if (!facts.groups.size && !facts.acpiTables.includes(table))
    throw new Error(
      `no IOMMU: the firmware offers none (no ACPI ${table} table) and there are no IOMMU groups: enable ${facts.cpuVendor === 'amd' ? 'AMD-Vi (IOMMU)' : 'VT-d'} in the BIOS/UEFI set-up, then run again. Nothing was changed.`,
    );
  try {
    return selectGpu(facts.pci, {
      ...(vars.gpu_device ? { device: vars.gpu_device } : {}),
      ...(vars.gpu_address ? { address: vars.gpu_address } : {}),
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}. Nothing was changed.`);
  }
}

async function apiIdentity(ctx: RoleContext<ProxmoxHostVars>): Promise<void> {
  const { vars, host, task } = ctx;
  const [user, token] = vars.pve_token_id.split('!') as [string, string];
  const entry = vars.pve_token_vault_entry;
  await task('API user, role, ACLs and token', () =>
    converge(
      host,
      identityResource({
        user,
        token,
        role: vars.pve_api_role,
        privileges: LEAST_PRIVILEGE_NAMES,
        vaultEntry: entry,
        inVault: async () => {
          try {
            await ctx.secrets.get(entry);
            return true;
          } catch {
            return false;
          }
        },
        save: (secret) => ctx.secrets.save(entry, secret),
      }),
    ),
  );
}

/**
 * The running kernel is what it was when the facts were read (nothing but a reboot changes it),
 * so those facts say whether a reboot is required; after one they are read again to verify.
 */
async function rebootAndVerify(
  ctx: RoleContext<ProxmoxHostVars>,
  paths: FactPaths,
  wanted: readonly string[],
  before: { facts: HostFacts; gpu: PciFunction[] },
): Promise<void> {
  const { host, vars, task } = ctx;
  const state = async () => {
    const facts = await readHostFacts(host, paths);
    const gpu = selectGpu(facts.pci, {
      ...(vars.gpu_device ? { device: vars.gpu_device } : {}),
      ...(vars.gpu_address ? { address: vars.gpu_address } : {}),
    });
    return { facts, gpu, pending: pendingReboot(facts, gpu, wanted) };
  };
  let now = { ...before, pending: pendingReboot(before.facts, before.gpu, wanted) };
  let rebooted = false;
  if (vars.reboot && now.pending.reasons.length) {
    const why = now.pending.reasons.join('; ');
    const r = await task('reboot', async () => {
      const outcome = await reboot(host);
      return { ...outcome, changes: [`reboot: rebooted (${why})`] };
    });
    rebooted = r.status === 'changed';
    if (rebooted) now = await state();
  }
  await task('verify passthrough', async () => {
    const { facts, gpu, pending } = now;
    if (pending.reasons.length) {
      if (rebooted)
        throw new Error(
          `after the reboot, ${pending.reasons.join('; ')}: check the firmware's IOMMU setting and the boot entry (cat /proc/cmdline, dmesg | grep -e DMAR -e AMD-Vi)`,
        );
      const notice = `reboot required: ${pending.reasons.join('; ')}${ctx.check ? '' : ' (reboot the server, or set reboot: true)'}`;
      return { changed: false, message: notice, notice };
    }
    const neighbours = groupNeighbours(facts, gpu);
    const ok = `IOMMU active; ${gpu.map((f) => f.address).join(', ')} bound to vfio-pci in IOMMU group ${[...new Set(gpu.map((f) => facts.groups.get(f.address)))].join(', ')}`;
    if (!neighbours.length) return { changed: false, message: ok };
    const warning = neighbourWarning(neighbours, facts, gpu);
    return { changed: false, message: `${ok}; ${warning}`, notice: warning };
  });
}
