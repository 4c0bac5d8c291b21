/**
 * `vm-template`: the VM templates the site's VMs are cloned from, one inventory host each
 * (`tpl-ubuntu-2204`, `tpl-win11`), built through the Proxmox API alone:
 *
 * Ubuntu 22.04 (vm_os: ubuntu)
 * 1. the official cloud image downloaded by the node into a storage with the `import` content
 *    type (`download-url`; nothing passes through the controller);
 * 2. a VM whose disk is imported from it (`import-from`), with a cloud-init drive, a serial
 *    console and the guest agent option on;
 * 3. converted to a template.
 *
 * Windows 11 (vm_os: windows) — the Windows and VirtIO ISOs are uploaded by you (Microsoft's ISO
 * cannot be downloaded by URL)
 * 1. an answer-file ISO: templates/windows/autounattend.xml.hbs rendered (admin password from
 *    the vault), packed into a small ISO on the controller and uploaded (the storage `upload`
 *    API); only while the template does not exist;
 * 2. a VM for Windows 11 — q35, OVMF with a 4m EFI disk and Microsoft's keys pre-enrolled,
 *    TPM 2.0, VirtIO SCSI/NIC, the three ISOs as CD-ROMs — created and started in one request;
 * 3. Enter pressed through the API while the VM boots (the ISO's "Press any key to boot from CD
 *    or DVD" under UEFI: without a key Setup never starts), then the unattended install waited
 *    for: the answer file powers the VM off at its end;
 *    the answer file installs the VirtIO guest tools in audit mode, then sysprep generalises
 *    Windows and powers it off (no account, name or SID of its own: each clone gets its own at
 *    its first boot, roles/windows-first-boot.ts);
 * 4. the install media detached, the VM tagged `generalized` and converted to a template, the
 *    answer ISO deleted.
 *
 * Every step is idempotent, so a run killed anywhere resumes where it stopped.
 */
import { defineRole, oneOf, secretString, Type } from '../../lib/define.js';
import { renderTemplate } from '../../tasks/files/template.js';
import { pveBootKeys } from '../../tasks/proxmox/boot-keys.js';
import { pveWaitInstall } from '../../tasks/proxmox/install.js';
import { buildIso } from '../../lib/iso9660.js';
import { pveDownload, pveUpload, pveVolumeAbsent } from '../../tasks/proxmox/storage.js';
import { pveTemplate } from '../../tasks/proxmox/template.js';
import { locateVm, pveVm } from '../../tasks/proxmox/vm.js';
import { PveHostVars, pveSite, vmProperties, withProxmox } from '../proxmox-vm.js';
import { GENERALIZED_TAG } from '../windows-first-boot.js';
import { answerFileVars } from './answer-file.js';

export const UBUNTU_CLOUD_IMAGE =
  'https://cloud-images.ubuntu.com/jammy/current/jammy-server-cloudimg-amd64.img';

export const vmTemplate = defineRole({
  name: 'vm-template',
  tags: ['proxmox', 'templates'],
  delegate: 'controller',
  vars: Type.Object(
    {
      ...vmProperties,
      vm_os: oneOf(['ubuntu', 'windows'], {
        description:
          'What the template installs: Ubuntu 22.04 (cloud image) or Windows 11 (unattended install).',
      }),
      vm_cloud_image_url: Type.Optional(
        Type.String({
          pattern: '^https?://',
          description: 'Ubuntu cloud image URL (default: the official jammy image).',
        }),
      ),
      vm_cloud_image_file: Type.Optional(
        Type.String({
          pattern: '^[A-Za-z0-9][A-Za-z0-9_.+-]*\\.(qcow2|raw|vmdk|img)$',
          description: 'Its file name in the import storage.',
        }),
      ),
      vm_cloud_image_sha256: Type.Optional(
        Type.String({
          pattern: '^[0-9a-f]{64}$',
          description: 'SHA-256 of the image, checked by Proxmox while downloading.',
        }),
      ),
      win_boot_keys_s: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 600,
          description:
            'Windows: for how many seconds of the install VM\'s uptime Enter is pressed (once a second, through the API) to answer the ISO\'s "Press any key to boot from CD or DVD" (default 30).',
        }),
      ),
      vm_install_timeout_min: Type.Optional(
        Type.Integer({ minimum: 1, description: 'How long the Windows install may take (default 120).' }),
      ),
      win_admin_user: Type.Optional(
        Type.String({
          pattern: '^[A-Za-z0-9_.-]{1,20}$',
          description: 'Local administrator created by the answer file (default admin).',
        }),
      ),
      win_admin_password: Type.Optional(
        secretString({ minLength: 8, description: 'Its password: a vault reference (!secret NAME).' }),
      ),
      win_image_name: Type.Optional(
        Type.String({
          minLength: 1,
          description: 'Edition to install, as named in the ISO (default Windows 11 Pro).',
        }),
      ),
      win_product_key: Type.Optional(
        Type.String({ pattern: '^([A-Z0-9]{5}-){4}[A-Z0-9]{5}$', description: 'Product key (optional).' }),
      ),
      win_locale: Type.Optional(
        Type.String({
          pattern: '^[a-z]{2,3}-[A-Z]{2}$',
          description: 'Language and locale (default en-US).',
        }),
      ),
      win_timezone: Type.Optional(
        Type.String({ minLength: 1, description: 'Windows time zone name (default UTC).' }),
      ),
    },
    {
      if: { properties: { vm_os: { const: 'windows' } }, required: ['vm_os'] },
      then: { required: ['win_admin_password'] },
    },
  ),
  hostRefs: { pve_host: PveHostVars },
  defaults: {
    vm_allow_unsafe: false,
    vm_cloud_image_url: UBUNTU_CLOUD_IMAGE,
    vm_cloud_image_file: 'jammy-server-cloudimg-amd64.qcow2',
    vm_install_timeout_min: 120,
    win_boot_keys_s: 30,
    win_admin_user: 'admin',
    win_image_name: 'Windows 11 Pro',
    win_locale: 'en-US',
    win_timezone: 'UTC',
  },
  async apply(ctx) {
    const { vars, inventoryHost: name, host, task } = ctx;
    const site = pveSite(ctx.hostVarsOf('pve_host'), ctx.vars.pve_host);
    const node = vars.vm_node ?? site.node;
    const storage = vars.vm_storage ?? site.vmStorage;
    const bridge = vars.vm_bridge ?? site.bridge;
    const net0 = `virtio,bridge=${bridge}${vars.vm_vlan ? `,tag=${vars.vm_vlan}` : ''}${vars.vm_mac ? `,macaddr=${vars.vm_mac}` : ''}`;
    const windows = vars.vm_os === 'windows';
    const cores = vars.vm_cores ?? (windows ? 4 : 2);
    const memory = vars.vm_memory ?? (windows ? 8192 : 2048);
    const vmid = vars.vm_id;
    const common = {
      client: undefined as never,
      name,
      ...(vmid !== undefined ? { vmid } : {}),
      log: ctx.log,
    };
    // What the template keeps in line once built: CPU and memory (its disks are set at creation).
    const config = { options: { cores, memory } };

    await withProxmox(site, ctx.log, async (client) => {
      const vm = {
        ...common,
        client,
        node,
        allowUnsafe: vars.vm_allow_unsafe,
        lock: ctx.lock,
        vmidLock: `vmid:${vars.pve_host}`,
        config,
      };

      if (!windows) {
        const image = `${site.importStorage}:import/${vars.vm_cloud_image_file}`;
        await task('Ubuntu cloud image in storage', () =>
          pveDownload(host, {
            client,
            node,
            storage: site.importStorage,
            content: 'import',
            url: vars.vm_cloud_image_url,
            filename: vars.vm_cloud_image_file,
            ...(vars.vm_cloud_image_sha256
              ? { checksum: { algorithm: 'sha256' as const, value: vars.vm_cloud_image_sha256 } }
              : {}),
          }),
        );
        await task('template VM', () =>
          pveVm(host, {
            ...vm,
            source: {
              create: {
                ostype: 'l26',
                machine: 'q35',
                cpu: 'x86-64-v2-AES',
                scsihw: 'virtio-scsi-single',
                scsi0: `${storage}:0,import-from=${image},iothread=1,discard=on`,
                ide2: `${storage}:cloudinit`,
                boot: 'order=scsi0',
                serial0: 'socket',
                vga: 'serial0',
                agent: 'enabled=1',
                net0,
                cores,
                memory,
              },
            },
          }),
        );
        await task('converted to a template', () => pveTemplate(host, { ...common, client }));
        return;
      }

      const { windowsIso, virtioIso } = site;
      if (!windowsIso || !virtioIso)
        throw new Error(
          `${name}: set pve_windows_iso and pve_virtio_iso on ${vars.pve_host} (the ISOs you uploaded to ${site.isoStorage})`,
        );
      const iso = (file: string) => `${site.isoStorage}:iso/${file},media=cdrom`;
      const answerIso = `autounattend-${name}.iso`;
      // The answer file is needed only to build the template; once built it is not uploaded again.
      const built = await locateVm(client, name, vmid);
      if (!built) {
        await task('answer file ISO', () =>
          pveUpload(host, {
            client,
            node,
            storage: site.isoStorage,
            content: 'iso',
            filename: answerIso,
            sensitive: true,
            data: () =>
              buildIso('AUTOUNATTEND', [
                {
                  name: 'autounattend.xml',
                  content: Buffer.from(
                    renderTemplate('windows/autounattend.xml.hbs', answerFileVars(name, vars)),
                    'utf8',
                  ),
                },
              ]),
          }),
        );
      }
      await task('Windows 11 install VM', () =>
        pveVm(host, {
          ...vm,
          source: {
            create: {
              ostype: 'win11',
              machine: 'q35',
              bios: 'ovmf',
              cpu: 'x86-64-v2-AES',
              cores,
              memory,
              efidisk0: `${storage}:1,efitype=4m,pre-enrolled-keys=1`,
              tpmstate0: `${storage}:1,version=v2.0`,
              scsihw: 'virtio-scsi-single',
              scsi0: `${storage}:${vars.vm_disk_gb ?? 64},iothread=1,discard=on`,
              ide2: iso(windowsIso),
              ide0: iso(virtioIso),
              ide1: iso(answerIso),
              boot: 'order=scsi0;ide2',
              net0,
              agent: 'enabled=1',
              start: 1,
            },
          },
        }),
      );
      await task('boot prompt answered', () =>
        pveBootKeys(host, { ...common, client, windowS: vars.win_boot_keys_s }),
      );
      await task('unattended install finished', () =>
        pveWaitInstall(host, {
          ...common,
          client,
          osId: 'mswindows',
          timeoutMs: vars.vm_install_timeout_min * 60_000,
        }),
      );
      await task('install media detached', () =>
        pveVm(host, {
          ...vm,
          // Tagged generalised (sysprep ran): every clone copies the tag and gets a first boot.
          config: {
            options: {
              ...config.options,
              ide0: null,
              ide1: null,
              ide2: null,
              boot: 'order=scsi0',
              tags: GENERALIZED_TAG,
            },
          },
        }),
      );
      await task('converted to a template', () => pveTemplate(host, { ...common, client }));
      await task('answer file ISO removed', () =>
        pveVolumeAbsent(host, {
          client,
          node,
          storage: site.isoStorage,
          content: 'iso',
          filename: answerIso,
        }),
      );
    });
  },
});
