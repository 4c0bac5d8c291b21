/**
 * /nodes/{node}/qemu: list, create (qmcreate), destroy (qmdestroy) and status/current, after
 * qemu-server API2/Qemu.pm create_vm / destroy_vm / vm_status. Create takes the config lock
 * (5 s) and writes `lock: create` at once, synchronously: an existing VMID fails with
 * "unable to create VM N - VM N already exists on node 'pve1'"; the disks are made in the task.
 */
import { die, paramError, permError } from '../http/errors.js';
import type { HandlerContext, Router } from '../router.js';
import { parseDrive, parseNet, printNet } from '../state/drives.js';
import { SimVm } from '../state/model.js';
import { bool, checkLock, checkSshKeys, int, loadVm, nodeOrDie, str, uuid } from './common.js';
import { vmCpus, vmMaxDisk, vmMem } from './cluster.js';
import { API_ONLY, checkConfigPerms } from './qemu-perms.js';
import { checkDriveParams, createDisks } from './qemu-disks.js';
import { startVm } from './qemu-power.js';

/** The VM options of a create/update request: everything but the API's own parameters. */
export function vmOptions(ctx: HandlerContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.params))
    if (!API_ONLY.has(k)) out[k] = Array.isArray(v) ? v.join('\0') : v;
  if (out.cdrom !== undefined) {
    out.ide2 = /media=/.test(out.cdrom) ? out.cdrom : `${out.cdrom},media=cdrom`;
    delete out.cdrom;
  }
  return out;
}

const WINDOWS = /^(wxp|w2k|w2k3|w2k8|wvista|win7|win8|win10|win11)$/;
/** QEMU 10.1 in PVE 9.1: Windows guests get their machine version pinned on create. */
export function pinMachine(machine: string | undefined, ostype: string | undefined): string | undefined {
  if (!ostype || !WINDOWS.test(ostype)) return machine;
  const parts = (machine ?? '').split(',');
  const type = parts[0]!.replace(/^type=/, '');
  if (type && !/^(pc|q35)$/.test(type)) return machine;
  parts[0] = type === 'q35' ? 'pc-q35-10.1+pve0' : 'pc-i440fx-10.1+pve0';
  return parts.join(',');
}

export function defaultBoot(config: Record<string, string>): string {
  const keys = Object.keys(config).filter((k) => /^(ide|sata|scsi|virtio)\d+$/.test(k));
  const order = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
  const disks = keys.filter((k) => parseDrive(config[k]!).opts.media !== 'cdrom').sort(order);
  const cdroms = keys.filter((k) => parseDrive(config[k]!).opts.media === 'cdrom').sort(order);
  const nets = Object.keys(config)
    .filter((k) => /^net\d+$/.test(k))
    .sort(order);
  return `order=${[...disks.slice(0, 1), ...cdroms, ...nets].join(';')}`;
}

export function registerQemu(router: Router): void {
  router.add('GET', '/nodes/{node}/qemu', (ctx) => {
    const node = nodeOrDie(ctx.sim, str(ctx, 'node'));
    return [...ctx.sim.state.vms.values()]
      .filter((vm) => vm.node === node.name)
      .map((vm) => ({
        vmid: vm.vmid,
        status: vm.status,
        cpus: vmCpus(vm),
        maxmem: vmMem(vm),
        maxdisk: vmMaxDisk(ctx.sim, vm),
        uptime: vm.status === 'running' ? Math.floor((ctx.sim.clock.now() - (vm.startedAt ?? 0)) / 1000) : 0,
        ...(vm.config.name ? { name: vm.config.name } : {}),
        ...(vm.template ? { template: 1 } : {}),
        ...(vm.config.lock ? { lock: vm.config.lock } : {}),
        ...(vm.config.tags ? { tags: vm.config.tags } : {}),
      }));
  });

  router.add('POST', '/nodes/{node}/qemu', async (ctx) => {
    const { sim, user } = ctx;
    const node = nodeOrDie(sim, str(ctx, 'node'));
    const vmid = int(ctx, 'vmid')!;
    const storage = str(ctx, 'storage');
    if (!sim.hasPrivilege(user, 'VM.Allocate')) throw permError(`/vms/${vmid}, VM.Allocate`);
    const opts = vmOptions(ctx);
    checkSshKeys(opts.sshkeys);
    checkDriveParams(sim, opts, storage);
    checkConfigPerms(sim, user, vmid, opts, []);
    for (const k of Object.keys(opts)) if (/^net\d+$/.test(k)) opts[k] = printNet(parseNet(opts[k]!));
    const emsg = `unable to create VM ${vmid} -`;
    try {
      await sim.locks.with(vmid, 'exclusive', sim.timing.lockTimeoutMs.create, () => {
        const other = sim.state.vm(vmid);
        if (other) throw die(`VM ${vmid} already exists on node '${other.node}'`);
        sim.state.vms.set(vmid, new SimVm(vmid, node.name, { lock: 'create' }));
      });
    } catch (e) {
      throw die(`${emsg} ${(e as Error).message}`);
    }
    const vm = sim.state.vm(vmid)!;
    const start = bool(ctx, 'start');
    return sim.tasks.start(node.name, 'qmcreate', vmid, user, async (t) => {
      try {
        await sim.locks.with(vmid, 'exclusive', sim.timing.lockTimeoutMs.clone, async () => {
          await t.work(sim.timing.taskMs);
          const created = createDisks(sim, vm, opts, storage);
          for (const [k, v] of Object.entries(created)) t.log(`${k}: successfully created disk '${v}'`);
          const config: Record<string, string> = { ...opts, ...created };
          config.boot ??= defaultBoot(config);
          config.smbios1 ??= `uuid=${uuid()}`;
          if (!config.vmgenid || config.vmgenid === '1') config.vmgenid = uuid();
          config.meta = `creation-qemu=10.1.2,ctime=${sim.clock.epoch()}`;
          const pinned = pinMachine(config.machine, config.ostype);
          if (pinned && pinned !== config.machine) {
            t.log(`pinning machine type to '${pinned}' for Windows guest OS`);
            config.machine = pinned;
          }
          vm.config = config;
        });
      } catch (e) {
        sim.state.vms.delete(vmid);
        for (const [volid, vol] of sim.state.volumes) if (vol.vmid === vmid) sim.state.volumes.delete(volid);
        throw new Error(`${emsg} ${(e as Error).message}`);
      }
      if (start) {
        t.log('Execute autostart');
        await startVm(sim, vm, t);
      }
    });
  });

  router.add('GET', '/nodes/{node}/qemu/{vmid}', (ctx) => {
    loadVm(ctx.sim, int(ctx, 'vmid')!, str(ctx, 'node')!);
    return ['config', 'pending', 'status', 'resize', 'agent', 'clone', 'template'].map((subdir) => ({
      subdir,
    }));
  });

  router.add('DELETE', '/nodes/{node}/qemu/{vmid}', (ctx) => {
    const { sim } = ctx;
    const node = nodeOrDie(sim, str(ctx, 'node'));
    const vmid = int(ctx, 'vmid')!;
    if (bool(ctx, 'skiplock') && ctx.user !== 'root@pam')
      throw paramError({ skiplock: 'Only root may use this option.' });
    const early = () => {
      const vm = loadVm(sim, vmid, node.name);
      if (vm.config.protection === '1') throw die(`can't remove VM ${vmid} - protection mode enabled`);
      if (vm.status === 'running') throw die(`VM ${vmid} is running - destroy failed`);
      return vm;
    };
    early();
    return sim.tasks.start(node.name, 'qmdestroy', vmid, ctx.user, async (t) => {
      await sim.locks.with(vmid, 'exclusive', sim.timing.lockTimeoutMs.config, async () => {
        const vm = early();
        checkLock(vm);
        const linked = [...sim.state.volumes.keys()].find((id) =>
          new RegExp(`base-${vmid}-disk-\\d+[^/]*/`).test(id),
        );
        if (linked) throw new Error(`base volume '${linked.split('/')[0]}' is still in use by linked cloned`);
        await t.work(sim.timing.taskMs);
        for (const [volid, vol] of sim.state.volumes) {
          if (vol.vmid === vmid) {
            t.log(`Removing image: 100% complete...done.`);
            sim.state.volumes.delete(volid);
          }
        }
        sim.state.vms.delete(vmid);
        t.log(`purging VM ${vmid} from related configurations..`);
      });
    });
  });

  router.add('GET', '/nodes/{node}/qemu/{vmid}/status/current', (ctx) => {
    const vm = loadVm(ctx.sim, int(ctx, 'vmid')!, str(ctx, 'node')!);
    const running = vm.status === 'running';
    return {
      vmid: vm.vmid,
      status: vm.status,
      qmpstatus: vm.status,
      cpus: vmCpus(vm),
      maxmem: vmMem(vm),
      maxdisk: vmMaxDisk(ctx.sim, vm),
      mem: running ? Math.floor(vmMem(vm) / 3) : 0,
      cpu: running ? 0.01 : 0,
      disk: 0,
      netin: 0,
      netout: 0,
      diskread: 0,
      diskwrite: 0,
      uptime: running ? Math.floor((ctx.sim.clock.now() - (vm.startedAt ?? 0)) / 1000) : 0,
      ha: { managed: 0 },
      ...(vm.config.name ? { name: vm.config.name } : {}),
      ...(vm.template ? { template: 1 } : {}),
      ...(vm.config.lock ? { lock: vm.config.lock } : {}),
      ...(/^(1|enabled=1)/.test(vm.config.agent ?? '') ? { agent: 1 } : {}),
      ...(running
        ? {
            pid: 10000 + vm.vmid,
            'running-machine': vm.config.machine ?? 'pc-i440fx-10.1+pve0',
            'running-qemu': '10.1.2',
          }
        : {}),
    };
  });
}
