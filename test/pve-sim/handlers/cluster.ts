/** /cluster/resources and /cluster/nextid (pve-manager API2/Cluster.pm). */
import { paramError } from '../http/errors.js';
import type { Router } from '../router.js';
import { parseDrive, isCdrom } from '../state/drives.js';
import { int, str } from './common.js';
import type { SimCore } from '../core.js';
import type { SimVm } from '../state/model.js';

export function vmMaxDisk(sim: SimCore, vm: SimVm): number {
  for (const key of ['scsi0', 'virtio0', 'sata0', 'ide0']) {
    const v = vm.config[key];
    if (!v) continue;
    const d = parseDrive(v);
    if (isCdrom(d)) continue;
    return sim.state.volumes.get(d.file)?.size ?? 0;
  }
  return 0;
}

export const vmMem = (vm: SimVm) =>
  Number(/^(?:current=)?(\d+)/.exec(vm.config.memory ?? '512')?.[1] ?? 512) * 1024 * 1024;
export const vmCpus = (vm: SimVm) => Number(vm.config.cores ?? 1) * Number(vm.config.sockets ?? 1);

export function registerCluster(router: Router): void {
  router.add('GET', '/cluster/resources', (ctx) => {
    const { sim } = ctx;
    const type = str(ctx, 'type');
    const out: Record<string, unknown>[] = [];
    if (!type || type === 'vm') {
      for (const vm of sim.state.vms.values()) {
        const running = vm.status === 'running';
        out.push({
          id: `qemu/${vm.vmid}`,
          type: 'qemu',
          vmid: vm.vmid,
          node: vm.node,
          status: vm.status,
          template: vm.template ? 1 : 0,
          maxmem: vmMem(vm),
          maxcpu: vmCpus(vm),
          maxdisk: vmMaxDisk(sim, vm),
          mem: running ? Math.floor(vmMem(vm) / 3) : 0,
          cpu: running ? 0.01 : 0,
          disk: 0,
          uptime: running ? Math.floor((sim.clock.now() - (vm.startedAt ?? sim.clock.now())) / 1000) : 0,
          netin: 0,
          netout: 0,
          diskread: 0,
          diskwrite: 0,
          ...(vm.config.name !== undefined ? { name: vm.config.name } : {}),
          ...(vm.config.lock ? { lock: vm.config.lock } : {}),
          ...(vm.config.tags ? { tags: vm.config.tags } : {}),
        });
      }
    }
    if (!type || type === 'node') {
      for (const n of sim.state.nodes.values()) {
        out.push({
          id: `node/${n.name}`,
          type: 'node',
          node: n.name,
          status: n.online ? 'online' : 'offline',
          level: '',
          'cgroup-mode': 2,
          ...(n.online
            ? {
                cpu: n.cpu,
                maxcpu: n.maxcpu,
                mem: n.mem,
                maxmem: n.maxmem,
                uptime: 86400,
                disk: 12 * 1024 ** 3,
                maxdisk: 100 * 1024 ** 3,
              }
            : {}),
        });
      }
    }
    if (!type || type === 'storage') {
      for (const n of sim.state.nodes.values()) {
        for (const s of sim.state.storages.values()) {
          const used = [...sim.state.volumes.values()]
            .filter((v) => v.storage === s.id && v.node === n.name)
            .reduce((a, v) => a + v.size, 0);
          out.push({
            id: `storage/${n.name}/${s.id}`,
            type: 'storage',
            storage: s.id,
            node: n.name,
            status: 'available',
            content: s.content.join(','),
            plugintype: s.type,
            shared: s.shared ? 1 : 0,
            maxdisk: s.total,
            disk: used,
          });
        }
      }
    }
    return out;
  });

  // nextid never reserves: two callers can get the same id (research notes §2.7).
  // PVE answers the id as a string ({"data":"100"}); clients must accept it.
  router.add('GET', '/cluster/nextid', (ctx) => {
    const { state } = ctx.sim;
    const wanted = int(ctx, 'vmid');
    if (wanted !== undefined) {
      if (state.vms.has(wanted)) throw paramError({ vmid: `VM ${wanted} already exists` });
      return String(wanted);
    }
    for (let i = state.nextIdLower; i <= 999_999_999; i++) if (!state.vms.has(i)) return String(i);
    throw new Error('unable to get any free VMID in range');
  });
}
