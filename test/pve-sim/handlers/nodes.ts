/** /nodes, /nodes/{node}/status and /nodes/{node}/hardware/pci (pve-manager API2/Nodes.pm, Hardware/PCI.pm). */
import type { SimCore } from '../core.js';
import type { Router } from '../router.js';
import { GiB, nodeOrDie, str } from './common.js';

export function registerNodes(router: Router, fingerprint: string): void {
  router.add('GET', '/nodes', ({ sim }) =>
    [...sim.state.nodes.values()].map((n) => ({
      node: n.name,
      id: `node/${n.name}`,
      type: 'node',
      status: n.online ? 'online' : 'offline',
      level: '',
      ssl_fingerprint: fingerprint,
      ...(n.online
        ? { cpu: n.cpu, maxcpu: n.maxcpu, mem: usedMem(sim, n.name, n.mem), maxmem: n.maxmem, uptime: 86400 }
        : {}),
    })),
  );
  router.add('GET', '/nodes/{node}', (ctx) => {
    nodeOrDie(ctx.sim, str(ctx, 'node'));
    return ['qemu', 'storage', 'tasks', 'hardware', 'status', 'version'].map((name) => ({ name }));
  });
  router.add('GET', '/nodes/{node}/status', (ctx) => {
    const n = nodeOrDie(ctx.sim, str(ctx, 'node'));
    const used = usedMem(ctx.sim, n.name, n.mem);
    return {
      cpu: n.cpu,
      wait: 0,
      uptime: 86400,
      loadavg: ['0.12', '0.20', '0.25'],
      memory: { total: n.maxmem, used, free: n.maxmem - used, available: n.maxmem - used },
      swap: { total: 8 * GiB, used: 0, free: 8 * GiB },
      rootfs: { total: 100 * GiB, used: 12 * GiB, free: 88 * GiB, avail: 83 * GiB },
      cpuinfo: {
        cpus: n.maxcpu,
        cores: 16,
        sockets: 1,
        model: '12th Gen Intel(R) Core(TM) i9-12900K',
        mhz: '3200.000',
        hvm: '1',
        user_hz: 100,
        flags: 'vmx',
      },
      'boot-info': { mode: 'efi', secureboot: 0 },
      'current-kernel': {
        sysname: 'Linux',
        release: '6.17.2-1-pve',
        machine: 'x86_64',
        version: '#1 SMP PREEMPT_DYNAMIC PMX 6.17.2-1',
      },
      kversion: 'Linux 6.17.2-1-pve #1 SMP PREEMPT_DYNAMIC PMX 6.17.2-1',
      pveversion: 'pve-manager/9.1.3/ec9a5f0b',
      ksm: { shared: 0 },
    };
  });
  router.add('GET', '/nodes/{node}/hardware/pci', (ctx) => {
    const n = nodeOrDie(ctx.sim, str(ctx, 'node'));
    // Default blacklist "05;06;0b": class prefixes (memory controllers, bridges, processors).
    const blacklist = (str(ctx, 'pci-class-blacklist') ?? '05;06;0b').split(/[;,\s]+/).filter(Boolean);
    const verbose = str(ctx, 'verbose') !== '0';
    return n.pci
      .filter((d) => !blacklist.some((b) => d.class.replace(/^0x/, '').startsWith(b)))
      .map((d) =>
        verbose
          ? { ...d }
          : {
              id: d.id,
              class: d.class,
              vendor: d.vendor,
              device: d.device,
              iommugroup: d.iommugroup,
              subsystem_vendor: d.subsystem_vendor,
              subsystem_device: d.subsystem_device,
            },
      );
  });
}

function usedMem(sim: SimCore, node: string, base: number): number {
  let used = base;
  for (const vm of sim.state.vms.values()) {
    if (vm.node === node && vm.status === 'running')
      used += Number(/^(?:current=)?(\d+)/.exec(vm.config.memory ?? '512')?.[1] ?? 512) * 1024 * 1024;
  }
  return used;
}
