/**
 * The first boot of a clone of a generalised Windows template (dev-vm, gpu-vm): Windows runs its
 * specialize and oobeSystem passes, and takes its computer name (the clone's inventory name) and
 * administrator from an answer file on a CD — Setup's implicit search finds `autounattend.xml` at
 * the root of removable media in every pass (the template deleted its cached copy before
 * sysprep). The same answer-file-on-an-ISO path as the template's install, so no agent, script
 * or extra service in the image is needed; the answer file ends with a shutdown, so "finished" is
 * the VM powering itself off, as for the install.
 *
 * Where a clone is, across runs, is in its tags (`tags` is copied by the clone from the template,
 * which the vm-template role tags `generalized` once sysprep has run):
 *   generalized → ISO uploaded, attached as a CD, VM started, tag → `specializing` (after the
 *     start, so a run killed in between finds a running `generalized` VM and carries on);
 *   specializing, running → wait until it powers off;
 *   specializing, stopped → the first boot is over: CD detached, tag removed, ISO deleted;
 *   no tag → nothing to do (a second run sends no request).
 */
import type { RoleContext } from '../lib/define.js';
import type { ProxmoxClient } from '../lib/proxmox/index.js';
import { pveGet, vmPath } from '../lib/proxmox/requests.js';
import { buildIso } from '../lib/iso9660.js';
import { renderTemplate } from '../tasks/files/template.js';
import { pveWaitInstall } from '../tasks/proxmox/install.js';
import { pveVmPower } from '../tasks/proxmox/power.js';
import { pveUpload, pveVolumeAbsent } from '../tasks/proxmox/storage.js';
import { locateVm, pveVm } from '../tasks/proxmox/vm.js';
import type { CloneVars, cloneRefs, PveSite, TemplateRef } from './proxmox-vm.js';
import { firstBootVars } from './vm-template/answer-file.js';

/** Set on the template once sysprep has run; copied to every clone by the clone. */
export const GENERALIZED_TAG = 'generalized';
const SPECIALIZING_TAG = 'specializing';
const FIRST_BOOT_TIMEOUT_MS = 30 * 60_000;

const splitTags = (tags: unknown) =>
  String(tags ?? '')
    .split(/[;, ]+/)
    .filter(Boolean);

async function cloneState(client: ProxmoxClient, name: string, vmid?: number) {
  const guest = await locateVm(client, name, vmid);
  if (!guest) return undefined;
  const config = await pveGet<Record<string, unknown>>(client, vmPath(guest.node, guest.vmid, '/config'));
  return { tags: splitTags(config?.tags) };
}

export async function windowsFirstBoot(
  ctx: RoleContext<CloneVars, typeof cloneRefs>,
  { client, site, template }: { client: ProxmoxClient; site: PveSite; template: TemplateRef },
): Promise<void> {
  const { vars, inventoryHost: name, host, task } = ctx;
  const vmid = vars.vm_id;
  const id = { client, name, ...(vmid !== undefined ? { vmid } : {}), log: ctx.log };
  const state = await cloneState(client, name, vmid);
  if (!state) {
    if (!host.check) throw new Error(`${name}: no such VM in Proxmox after its clone step`);
    // Check mode before the clone exists: it would be generalised, so it would get a first boot.
    await task('first boot: name and administrator', async () => ({
      changed: false,
      skipped: true,
      message: `check mode: would boot ${name} once to give it its computer name and administrator`,
    }));
    return;
  }
  const ours = [GENERALIZED_TAG, SPECIALIZING_TAG];
  if (!state.tags.some((t) => ours.includes(t))) return;
  const others = state.tags.filter((t) => !ours.includes(t));
  const iso = `firstboot-${name}.iso`;
  const vm = { ...id, lock: ctx.lock };

  if (state.tags.includes(GENERALIZED_TAG)) {
    const answer = firstBootVars(name, vars.vm_template, {
      win_admin_user: template.win_admin_user ?? 'admin',
      ...(template.win_admin_password ? { win_admin_password: template.win_admin_password } : {}),
      win_locale: template.win_locale ?? 'en-US',
      win_timezone: template.win_timezone ?? 'UTC',
    });
    await task('first-boot answer file ISO', () =>
      pveUpload(host, {
        client,
        node: vars.vm_node ?? site.node,
        storage: site.isoStorage,
        content: 'iso',
        filename: iso,
        sensitive: true,
        data: () =>
          buildIso('AUTOUNATTEND', [
            {
              name: 'autounattend.xml',
              content: Buffer.from(renderTemplate('windows/first-boot.xml.hbs', answer), 'utf8'),
            },
          ]),
      }),
    );
    await task('first-boot answer file attached', () =>
      pveVm(host, { ...vm, config: { options: { ide1: `${site.isoStorage}:iso/${iso},media=cdrom` } } }),
    );
    await task('first boot started', () => pveVmPower(host, { ...id, state: 'running' }));
    await task('first boot under way', () =>
      pveVm(host, { ...vm, config: { options: { tags: [...others, SPECIALIZING_TAG].join(';') } } }),
    );
  }
  await task('first boot: name and administrator', () =>
    pveWaitInstall(host, { ...id, timeoutMs: FIRST_BOOT_TIMEOUT_MS }),
  );
  await task('first-boot media detached', () =>
    pveVm(host, {
      ...vm,
      config: { options: { ide1: null, tags: others.length ? others.join(';') : null } },
    }),
  );
  await task('first-boot answer file ISO removed', () =>
    pveVolumeAbsent(host, {
      client,
      node: vars.vm_node ?? site.node,
      storage: site.isoStorage,
      content: 'iso',
      filename: iso,
    }),
  );
}
