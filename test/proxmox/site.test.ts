/**
 * The Proxmox part of the site (site.ts: both templates, four dev clones, the GPU VM) through
 * the real CLI against the simulator, authenticating with an API token. The steps share one
 * simulator and run in order, as a user's runs would: check mode on an empty node, the first
 * run, a rerun, drift, an unsafe change. After each, every request the product sent must have
 * passed the simulator's check against Proxmox's own API schema.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_SNIPPET,
  changedTasks,
  KEYS,
  startSite,
  summary,
  VM_NAMES,
  vmsByName,
  WIN_PASSWORD,
  type Site,
} from './support.js';

let site: Site;
beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site?.close();
});
afterEach(() => {
  expect(site.sim.violations, 'every request passes the PVE schema check').toEqual([]);
  expect(site.sim.unhandled, 'only endpoints the simulator implements').toEqual([]);
});

const one = (name: string) => {
  const found = vmsByName(site.sim).get(name) ?? [];
  expect(found, `exactly one VM named ${name}`).toHaveLength(1);
  return found[0]!;
};

describe('the Proxmox part of the site against the simulator', () => {
  it('check mode on an empty node reports every VM it would make and sends no write', async () => {
    const r = await site.run(['--check']);
    expect(r.code, summary(r)).toBe(0);
    expect(site.writes()).toEqual([]);
    const hosts = new Set(changedTasks(r).map((t) => t.host));
    expect([...hosts].sort()).toEqual([...VM_NAMES].sort());
    expect(site.sim.state.vms.size).toBe(0);
    expect(site.sim.requests.every((q) => q.auth === 'token')).toBe(true);
  });

  it('converges from an empty node: both templates, four dev clones and the GPU VM', async () => {
    // Clones of one template must never overlap: when a clone is sent, no earlier clone of the
    // same template may still hold its new VM's `lock: clone`.
    const overlaps: string[] = [];
    const sourceOf = new Map<number, string>();
    site.sim.onRequest((q) => {
      const m = /^\/nodes\/pve1\/qemu\/(\d+)\/clone$/.exec(q.path);
      if (q.method !== 'POST' || !m) return;
      const busy = [...sourceOf].filter(
        ([newid, source]) => source === m[1] && site.sim.state.vms.get(newid)?.lock === 'clone',
      );
      if (busy.length)
        overlaps.push(
          `clone of ${m[1]} sent while VM ${busy.map(([id]) => id).join(', ')} is still being cloned from it`,
        );
      sourceOf.set(Number(q.params.newid), m[1]!);
    });
    const r = await site.run();
    expect(r.code, summary(r)).toBe(0);
    expect(overlaps).toEqual([]);
    for (const name of VM_NAMES) one(name);
    expect(site.sim.state.vms.size).toBe(VM_NAMES.length);

    const ubuntu = one('tpl-ubuntu-2204');
    expect(ubuntu.vmid).toBe(9000);
    expect(ubuntu.config).toMatchObject({
      template: '1',
      ostype: 'l26',
      agent: 'enabled=1',
      boot: 'order=scsi0',
    });
    expect(ubuntu.config.scsi0).toMatch(/^local-lvm:base-9000-disk-0,/);
    expect(ubuntu.config.ide2).toMatch(/^local-lvm:vm-9000-cloudinit,media=cdrom/);
    expect(site.sim.state.volumes.has('local:import/jammy-server-cloudimg-amd64.qcow2')).toBe(true);

    const win = one('tpl-win11');
    expect(win.config).toMatchObject({ template: '1', ostype: 'win11', bios: 'ovmf', boot: 'order=scsi0' });
    expect(win.config.machine).toMatch(/q35/);
    expect(win.config.efidisk0).toMatch(/efitype=4m/);
    expect(win.config.efidisk0).toMatch(/pre-enrolled-keys=1/);
    expect(win.config.tpmstate0).toMatch(/version=v2\.0/);
    expect(win.config.scsi0).toMatch(/size=64G/);
    // Installed (its disk boots Windows), media detached, the answer ISO (with the password) gone.
    expect(Object.keys(win.config).filter((k) => /^ide\d$/.test(k))).toEqual([]);
    const disk = site.sim.state.volumes.get(win.config.scsi0!.split(',')[0]!);
    expect(disk?.os).toBe('windows');
    // The ISO's "Press any key to boot from CD or DVD" was answered through the API (sendkey).
    const keys = site.sim.requests.filter(
      (q) => q.method === 'PUT' && q.path.endsWith(`/${win.vmid}/sendkey`),
    );
    expect(keys.length, 'keys sent while the template VM booted').toBeGreaterThan(0);
    expect([...site.sim.state.volumes.keys()].filter((v) => v.includes('autounattend'))).toEqual([]);

    const dev1 = one('vm-dev-01');
    expect(dev1.vmid).toBe(2001);
    expect(dev1.status).toBe('running');
    expect(dev1.config).toMatchObject({ cores: '4', memory: '8192', ciuser: 'dev', ipconfig0: 'ip=dhcp' });
    expect(decodeURIComponent(dev1.config.sshkeys!).trim()).toBe(KEYS.join('\n'));
    // The cloud image has no guest agent: cloud-init installs it from proxmox-host's vendor snippet.
    expect(dev1.config.cicustom).toBe(`vendor=${AGENT_SNIPPET}`);
    expect(site.sim.state.vm(dev1.vmid)!.guest.agentAt, 'the agent answers on vm-dev-01').toBeTypeOf(
      'number',
    );
    expect(dev1.config.scsi0).toMatch(/size=64G/);
    const dev2 = one('vm-dev-02');
    expect(dev2.vmid).toBeGreaterThanOrEqual(100); // allocated
    expect(dev2.config.ipconfig0).toBe('ip=192.168.10.22/24,gw=192.168.10.1');
    const dev3 = one('vm-dev-03');
    expect(dev3.config.ostype).toBe('win11');
    expect(dev3.config.ciuser).toBeUndefined(); // no cloud-init on Windows
    // Identity: the template was generalised (sysprep) and each Windows clone specialised on its
    // first boot from its own answer file: its name, the administrator, a machine SID of its own.
    expect(site.sim.identityFlags).toEqual([]);
    expect(disk?.windows?.state).toBe('generalized');
    const winDisk = (name: string) =>
      site.sim.state.volumes.get(one(name).config.scsi0!.split(',')[0]!)?.windows;
    const sids = new Set<string | undefined>();
    for (const name of ['vm-dev-03', 'vm-dev-04', 'vm-gpu-01']) {
      expect(winDisk(name), name).toMatchObject({
        state: 'specialized',
        computerName: name.toUpperCase(),
        accounts: [{ name: 'admin', password: WIN_PASSWORD, admin: true }],
      });
      sids.add(winDisk(name)?.machineSid);
      expect(
        Object.values(one(name).config).filter((v) => /firstboot/.test(v)),
        name,
      ).toEqual([]);
      expect(one(name).config.tags, name).toBeUndefined();
    }
    expect(sids.size).toBe(3);
    expect([...site.sim.state.volumes.keys()].filter((v) => v.includes('firstboot'))).toEqual([]);
    const dev4 = one('vm-dev-04');
    expect(dev4.config.scsi0).toMatch(/base-9001-disk-\d+\/vm-\d+-disk/); // linked clone
    expect(dev4.status).toBe('stopped');

    const gpu = one('vm-gpu-01');
    expect(gpu.status).toBe('running');
    expect(gpu.config).toMatchObject({
      hostpci0: 'mapping=rtx3090,pcie=1',
      cpu: 'host',
      balloon: '0',
      bios: 'ovmf',
    });
    expect(gpu.config.machine).toMatch(/q35/);
    const mapping = site.sim.state.mappings.get('rtx3090');
    expect(mapping?.map).toEqual([
      expect.stringMatching(
        /^(?=.*node=pve1)(?=.*path=0000:01:00(,|$))(?=.*id=10de:2204)(?=.*iommugroup=14)/,
      ),
    ]);
  });

  it('a second run changes nothing and sends no write request; nor does check mode', async () => {
    const before = site.sim.requests.length;
    const again = await site.run();
    expect(again.code, summary(again)).toBe(0);
    expect(changedTasks(again)).toEqual([]);
    const check = await site.run(['--check']);
    expect(check.code, summary(check)).toBe(0);
    expect(changedTasks(check)).toEqual([]);
    expect(site.writes(before)).toEqual([]);
  });

  it('corrects drift: check mode reports it without writing, a --limit run fixes it', async () => {
    const vm = site.sim.state.vms.get(2001)!;
    vm.config.cores = '1';
    vm.config.memory = '2048';
    const before = site.sim.requests.length;
    const check = await site.run(['--check', '--diff']);
    expect(check.code, summary(check)).toBe(0);
    expect(site.writes(before)).toEqual([]);
    expect(changedTasks(check)).toEqual([
      {
        host: 'vm-dev-01',
        task: 'full clone of tpl-ubuntu-2204',
        changes: ['vm vm-dev-01: cores 1 → 4', 'vm vm-dev-01: memory 2048 → 8192'],
      },
    ]);

    // pve1 is not in this run; its API settings (and token secret) are still there for vm-dev-01.
    const fix = await site.run(['--limit', 'vm-dev-01']);
    expect(fix.code, summary(fix)).toBe(0);
    expect(new Set(fix.events.filter((e) => e.type === 'task').map((e) => e.host))).toEqual(
      new Set(['vm-dev-01']),
    );
    expect(one('vm-dev-01').config).toMatchObject({ cores: '4', memory: '8192' });
    const writes = site.writes(before);
    expect(writes.map((w) => `${w.method} ${w.path}`)).toEqual(['POST /nodes/pve1/qemu/2001/config']);
    expect(writes[0]!.params).toMatchObject({
      cores: '4',
      memory: '8192',
      digest: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
  });

  it('refuses unsafe changes, naming the VM and the field, and applies one when allowed', async () => {
    const mac = 'BC:24:11:00:00:01';
    site.writeInventory((inv) => {
      const dev = inv.all.children.proxmox_vms.children.dev_vms.hosts;
      dev['vm-dev-03'].vm_mac = mac;
      dev['vm-dev-01'].vm_disk_gb = 32;
    });
    const before = site.sim.requests.length;
    const refused = await site.run(['--limit', 'vm-dev-01,vm-dev-03']);
    expect(refused.code).toBe(2);
    const errors = refused.events
      .filter((e) => e.type === 'task' && e.status === 'failed')
      .map((e) => `${e.host}: ${e.error}`)
      .sort();
    expect(errors).toEqual([
      expect.stringMatching(
        /^vm-dev-01: vm-dev-01: refusing .*scsi0: the disk would shrink from 64G to 32G \(Proxmox VE cannot shrink disks/,
      ),
      expect.stringMatching(
        /^vm-dev-03: vm-dev-03: refusing .*net0: MAC address BC:24:11:[0-9A-F:]+ → BC:24:11:00:00:01 .*vm_allow_unsafe: true for vm-dev-03/,
      ),
    ]);
    expect(site.writes(before)).toEqual([]);

    const allowed = await site.run(['--limit', 'vm-dev-03', '-e', '{"vm_allow_unsafe": true}']);
    expect(allowed.code, summary(allowed)).toBe(0);
    expect(one('vm-dev-03').config.net0).toMatch(new RegExp(`^virtio=${mac},bridge=vmbr0`));

    // A shrink stays refused even when unsafe changes are allowed.
    const shrink = await site.run(['--limit', 'vm-dev-01', '-e', '{"vm_allow_unsafe": true}']);
    expect(shrink.code).toBe(2);
    expect(one('vm-dev-01').config.scsi0).toMatch(/size=64G/);
    site.writeInventory();
  });
});
