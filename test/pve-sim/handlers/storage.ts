/**
 * Storage: list, content, download-url, upload (pve-manager API2/Storage/Status.pm,
 * pve-storage Storage.pm). The file of download-url / upload appears when its task ends.
 * Filenames are checked per content type as PVE does: iso `\.(iso|img)$`, import
 * `\.(ova|qcow2|raw|vmdk)$` (UPLOAD_IMPORT_EXT_RE_1 — so Ubuntu's `.img` must be stored as
 * `.qcow2`), vztmpl `\.tar\.(gz|xz|zst|bz2)$`; else 400 {filename: "wrong file extension"}.
 * Deleting a volume (pve-storage API2/Storage/Content.pm `delete`) is an `imgdel` task whose
 * UPID has no id, guarded by Datastore.Allocate inside the handler (the schema's `permissions`
 * only describes it).
 */
import { die, paramError, permError } from '../http/errors.js';
import type { HandlerContext, Router } from '../router.js';
import { addVolume } from '../state/drives.js';
import type { SimStorage, VolumeOs } from '../state/model.js';
import { int, nodeOrDie, str } from './common.js';

const EXT: Record<string, RegExp> = {
  iso: /[^/]+\.(?:iso|img)$/i,
  import: /[^/]+\.(ova|qcow2|raw|vmdk)$/,
  vztmpl: /[^/]+\.tar\.(gz|xz|zst|bz2)$/i,
};
const DIRS: Record<string, string> = { iso: 'template/iso', import: 'import', vztmpl: 'template/cache' };

function storageOrDie(ctx: HandlerContext): SimStorage {
  const id = str(ctx, 'storage')!;
  const s = ctx.sim.state.storages.get(id);
  if (!s) throw die(`storage '${id}' does not exist`);
  return s;
}

/** Checks shared by download-url and upload; returns the volid the file will get. */
function prepareFile(
  ctx: HandlerContext,
  storage: SimStorage,
  content: string,
  rawName: string,
): { volid: string; format: string } {
  if (!storage.content.includes(content))
    throw die(`storage '${storage.id}' is not configured for content-type '${content}'`);
  // PVE normalizes: characters outside [a-zA-Z0-9-.+=_] become '_'.
  const filename = rawName.replace(/[^a-zA-Z0-9\-.+=_]/g, '_');
  if (!EXT[content]!.test(filename)) throw paramError({ filename: 'wrong file extension' });
  const volid = `${storage.id}:${content === 'import' ? 'import' : content}/${filename}`;
  if (ctx.sim.state.volumes.has(volid))
    throw die(`refusing to override existing file '/var/lib/vz/${DIRS[content]}/${filename}'`);
  const format = content === 'iso' ? 'iso' : content === 'import' ? /\.(\w+)$/.exec(filename)![1]! : 'tgz';
  return { volid, format };
}

/**
 * What an uploaded ISO is, for the guest model: the VirtIO driver disc by its name, otherwise the
 * product's answer-file disc (autounattend.xml). The Windows installer ISO is seeded, not uploaded.
 */
function classifyIso(name: string): VolumeOs {
  return /virtio/i.test(name) ? 'virtio-drivers' : 'answer-file';
}

export function registerStorage(router: Router): void {
  router.add('GET', '/nodes/{node}/storage', (ctx) => {
    const node = nodeOrDie(ctx.sim, str(ctx, 'node'));
    const content = str(ctx, 'content');
    return [...ctx.sim.state.storages.values()]
      .filter((s) => !content || content.split(/[,;\s]+/).every((c) => s.content.includes(c)))
      .filter((s) => !str(ctx, 'storage') || s.id === str(ctx, 'storage'))
      .map((s) => {
        const used = [...ctx.sim.state.volumes.values()]
          .filter((v) => v.storage === s.id && v.node === node.name)
          .reduce((a, v) => a + v.size, 0);
        return {
          storage: s.id,
          type: s.type,
          content: s.content.join(','),
          active: 1,
          enabled: 1,
          shared: s.shared ? 1 : 0,
          total: s.total,
          used,
          avail: s.total - used,
          used_fraction: used / s.total,
        };
      });
  });

  router.add('GET', '/nodes/{node}/storage/{storage}/content', (ctx) => {
    const node = nodeOrDie(ctx.sim, str(ctx, 'node'));
    const storage = storageOrDie(ctx);
    const content = str(ctx, 'content');
    const vmid = int(ctx, 'vmid');
    return [...ctx.sim.state.volumes.values()]
      .filter((v) => v.storage === storage.id && v.node === node.name)
      .filter((v) => !content || v.content === content)
      .filter((v) => vmid === undefined || v.vmid === vmid)
      .map((v) => ({
        volid: v.volid,
        content: v.content,
        format: v.format,
        size: v.size,
        ctime: v.ctime,
        ...(v.vmid ? { vmid: v.vmid } : {}),
      }));
  });

  router.add('POST', '/nodes/{node}/storage/{storage}/download-url', (ctx) => {
    const { sim } = ctx;
    const node = nodeOrDie(sim, str(ctx, 'node'));
    const storage = storageOrDie(ctx);
    const content = str(ctx, 'content')!;
    if (str(ctx, 'compression') && content !== 'iso') throw die(`decompression not supported for ${content}`);
    const { volid, format } = prepareFile(ctx, storage, content, str(ctx, 'filename')!);
    const url = str(ctx, 'url')!;
    const name = volid.split('/').pop()!;
    return sim.tasks.start(node.name, 'download', name, ctx.user, async (t) => {
      t.log(`downloading ${url} to /var/lib/vz/${DIRS[content]}/${name}`);
      await t.work(sim.timing.taskMs * 2);
      const known = sim.state.urls.get(url);
      if (!known) throw new Error(`download failed: 404 Not Found`);
      if (sim.state.volumes.has(volid))
        throw new Error(`refusing to override existing file '/var/lib/vz/${DIRS[content]}/${name}'`);
      t.log('download of ... finished');
      addVolume(
        sim.state,
        {
          volid,
          storage: storage.id,
          node: node.name,
          content: content as 'iso',
          format,
          size: known.size,
          os: known.os,
        },
        sim.clock.now(),
      );
    });
  });

  router.add('DELETE', '/nodes/{node}/storage/{storage}/content/{volume}', (ctx) => {
    const { sim } = ctx;
    const node = nodeOrDie(sim, str(ctx, 'node'));
    const storage = storageOrDie(ctx);
    if (!sim.hasPrivilege(ctx.user, 'Datastore.Allocate'))
      throw permError(`/storage/${storage.id}, Datastore.Allocate`);
    const volume = str(ctx, 'volume')!;
    // The volume may be given whole (`local:iso/x.iso`) or relative to the storage (`iso/x.iso`).
    const volid = volume.includes(':') ? volume : `${storage.id}:${volume}`;
    if (!sim.state.volumes.has(volid)) throw die(`volume '${volid}' does not exist`);
    return sim.tasks.start(node.name, 'imgdel', '', ctx.user, async (t) => {
      await t.work(sim.timing.taskMs);
      sim.state.volumes.delete(volid);
      t.log(`removed volume '${volid}'`);
    });
  });

  router.add('POST', '/nodes/{node}/storage/{storage}/upload', (ctx) => {
    const { sim } = ctx;
    const node = nodeOrDie(sim, str(ctx, 'node'));
    const storage = storageOrDie(ctx);
    const content = str(ctx, 'content')!;
    if (!ctx.upload) throw paramError({ filename: 'missing file upload' });
    const { volid, format } = prepareFile(ctx, storage, content, str(ctx, 'filename')!);
    const name = volid.split('/').pop()!;
    const data = ctx.upload.data;
    return sim.tasks.start(node.name, 'imgcopy', '', ctx.user, async (t) => {
      t.log(`starting file import from: /var/tmp/pveupload-${Date.now().toString(16)}`);
      await t.work(sim.timing.taskMs);
      addVolume(
        sim.state,
        {
          volid,
          storage: storage.id,
          node: node.name,
          content: content as 'iso',
          format,
          size: data.length,
          os: content === 'iso' ? classifyIso(name) : undefined,
          // An answer-file disc's bytes: the Windows model reads its autounattend.xml.
          ...(content === 'iso' && classifyIso(name) === 'answer-file' ? { data } : {}),
        },
        sim.clock.now(),
      );
      t.log(`target file: /var/lib/vz/${DIRS[content]}/${name}`);
    });
  });
}
