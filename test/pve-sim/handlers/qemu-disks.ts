/**
 * Disk parameters of create and config updates, as qemu-server API2/Qemu.pm does them:
 * `checkDriveParams` is $check_drive_param + $check_storage_access (synchronous, 400/500 before
 * any task), `createDisks` is create_disks (inside the task): `<storage>:<GiB>` allocates
 * `vm-N-disk-K`, `<storage>:0,import-from=<volid>` copies an `images`/`import` volume,
 * `<storage>:cloudinit` makes `vm-N-cloudinit` (media=cdrom), efidisk0 / tpmstate0 get their
 * fixed sizes, an existing volume gets its `size`.
 */
import type { SimCore } from '../core.js';
import { die, paramError } from '../http/errors.js';
import { NEW_DISK_RE } from '../schema/formats.js';
import {
  addVolume,
  cloudinitVolid,
  isCdrom,
  newDiskVolid,
  parseDrive,
  printDrive,
  isCloudinit,
} from '../state/drives.js';
import type { SimVm } from '../state/model.js';
import { formatSize, GiB, isDriveKey, MiB } from './common.js';

const volStorage = (volid: string) => /^([a-z][a-z0-9\-_.]*[a-z0-9]):/i.exec(volid)?.[1];

export function checkDriveParams(
  sim: SimCore,
  params: Record<string, string>,
  defaultStorage?: string,
): void {
  for (const key of Object.keys(params).sort()) {
    if (!isDriveKey(key)) continue;
    const d = parseDrive(params[key]!);
    const src = d.opts['import-from'];
    if (src !== undefined) {
      const m = NEW_DISK_RE.exec(d.file);
      if (!m || Number(m[3]) !== 0)
        throw paramError({
          [key]: "'import-from' requires special syntax - use <storage ID>:0,import-from=<source>",
        });
      if (key === 'efidisk0') {
        for (const r of ['efitype', 'pre-enrolled-keys'])
          if (d.opts[r] === undefined)
            throw paramError({ [key]: `need to specify '${r}' when using 'import-from'` });
      }
      if (key === 'tpmstate0' && d.opts.version === undefined)
        throw paramError({ [key]: "need to specify 'version' when using 'import-from'" });
      const srcStorage = volStorage(src);
      if (srcStorage) {
        if (!sim.state.storages.has(srcStorage)) throw die(`storage '${srcStorage}' does not exist`);
        const vol = sim.state.volumes.get(src);
        if (!vol) throw die(`volume '${src}' does not exist`);
        if (vol.content !== 'images' && vol.content !== 'import')
          throw paramError({
            [key]: `${src} has wrong type '${vol.content}' - needs to be 'images' or 'import'`,
          });
      } else if (!src.startsWith('/')) throw die(`unable to parse volume ID '${src}'`);
    }
    if (d.file === 'none' || d.file === 'cdrom' || d.file.startsWith('/')) continue;
    const alloc = NEW_DISK_RE.exec(d.file);
    if (alloc && !isCdrom(d)) {
      const storeid = alloc[2] ?? defaultStorage;
      if (!storeid) throw die('no storage ID specified (and no default storage)');
      const s = sim.state.storages.get(storeid);
      if (!s) throw die(`storage '${storeid}' does not exist`);
      if (!s.content.includes('images'))
        throw paramError({ storage: `storage '${storeid}' does not support vm images` });
      continue;
    }
    const storeid = volStorage(d.file);
    if (storeid && !sim.state.storages.has(storeid)) throw die(`storage '${storeid}' does not exist`);
    if (/:cloudinit$/.test(d.file)) continue;
    const vol = sim.state.volumes.get(d.file);
    if (vol?.content === 'iso' && d.opts.media !== 'cdrom')
      throw paramError({ [key]: "explicit 'media=cdrom' is required for iso images" });
  }
}

/** Creates the volumes for the drive keys of `params`; returns the printed config values. */
export function createDisks(
  sim: SimCore,
  vm: SimVm,
  params: Record<string, string>,
  defaultStorage?: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  const { state } = sim;
  const now = sim.clock.now();
  const template = vm.template;
  const owned = (volid: string) =>
    template ? volid.replace(/(^|[:/])vm-(\d+)-disk/, '$1base-$2-disk') : volid;
  for (const key of Object.keys(params).sort()) {
    if (!isDriveKey(key)) continue;
    const d = parseDrive(params[key]!);
    if (d.file === 'none' || d.file === 'cdrom' || d.file.startsWith('/')) {
      delete d.opts.size;
      out[key] = printDrive(d);
      continue;
    }
    if (/:cloudinit$/.test(d.file)) {
      const storeid = volStorage(d.file) ?? defaultStorage!;
      const existing = Object.entries({ ...vm.config, ...out }).find(
        ([k, v]) => k !== key && isDriveKey(k) && isCloudinit(parseDrive(v)),
      );
      if (existing) throw new Error(`${key} - cloud-init drive is already attached at '${existing[0]}'`);
      const storage = state.storages.get(storeid)!;
      const volid = cloudinitVolid(storage, vm.vmid);
      if (state.volumes.has(volid)) throw new Error(`volume '${volid}' already exists`);
      addVolume(
        state,
        {
          volid,
          storage: storeid,
          node: vm.node,
          content: 'images',
          format: storage.type === 'dir' ? 'qcow2' : 'raw',
          size: 4 * MiB,
          vmid: vm.vmid,
        },
        now,
      );
      out[key] = printDrive({ file: volid, opts: { ...d.opts, media: 'cdrom' } });
      continue;
    }
    const alloc = NEW_DISK_RE.exec(d.file);
    if (alloc && !isCdrom(d)) {
      const storage = state.storages.get(alloc[2] ?? defaultStorage!)!;
      let size = Math.floor(Number(alloc[3]) * GiB);
      let os;
      const src = d.opts['import-from'];
      delete d.opts['import-from'];
      if (src) {
        const vol = state.volumes.get(src);
        if (!vol) throw new Error(`cannot import from '${src}' - volume '${src}' does not exist`);
        size = vol.size;
        os = vol.os;
      }
      if (key === 'efidisk0') size = storage.type === 'dir' ? 528 * 1024 : 4 * MiB;
      if (key === 'tpmstate0') size = 4 * MiB;
      const fmt = key === 'tpmstate0' ? 'raw' : d.opts.format;
      delete d.opts.format;
      const { volid, format } = newDiskVolid(state, storage, vm.vmid, fmt);
      const finalId = owned(volid);
      addVolume(
        state,
        {
          volid: finalId,
          storage: storage.id,
          node: vm.node,
          content: 'images',
          format,
          size,
          vmid: vm.vmid,
          os,
        },
        now,
      );
      out[key] = printDrive({ file: finalId, opts: { ...d.opts, size: formatSize(size) } });
      continue;
    }
    const vol = state.volumes.get(d.file);
    if (!vol) throw new Error(`volume ${d.file} does not exist`);
    out[key] = printDrive({ file: d.file, opts: { ...d.opts, size: formatSize(vol.size) } });
  }
  return out;
}

/** vmconfig_register_unused_drive: a replaced or deleted disk volume is kept as unusedN. */
export function registerUnused(vm: SimVm, value: string | undefined): void {
  if (!value) return;
  const d = parseDrive(value);
  if (isCdrom(d) || isCloudinit(d) || !d.file.includes(':')) return;
  if (Object.entries(vm.config).some(([k, v]) => /^unused\d+$/.test(k) && v === d.file)) return;
  for (let i = 0; ; i++) {
    if (vm.config[`unused${i}`] === undefined) {
      vm.config[`unused${i}`] = d.file;
      return;
    }
  }
}
