/**
 * The proxmox-host role on real Debian 12 test hosts over real SSH, each made into a fake GPU
 * passthrough server (fixture.ts): stand-ins for lspci, update-grub, update-initramfs,
 * proxmox-boot-tool, pveum and pvesm that keep state as the real ones do, and a boot step that
 * makes the command line, kernel release, IOMMU groups and PCI drivers the role reads from the
 * bootloader's state at every (real) restart of the test host.
 *
 * The Intel machine also asks for the no-subscription repository, served by a stand-in for
 * download.proxmox.com on the host (fake-mirror.ts); the AMD one leaves the repositories alone.
 *
 * Not covered here, because it needs the real thing: a real kernel, firmware, IOMMU and GPU
 * (what the fake boot step models is described in fixture/boot.py), and Proxmox's own pveum
 * and pvesm (the stand-ins follow their documented commands and output).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findLeaks } from '../secrets/leak.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { calls, installMachine, NO_GPU_PCI, RTX3090_PCI, SHARED_GROUP_PCI } from './fixture.js';
import { buildMirror, CEPH_LIST, installMirror, PVE_ENTERPRISE_LIST, type Mirror } from './fake-mirror.js';
import { runCli } from '../support/cli.js';
import {
  changeLines,
  PLAYBOOK,
  run,
  sampleCommandLines,
  scenario,
  summary,
  task,
  vaultText,
  type Scenario,
} from './support.js';

const MUTATING =
  /^(update-grub|update-initramfs|pvesm|proxmox-boot-tool refresh|pveum (user add|role (add|modify)|acl modify|user token (add|remove)))/;
const REBOOT = JSON.stringify({ reboot: true });

const read = async (f: HostFixture, host: string, path: string) =>
  (await f.hosts.exec(host, `cat ${path} 2>/dev/null || true`)).stdout;
const recapOf = (r: { events: Record<string, any>[] }, host: string) => r.events.at(-1)!.hosts[host];
const SOURCES = '/etc/apt/sources.list.d';
const NO_SUBSCRIPTION_LIST = `${SOURCES}/pve-no-subscription.list`;

describe.skipIf(skipHosts)('proxmox-host on fake passthrough servers', () => {
  let f: HostFixture;
  let intel: string;
  let amd: string;
  let other: string;
  let mirror: Mirror;

  beforeAll(async () => {
    mirror = buildMirror();
    f = await bootFixture(3, 'pxh');
    [intel, amd, other] = f.hosts.hosts.map((h) => h.name) as [string, string, string];
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  describe('Intel, GRUB, kernel 6.5 (intel_iommu=on needed, no vfio_virqfd)', () => {
    let s: Scenario;
    let checkChanges: string[];

    it('check mode changes nothing on the host, says what the real run will change, and skips the play that needs the token', async () => {
      await installMachine(f, intel, {
        cpu: 'intel',
        kernel: '6.5.13-6-pve',
        bootloader: 'grub',
        iommuFirmware: true,
        pci: RTX3090_PCI,
        adminCmdline: 'quiet nomodeset',
      });
      await installMirror(f, intel, mirror);
      s = scenario(f, intel, { pve_repository: 'no-subscription' });
      const before = await f.hosts.snapshotUpper(intel);
      const check = await run(s, '--check');
      expect(check.code, summary(check)).toBe(0);
      // The later play needs the token's secret, which check mode does not create: skipped, saying so.
      expect(task(check, '(secrets)')).toMatchObject({ status: 'skipped', host: intel });
      expect(task(check, '(secrets)')!.message).toMatch(
        /variable pve_token_secret: !secret pve_token_secret: not in the vault .* \(check mode creates nothing\): this play is skipped/,
      );
      expect(await f.hosts.snapshotUpper(intel)).toBe(before);
      expect((await calls(f, intel)).filter((c) => MUTATING.test(c))).toEqual([]);
      expect(() => statSync(s.vault)).toThrow(); // no vault written either
      checkChanges = changeLines(check);
      expect(checkChanges).toContain(
        'kernel command line: quiet nomodeset → quiet nomodeset intel_iommu=on iommu=pt',
      );
      expect(task(check, 'reboot')).toBeUndefined();
      expect(checkChanges).toEqual(
        expect.arrayContaining([
          `apt repository pve-no-subscription: source ${NO_SUBSCRIPTION_LIST} absent → created`,
          'apt repository pve-no-subscription: lists → refreshed for this repository',
          expect.stringMatching(
            /^enterprise repository in \/etc\/apt\/sources\.list\.d\/pve-enterprise\.list: content sha256:\w+ → sha256:\w+$/,
          ),
          expect.stringMatching(
            /^enterprise repository in \/etc\/apt\/sources\.list\.d\/ceph\.list: content sha256:\w+ → sha256:\w+$/,
          ),
        ]),
      );
    });

    it('the real run makes exactly those changes, keeps the administrator parameters, rebuilds once, creates the token with its secret only in the vault, and says reboot required', async () => {
      const stop = await sampleCommandLines(f, intel);
      const r = await run(s, '-v', '--diff').finally(() => undefined);
      const sampled = await stop();
      expect(r.code, summary(r)).toBe(0);
      expect(changeLines(r)).toEqual(checkChanges);

      expect(await read(f, intel, '/etc/default/grub')).toContain(
        'GRUB_CMDLINE_LINUX_DEFAULT="quiet nomodeset intel_iommu=on iommu=pt"\n',
      );
      expect(await read(f, intel, '/boot/grub/grub.cfg')).toContain(
        'linux /boot/vmlinuz-6.5.13-6-pve root=/dev/mapper/pve-root ro  quiet nomodeset intel_iommu=on iommu=pt',
      );
      expect(await read(f, intel, '/etc/modules-load.d/novastation-vfio.conf')).toMatch(
        /\nvfio\nvfio_iommu_type1\nvfio_pci\n$/,
      );
      expect(await read(f, intel, '/etc/modprobe.d/novastation-vfio.conf')).toMatch(
        /options vfio-pci ids=10de:2204,10de:1aef\nsoftdep nouveau pre: vfio-pci\nsoftdep snd_hda_intel pre: vfio-pci\n$/,
      );
      const mutating = (await calls(f, intel)).filter((c) => MUTATING.test(c));
      expect(mutating.filter((c) => c.startsWith('update-initramfs'))).toEqual([
        'update-initramfs -u -k all',
      ]);
      expect(mutating.filter((c) => c.startsWith('update-grub'))).toEqual(['update-grub']);
      expect(mutating.filter((c) => c.startsWith('pveum user token add'))).toHaveLength(1);
      expect(await read(f, intel, '/etc/pve/storage.cfg')).toContain(
        '\tcontent iso,vztmpl,backup,snippets\n',
      );
      expect(await read(f, intel, '/var/lib/vz/snippets/novastation-guest-agent.yaml')).toContain(
        '  - qemu-guest-agent\n',
      );
      expect(task(r, 'verify passthrough')!.message).toMatch(
        /^reboot required: the running kernel was booted without intel_iommu=on iommu=pt; the IOMMU is not active .*0000:01:00\.0 is bound to nouveau/,
      );

      // The no-subscription repository, its lists fetched from the mirror and verified with the
      // release key; the enterprise lines commented out, not deleted.
      expect(await read(f, intel, NO_SUBSCRIPTION_LIST)).toBe(
        '# Managed by NovaStation: local changes are overwritten.\ndeb http://download.proxmox.com/debian/pve bookworm pve-no-subscription\n',
      );
      const policy = await f.hosts.exec(intel, 'LC_ALL=C apt-cache policy pve-nsdemo');
      expect(policy.stdout).toMatch(/Candidate: 8\.2\.0\n/);
      expect(policy.stdout).toContain(
        'http://download.proxmox.com/debian/pve bookworm/pve-no-subscription amd64 Packages',
      );
      expect(await read(f, intel, `${SOURCES}/pve-enterprise.list`)).toBe(`# ${PVE_ENTERPRISE_LIST}`);
      expect(await read(f, intel, `${SOURCES}/ceph.list`)).toBe(`# ${CEPH_LIST}`);
      expect(task(r, 'enterprise repositories commented out')!.diff).toContain(
        `-${PVE_ENTERPRISE_LIST}+# ${PVE_ENTERPRISE_LIST}`,
      );

      // The token: its secret is in the vault (0600), the later play got exactly it, and it is
      // nowhere else: not in the output, the run record, the stand-ins' call log or any command line.
      const token = /pve_token_secret: "?([0-9a-f-]{36})"?/.exec(await vaultText(s))?.[1];
      expect(token).toBeDefined();
      expect(statSync(s.vault).mode & 0o777).toBe(0o600);
      const state = JSON.parse(await read(f, intel, '/var/lib/fake-pve/access.json'));
      const sha = createHash('sha256').update(token!).digest('hex');
      expect(state.tokens['novastation@pve!site'].sha256).toBe(sha);
      expect((await read(f, intel, '/root/token-seen.sha256')).trim()).toBe(sha);
      const runsDir = join(f.dir, `runs-${intel}`);
      const record = readdirSync(runsDir)
        .map((n) => readFileSync(join(runsDir, n), 'utf8'))
        .join('\n');
      const everywhere = [r.stdout, r.stderr, record, (await calls(f, intel)).join('\n'), sampled].join('\n');
      expect(sampled).toContain('pveum user token add'); // the sampler saw the role's commands
      expect(findLeaks(everywhere, { token: token! })).toEqual([]);
      expect(state.acl).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            path: '/',
            type: 'user',
            ugid: 'novastation@pve',
            roleid: 'NovaStation',
          }),
          expect.objectContaining({
            path: '/',
            type: 'token',
            ugid: 'novastation@pve!site',
            roleid: 'NovaStation',
          }),
        ]),
      );
    });

    it('a second run changes nothing and rebuilds nothing; the reboot is still required', async () => {
      await f.hosts.exec(intel, 'rm -f /run/fake-hw/calls.log');
      const r = await run(s);
      expect(r.code, summary(r)).toBe(0);
      expect(recapOf(r, intel)).toMatchObject({ changed: 0, failed: 0 });
      expect((await calls(f, intel)).filter((c) => MUTATING.test(c))).toEqual([]);
      expect(task(r, 'no-subscription repository')).toMatchObject({ status: 'ok' });
      expect(await read(f, intel, `${SOURCES}/pve-enterprise.list`)).toBe(`# ${PVE_ENTERPRISE_LIST}`);
      // "reboot required" in the task, under the recap, and in the run record.
      const notice = task(r, 'verify passthrough')!.notice as string;
      expect(notice).toMatch(
        /^reboot required: the running kernel was booted without intel_iommu=on iommu=pt;/,
      );
      expect(r.events.at(-1)!.notices).toEqual({ [intel]: [notice] });
      expect(r.stderr).toMatch(new RegExp(`PLAY RECAP\\n.*\\n${intel}\\s+: reboot required: `));
      const runsDir = join(f.dir, `runs-${intel}`);
      const latest = readdirSync(runsDir).sort().at(-1)!;
      const record = JSON.parse(readFileSync(join(runsDir, latest), 'utf8'));
      expect(
        record.hosts[intel].tasks.find((t: { task: string }) => t.task === 'verify passthrough').notice,
      ).toBe(notice);
    });

    it('reboot: true restarts the host once and verifies passthrough after the restart; then nothing more', async () => {
      const boots = f.hosts.bootCount(intel);
      const r = await run(s, '-e', REBOOT);
      expect(r.code, summary(r)).toBe(0);
      expect(f.hosts.bootCount(intel)).toBe(boots + 1);
      expect(task(r, 'reboot')).toMatchObject({ status: 'changed' });
      expect(task(r, 'verify passthrough')!.message).toBe(
        'IOMMU active; 0000:01:00.0, 0000:01:00.1 bound to vfio-pci in IOMMU group 1',
      );
      expect(await read(f, intel, '/run/fake-hw/proc/cmdline')).toContain(
        'quiet nomodeset intel_iommu=on iommu=pt',
      );
      const again = await run(s, '-e', REBOOT);
      expect(again.code, summary(again)).toBe(0);
      expect(recapOf(again, intel)).toMatchObject({ changed: 0, failed: 0 });
      expect(f.hosts.bootCount(intel)).toBe(boots + 1);
      expect(task(again, 'reboot')).toBeUndefined();
    });
  });

  describe('AMD, systemd-boot, kernel 5.15 (vfio_virqfd, no intel_iommu), blacklist mode', () => {
    it('sets /etc/kernel/cmdline keeping the root= parameters, reboots, verifies; a second run changes nothing', async () => {
      await installMachine(f, amd, {
        cpu: 'amd',
        kernel: '5.15.131-1-pve',
        bootloader: 'systemd-boot',
        iommuFirmware: true,
        pci: RTX3090_PCI,
        adminCmdline: 'root=ZFS=rpool/ROOT/pve-1 boot=zfs quiet',
      });
      const s = scenario(f, amd, { gpu_driver_block: 'blacklist', kvm_ignore_msrs: true });
      const boots = f.hosts.bootCount(amd);
      const r = await run(s, '-e', REBOOT);
      expect(r.code, summary(r)).toBe(0);
      // pve_repository unset: the repositories are left as they are.
      expect(task(r, 'no-subscription repository')).toBeUndefined();
      expect(await read(f, amd, `${SOURCES}/pve-enterprise.list`)).toBe(PVE_ENTERPRISE_LIST);
      expect(await read(f, amd, `${SOURCES}/ceph.list`)).toBe(CEPH_LIST);
      expect(await read(f, amd, NO_SUBSCRIPTION_LIST)).toBe('');
      expect(await read(f, amd, '/etc/kernel/cmdline')).toBe(
        'root=ZFS=rpool/ROOT/pve-1 boot=zfs quiet iommu=pt\n',
      );
      expect(await read(f, amd, '/boot/fake-esp/loader/entries/proxmox-5.15.131-1-pve.conf')).toContain(
        'options root=ZFS=rpool/ROOT/pve-1 boot=zfs quiet iommu=pt\n',
      );
      expect(await read(f, amd, '/etc/modules-load.d/novastation-vfio.conf')).toMatch(
        /\nvfio_pci\nvfio_virqfd\n$/,
      );
      // nouveau drives only the GPU: blacklisted; snd_hda_intel also drives on-board audio: a softdep.
      expect(await read(f, amd, '/etc/modprobe.d/novastation-vfio.conf')).toMatch(
        /softdep snd_hda_intel pre: vfio-pci\nblacklist nouveau\n$/,
      );
      expect(await read(f, amd, '/etc/modprobe.d/novastation-kvm.conf')).toContain(
        'options kvm ignore_msrs=1 report_ignored_msrs=0\n',
      );
      // Each handler once, in order (the call log went with the reboot: it lives in /run); the
      // initramfs on the ESP (synced by update-initramfs's hook) holds the new modprobe file.
      expect(r.events.filter((e) => e.type === 'task' && e.handler).map((e) => [e.task, e.status])).toEqual([
        ['update initramfs', 'changed'],
        ['proxmox-boot-tool refresh', 'changed'],
      ]);
      expect(
        (
          await f.hosts.exec(
            amd,
            'tar -xOf /boot/fake-esp/initrd.img-5.15.131-1-pve etc/modprobe.d/novastation-vfio.conf',
          )
        ).stdout,
      ).toContain('blacklist nouveau\n');
      expect(f.hosts.bootCount(amd)).toBe(boots + 1);
      expect(task(r, 'verify passthrough')!.message).toBe(
        'IOMMU active; 0000:01:00.0, 0000:01:00.1 bound to vfio-pci in IOMMU group 1',
      );
      expect(await read(f, amd, '/run/fake-hw/boot.log')).not.toContain('vfio_virqfd'); // it exists before 6.2
      expect(await read(f, amd, '/run/fake-hw/sys/module/kvm/parameters/ignore_msrs')).toBe('Y\n');

      const again = await run(s, '-e', REBOOT);
      expect(again.code, summary(again)).toBe(0);
      expect(recapOf(again, amd)).toMatchObject({ changed: 0, failed: 0 });
      expect(f.hosts.bootCount(amd)).toBe(boots + 1);
      expect((await calls(f, amd)).filter((c) => MUTATING.test(c))).toEqual([]); // calls.log is per boot
    });
  });

  describe('machines that cannot, or can only partly, pass the GPU through', () => {
    const refused = async (pci: string, iommuFirmware: boolean, message: RegExp) => {
      await installMachine(f, other, {
        cpu: 'intel',
        kernel: '6.8.12-4-pve',
        bootloader: 'grub',
        iommuFirmware,
        pci,
        adminCmdline: 'quiet',
      });
      const s = scenario(f, other, { reboot: true });
      const before = await f.hosts.snapshotUpper(other);
      const r = await run(s);
      expect(r.code, summary(r)).toBe(2);
      const failed = r.events.find((e) => e.type === 'task' && e.status === 'failed');
      expect(failed).toMatchObject({ task: 'hardware and boot facts' });
      expect(failed!.error).toMatch(message);
      expect(failed!.error).toContain('Nothing was changed.');
      expect(await f.hosts.snapshotUpper(other)).toBe(before);
      expect((await calls(f, other)).filter((c) => MUTATING.test(c))).toEqual([]);
    };

    it('no IOMMU in the firmware: a clear failure before any change', async () => {
      await refused(
        RTX3090_PCI,
        false,
        /^no IOMMU: the firmware offers none \(no ACPI DMAR table\).*enable VT-d/,
      );
    });

    it('no matching GPU: a clear failure naming the display devices there', async () => {
      await refused(
        NO_GPU_PCI,
        true,
        /^no GPU with id 10de:2204 on this machine \(display devices here: 0000:00:02\.0 \[8086:3e92\]\)/,
      );
    });

    it('a GPU sharing its IOMMU group (Intel, kernel 6.8: no intel_iommu=on needed): set up, rebooted, and a warning naming the other device', async () => {
      await installMachine(f, other, {
        cpu: 'intel',
        kernel: '6.8.12-4-pve',
        bootloader: 'grub',
        iommuFirmware: true,
        pci: SHARED_GROUP_PCI,
        adminCmdline: 'quiet',
      });
      const s = scenario(f, other, { reboot: true, pve_api_identity: false }, { tokenRef: false });
      const r = await run(s, '--role', 'proxmox-host');
      expect(r.code, summary(r)).toBe(0);
      expect(changeLines(r)).toContain('kernel command line: quiet → quiet iommu=pt');
      expect(task(r, 'reboot')).toMatchObject({ status: 'changed' });
      expect(r.events.at(-1)!.notices[other][0]).toMatch(
        /^warning: the GPU's IOMMU group 1 also holds 0000:02:00\.0/,
      );
      expect(task(r, 'verify passthrough')!.message).toMatch(
        /^IOMMU active; 0000:01:00\.0, 0000:01:00\.1 bound to vfio-pci in IOMMU group 1; warning: the GPU's IOMMU group 1 also holds 0000:02:00\.0 \[8086:1533, igb\]: .*another slot/,
      );
    });

    it('a token whose secret cannot be saved (no vault password) is removed again, and the run fails saying so', async () => {
      await installMachine(f, other, {
        cpu: 'amd',
        kernel: '6.8.12-4-pve',
        bootloader: 'grub',
        iommuFirmware: true,
        pci: RTX3090_PCI,
        adminCmdline: 'quiet',
      });
      const s = scenario(f, other);
      const r = await runCli([
        PLAYBOOK,
        '-i',
        s.inventory,
        '--known-hosts',
        f.knownHosts,
        '--vault',
        s.vault,
        '--role',
        'proxmox-host',
        '--json',
      ]);
      expect(r.code, summary(r)).toBe(2);
      expect(task(r, 'API user, role, ACLs and token')!.error).toMatch(
        /^the token novastation@pve!site was made but its secret could not be saved in the vault, so the token was removed again: cannot save the secret pve_token_secret .* no vault password was given/,
      );
      const state = JSON.parse(await read(f, other, '/var/lib/fake-pve/access.json'));
      expect(state.tokens).toEqual({});
      expect((await calls(f, other)).filter((c) => c.startsWith('pveum user token'))).toEqual([
        'pveum user token list novastation@pve --output-format json',
        'pveum user token add novastation@pve site --privsep 1 --comment NovaStation --output-format json',
        'pveum user token remove novastation@pve site',
      ]);
    });

    it('a run using the token whose producer does not run fails up front (exit 4), touching no host', async () => {
      const s = scenario(f, other);
      const logins = await f.hosts.sshLoginCount(other);
      const r = await run(s, '--role', 'token-user');
      expect(r.code, summary(r)).toBe(4);
      expect(r.stderr).toMatch(/variable pve_token_secret: !secret pve_token_secret: no vault/);
      expect(await f.hosts.sshLoginCount(other)).toBe(logins);
    });
  });
});
