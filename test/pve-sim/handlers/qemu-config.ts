/**
 * {vmid}/config GET/PUT/POST, {vmid}/pending, {vmid}/resize (qemu-server API2/Qemu.pm
 * $update_vm_api, vm_config, vm_pending, resize_vm). PUT applies synchronously, POST in a
 * `qmconfig` task; both check under the config lock (10 s): digest ("checksum mismatch (file
 * change by other user?)"), the config lock ("VM N is locked (clone)"). A running VM takes what
 * it can hot-plug at once and keeps the rest pending until it stops or starts (state/hotplug.ts);
 * `revert` drops pending values; GET config shows pending values unless current=1. A replaced or
 * deleted disk stays as `unusedN`.
 */
import type { SimCore } from '../core.js';
import { die, paramError } from '../http/errors.js';
import type { HandlerContext, Router } from '../router.js';
import { resolveParamSchema } from '../schema/params.js';
import { isCdrom, isCloudinit, parseDrive, parseNet, printDrive, printNet } from '../state/drives.js';
import { appliesLive, deletesLive } from '../state/hotplug.js';
import type { SimVm } from '../state/model.js';
import type { TaskContext } from '../state/tasks.js';
import {
  bool,
  checkLock,
  checkSshKeys,
  formatSize,
  int,
  isDriveKey,
  loadVm,
  nodeOrDie,
  parseSize,
  str,
  typedConfig,
  uuid,
} from './common.js';
import { checkDriveParams, createDisks, registerUnused } from './qemu-disks.js';
import { checkConfigPerms } from './qemu-perms.js';
import { vmOptions } from './qemu.js';

function splitList(v: string | undefined): string[] {
  return (v ?? '').split(/[\0;,\s]+/).filter(Boolean);
}

function freeVolume(sim: SimCore, value: string): void {
  const file = parseDrive(value).file;
  sim.state.volumes.delete(file);
}

function apply(
  sim: SimCore,
  vm: SimVm,
  opts: Record<string, string>,
  deletes: string[],
  reverts: string[],
  log: (l: string) => void,
): void {
  const running = vm.status === 'running';
  for (const k of reverts) {
    delete vm.pending[k];
    vm.pendingDelete.delete(k);
  }
  for (const k of deletes) {
    const val = vm.config[k] ?? vm.pending[k];
    if (val === undefined) {
      log(`cannot delete '${k}' - not set in current configuration!`);
      continue;
    }
    if (running && !deletesLive(vm, k)) {
      delete vm.pending[k];
      vm.pendingDelete.add(k);
      continue;
    }
    if (/^unused\d+$/.test(k)) freeVolume(sim, val);
    else if (isDriveKey(k)) {
      const d = parseDrive(val);
      if (isCloudinit(d)) freeVolume(sim, val);
      else registerUnused(vm, val);
    }
    delete vm.config[k];
    delete vm.pending[k];
  }
  for (const [k, v] of Object.entries(opts)) {
    let value = v;
    if (isDriveKey(k)) {
      const existing = vm.config[k];
      const next = parseDrive(v);
      if (existing !== undefined && parseDrive(existing).file === next.file) {
        const size = parseDrive(existing).opts.size;
        if (size && !next.opts.size) next.opts.size = size;
        value = printDrive(next);
      } else {
        value = createDisks(sim, vm, { [k]: v })[k]!;
        if (existing !== undefined) {
          if (isCloudinit(parseDrive(existing))) freeVolume(sim, existing);
          else registerUnused(vm, existing);
        }
      }
    }
    if (running && !appliesLive(vm, k, value)) {
      vm.pending[k] = value;
      vm.pendingDelete.delete(k);
    } else {
      vm.config[k] = value;
      delete vm.pending[k];
      vm.pendingDelete.delete(k);
    }
  }
}

async function updateVm(ctx: HandlerContext, sync: boolean): Promise<string | null> {
  const { sim, user } = ctx;
  const node = nodeOrDie(sim, str(ctx, 'node'));
  const vmid = int(ctx, 'vmid')!;
  const digest = str(ctx, 'digest');
  const skiplock = bool(ctx, 'skiplock');
  if (skiplock && user !== 'root@pam') throw paramError({ skiplock: 'Only root may use this option.' });
  const opts = vmOptions(ctx);
  const deletes = splitList(str(ctx, 'delete')).map((k) => (k === 'cdrom' ? 'ide2' : k));
  const reverts = splitList(str(ctx, 'revert'));
  if (!deletes.length && !reverts.length && !Object.keys(opts).length) throw die('no options specified');
  const schema = sim.schema.match(ctx.path)!.entry.methods[ctx.method]!;
  for (const k of deletes) {
    if (opts[k] !== undefined)
      throw paramError({ delete: `you can't use '-${k}' and -delete ${k}' at the same time` });
    if (!resolveParamSchema(schema, k) || k === 'node' || k === 'vmid')
      throw paramError({ delete: `unknown option '${k}'` });
  }
  checkSshKeys(opts.sshkeys);
  checkDriveParams(sim, opts);
  for (const k of Object.keys(opts)) {
    if (/^net\d+$/.test(k)) opts[k] = printNet(parseNet(opts[k]!));
    if (k === 'vmgenid' && opts[k] === '1') opts[k] = uuid();
  }
  checkConfigPerms(sim, user, vmid, opts, deletes);
  return sim.locks.with(vmid, 'exclusive', sim.timing.lockTimeoutMs.config, async () => {
    const vm = loadVm(sim, vmid, node.name);
    if (digest && digest !== vm.digest()) throw die('checksum mismatch (file change by other user?)');
    if (!skiplock) checkLock(vm);
    if (opts.memory !== undefined || opts.balloon !== undefined) {
      const mem = Number(
        /^(?:current=)?(\d+)/.exec(opts.memory ?? vm.effectiveConfig().memory ?? '512')?.[1],
      );
      const balloon = Number(opts.balloon ?? vm.effectiveConfig().balloon ?? 0);
      if (balloon && balloon > mem)
        throw die('balloon value too large (must be smaller than assigned memory)');
    }
    const params = Object.entries(opts)
      .map(([k, v]) => `-${k} ${k === 'cipassword' ? '<hidden>' : v}`)
      .join(' ');
    if (sync) {
      apply(sim, vm, opts, deletes, reverts, () => {});
      return null;
    }
    return sim.tasks.start(node.name, 'qmconfig', vmid, user, async (t: TaskContext) => {
      t.log(`update VM ${vmid}: ${params}${deletes.length ? ` -delete ${deletes.join(',')}` : ''}`);
      await t.work(sim.timing.taskMs);
      apply(sim, vm, opts, deletes, reverts, (l) => t.log(l));
    });
  });
}

export function registerConfig(router: Router): void {
  router.add('GET', '/nodes/{node}/qemu/{vmid}/config', (ctx) => {
    const vm = loadVm(ctx.sim, int(ctx, 'vmid')!, str(ctx, 'node')!);
    if (str(ctx, 'snapshot')) throw die(`snapshot '${str(ctx, 'snapshot')}' does not exist`);
    const config = bool(ctx, 'current') ? { ...vm.config } : vm.effectiveConfig();
    if (config.cipassword) config.cipassword = '**********';
    return { ...typedConfig(ctx.sim, config), digest: vm.digest() };
  });
  router.add('PUT', '/nodes/{node}/qemu/{vmid}/config', (ctx) => updateVm(ctx, true));
  router.add('POST', '/nodes/{node}/qemu/{vmid}/config', (ctx) => updateVm(ctx, false));
  router.add('GET', '/nodes/{node}/qemu/{vmid}/pending', (ctx) => {
    const vm = loadVm(ctx.sim, int(ctx, 'vmid')!, str(ctx, 'node')!);
    const keys = new Set([...Object.keys(vm.config), ...Object.keys(vm.pending), ...vm.pendingDelete]);
    return [...keys].sort().map((key) => ({
      key,
      ...(vm.config[key] !== undefined
        ? { value: key === 'cipassword' ? '**********' : vm.config[key] }
        : {}),
      ...(vm.pending[key] !== undefined ? { pending: vm.pending[key] } : {}),
      ...(vm.pendingDelete.has(key) ? { delete: 1 } : {}),
    }));
  });

  router.add('PUT', '/nodes/{node}/qemu/{vmid}/resize', async (ctx) => {
    const { sim } = ctx;
    const node = nodeOrDie(sim, str(ctx, 'node'));
    const vmid = int(ctx, 'vmid')!;
    const disk = str(ctx, 'disk')!;
    const sizeStr = str(ctx, 'size')!;
    if (bool(ctx, 'skiplock') && ctx.user !== 'root@pam')
      throw paramError({ skiplock: 'Only root may use this option.' });
    const checked = await sim.locks.with(vmid, 'exclusive', sim.timing.lockTimeoutMs.config, () => {
      const vm = loadVm(sim, vmid, node.name);
      const digest = str(ctx, 'digest');
      if (digest && digest !== vm.digest()) throw die('checksum mismatch (file change by other user?)');
      if (!bool(ctx, 'skiplock')) checkLock(vm);
      const value = vm.config[disk];
      if (!value) throw die(`disk '${disk}' does not exist`);
      const d = parseDrive(value);
      if (isCdrom(d)) throw die("you can't resize a cdrom");
      const vol = sim.state.volumes.get(d.file);
      if (!vol) throw die(`disk '${disk}' has no associated volume`);
      const m = /^(\+)?(\d+(\.\d+)?[KMGT]?)$/.exec(sizeStr)!;
      const requested = parseSize(m[2]!)!;
      const newSize = m[1] ? vol.size + requested : requested;
      if (newSize < vol.size) throw die('shrinking disks is not supported');
      return { vm, vol, d, newSize };
    });
    return sim.tasks.start(node.name, 'resize', vmid, ctx.user, async (t) => {
      await t.work(sim.timing.taskMs);
      const { vm, vol, d, newSize } = checked;
      if (newSize === vol.size) return;
      t.log(`Size of logical volume changed from ${formatSize(vol.size)} to ${formatSize(newSize)}.`);
      vol.size = newSize;
      vm.config[disk] = printDrive({ file: d.file, opts: { ...d.opts, size: formatSize(newSize) } });
    });
  });
}
