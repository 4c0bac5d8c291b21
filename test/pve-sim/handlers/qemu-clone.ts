/**
 * {vmid}/clone (qmclone) and {vmid}/template (qmtemplate), after qemu-server API2/Qemu.pm
 * clone_vm / template. Clone: early checks in the request (source locked → "VM N is locked (…)";
 * target exists → "unable to create VM N: config file already exists"; storage/format only for
 * full clones); the task then takes the source lock (shared if stopped, exclusive if running) and
 * the target lock, both with a 1 s timeout ("can't lock file '/var/lock/qemu-server/lock-N.conf'
 * - got timeout" fails the task), writes the new config at once with `lock: clone`, copies or
 * links the disks, and removes the lock. Full is the default for VMs, linked for templates.
 * New MACs, a new smbios1 uuid, no `template`, name "Copy-of-VM-<name>" unless given.
 * Template: refused if running ("you can't convert a VM to template if VM is running") or already
 * a template; `template: 1` is written at once, the task renames disks vm-N-disk-K → base-N-disk-K.
 */
import type { SimCore } from '../core.js';
import { die, paramError } from '../http/errors.js';
import type { HandlerContext, Router } from '../router.js';
import {
  addVolume,
  cloudinitVolid,
  isCdrom,
  isCloudinit,
  newDiskVolid,
  parseDrive,
  parseNet,
  printDrive,
  printNet,
} from '../state/drives.js';
import { SimVm } from '../state/model.js';
import { flagSharedIdentity } from '../state/windows-identity.js';
import { bool, checkLock, int, isDriveKey, loadVm, nodeOrDie, randomMac, str, uuid } from './common.js';

function earlyChecks(ctx: HandlerContext, source: SimVm, newid: number) {
  const { sim } = ctx;
  checkLock(source);
  const full = bool(ctx, 'full') ?? !source.template;
  const storage = str(ctx, 'storage');
  if (storage !== undefined && !full) throw die("parameter 'storage' not allowed for linked clones");
  if (str(ctx, 'format') !== undefined && !full)
    throw die("parameter 'format' not allowed for linked clones");
  if (storage !== undefined && !sim.state.storages.has(storage))
    throw die(`storage '${storage}' does not exist`);
  const target = str(ctx, 'target');
  if (target && target !== source.node) {
    nodeOrDie(sim, target);
    throw die(`can't clone VM to node '${target}' (VM uses local storage)`);
  }
  if (sim.state.vms.has(newid)) throw die(`unable to create VM ${newid}: config file already exists`);
  if (!full) {
    for (const [k, v] of Object.entries(source.config)) {
      if (!isDriveKey(k)) continue;
      const d = parseDrive(v);
      if (isCdrom(d)) continue;
      if (!/(^|[:/])base-\d+-disk/.test(d.file))
        throw die(`clone failed: Linked clone feature is not supported for drive '${k}'`);
    }
  }
  return { full, storage };
}

async function cloneDisks(
  sim: SimCore,
  source: SimVm,
  target: SimVm,
  full: boolean,
  storageId: string | undefined,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const now = sim.clock.now();
  for (const k of Object.keys(source.config).sort()) {
    if (!isDriveKey(k)) continue;
    const d = parseDrive(source.config[k]!);
    if (isCdrom(d) && !isCloudinit(d)) continue; // copied as it is
    const srcVol = sim.state.volumes.get(d.file);
    const storage = sim.state.storages.get(storageId ?? d.file.split(':')[0]!)!;
    if (isCloudinit(d)) {
      const volid = cloudinitVolid(storage, target.vmid);
      addVolume(
        sim.state,
        {
          volid,
          storage: storage.id,
          node: target.node,
          content: 'images',
          format: storage.type === 'dir' ? 'qcow2' : 'raw',
          size: 4 * 1024 ** 2,
          vmid: target.vmid,
        },
        now,
      );
      out[k] = printDrive({ file: volid, opts: d.opts });
      continue;
    }
    let volid: string;
    if (full || !srcVol) {
      volid = newDiskVolid(sim.state, storage, target.vmid, storage.type === 'dir' ? 'qcow2' : 'raw').volid;
    } else {
      // lvmthin: base-9000-disk-0/vm-101-disk-0; dir: 9000/base-9000-disk-0.qcow2/101/vm-101-disk-0.qcow2
      const base = d.file.slice(d.file.indexOf(':') + 1);
      const next = newDiskVolid(sim.state, storage, target.vmid).volid.split(':')[1]!;
      volid = `${storage.id}:${base}/${next}`;
    }
    addVolume(
      sim.state,
      {
        volid,
        storage: storage.id,
        node: target.node,
        content: 'images',
        format: srcVol?.format ?? 'raw',
        size: srcVol?.size ?? 0,
        vmid: target.vmid,
        os: srcVol?.os,
        ...(srcVol?.windows ? { windows: { ...srcVol.windows } } : {}),
      },
      now,
    );
    out[k] = printDrive({ file: volid, opts: d.opts });
  }
  return out;
}

export function registerClone(router: Router): void {
  router.add('POST', '/nodes/{node}/qemu/{vmid}/clone', (ctx) => {
    const { sim, user } = ctx;
    const node = nodeOrDie(sim, str(ctx, 'node'));
    const source = loadVm(sim, int(ctx, 'vmid')!, node.name);
    const newid = int(ctx, 'newid')!;
    const { full, storage } = earlyChecks(ctx, source, newid);
    const running = source.status === 'running';
    return sim.tasks.start(node.name, 'qmclone', source.vmid, user, async (t) => {
      await sim.locks.with(
        source.vmid,
        running ? 'exclusive' : 'shared',
        sim.timing.lockTimeoutMs.clone,
        () =>
          sim.locks.with(newid, 'exclusive', sim.timing.lockTimeoutMs.clone, async () => {
            earlyChecks(ctx, source, newid);
            const oldconf = source.config;
            const newconf: Record<string, string> = {};
            for (const [k, v] of Object.entries(oldconf)) {
              if (
                /^unused\d+$/.test(k) ||
                ['snapshots', 'parent', 'snaptime', 'vmstate', 'snapstate', 'template', 'lock'].includes(k)
              )
                continue;
              if (/^net\d+$/.test(k)) {
                const net = parseNet(v);
                net.macaddr = randomMac(); // "always change MAC! address"
                newconf[k] = printNet(net);
              } else newconf[k] = v;
            }
            newconf.smbios1 = [
              ...(oldconf.smbios1 ?? '').split(',').filter((p) => p && !p.startsWith('uuid=')),
              `uuid=${uuid()}`,
            ].join(',');
            if (newconf.vmgenid) newconf.vmgenid = uuid();
            newconf.name = str(ctx, 'name') ?? `Copy-of-VM-${oldconf.name ?? source.vmid}`;
            if (str(ctx, 'description')) newconf.description = str(ctx, 'description')!;
            // The temporary config: the new VMID exists from now on, locked.
            const target = new SimVm(newid, node.name, { lock: 'clone' });
            sim.state.vms.set(newid, target);
            try {
              t.log(`create ${full ? 'full' : 'linked'} clone of drive(s)`);
              await t.work(sim.timing.taskMs * (full ? 2 : 1));
              const drives = await cloneDisks(sim, source, target, full, storage);
              target.config = { ...newconf, ...drives };
              flagSharedIdentity(sim, source, target);
            } catch (e) {
              sim.state.vms.delete(newid);
              for (const [volid, vol] of sim.state.volumes)
                if (vol.vmid === newid) sim.state.volumes.delete(volid);
              throw new Error(`clone failed: ${(e as Error).message}`);
            }
          }),
      );
    });
  });

  router.add('POST', '/nodes/{node}/qemu/{vmid}/template', async (ctx) => {
    const { sim } = ctx;
    const node = nodeOrDie(sim, str(ctx, 'node'));
    const vmid = int(ctx, 'vmid')!;
    const disk = str(ctx, 'disk');
    return sim.locks.with(vmid, 'exclusive', sim.timing.lockTimeoutMs.config, () => {
      const vm = loadVm(sim, vmid, node.name);
      checkLock(vm);
      if (vm.template && !disk) throw die("you can't convert a template to a template");
      if (vm.status === 'running') throw die("you can't convert a VM to template if VM is running");
      if (disk && !vm.config[disk]) throw paramError({ disk: `no such disk '${disk}'` });
      vm.config.template = '1';
      return sim.tasks.start(node.name, 'qmtemplate', vmid, ctx.user, async (t) => {
        await sim.locks.with(vmid, 'exclusive', sim.timing.lockTimeoutMs.config, async () => {
          await t.work(sim.timing.taskMs);
          for (const k of Object.keys(vm.config)) {
            if (!isDriveKey(k) || (disk && k !== disk)) continue;
            const d = parseDrive(vm.config[k]!);
            if (isCdrom(d) || !/(^|[:/])vm-\d+-disk-\d+/.test(d.file)) continue;
            const vol = sim.state.volumes.get(d.file);
            const base = d.file.replace(/(^|[:/])vm-(\d+)-disk/, '$1base-$2-disk');
            if (vol) {
              sim.state.volumes.delete(d.file);
              sim.state.volumes.set(base, { ...vol, volid: base });
            }
            t.log(`  Renamed "vm-${vmid}-disk" to "base-${vmid}-disk" in volume group`);
            vm.config[k] = printDrive({ file: base, opts: d.opts });
          }
        });
      });
    });
  });
}
