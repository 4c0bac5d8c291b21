// kernelModules: the boot files on a real Debian 12 host. A test host has no modprobe and a
// read-only /sys, so `loadNow` is proven with a stand-in modprobe on PATH (it records its calls
// and marks the module loaded in a stand-in folder given as sysModuleRoot): what is proven is
// that the right modprobe calls happen, once, after the files — not that a kernel loads anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  kernelModules,
  modprobeContent,
  modulesLoadContent,
  parseUnloaded,
  type KernelModulesOptions,
} from '../../tasks/system/kernel-module.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';
import { untouchable } from './fixtures/accounts/untouchable.js';

describe('kernelModules, pure parts', () => {
  it('renders the boot file and the modprobe.d file (null when it has nothing to say)', () => {
    expect(modulesLoadContent('vfio', ['vfio', 'vfio_pci'])).toBe(
      '# Managed by NovaStation (kernelModules vfio); changes here are overwritten.\nvfio\nvfio_pci\n',
    );
    expect(
      modprobeContent('vfio', {
        options: { vfio_pci: { ids: '10de:1b80,10de:10f0', disable_vga: 1 } },
        blacklist: ['nouveau'],
      }),
    ).toBe(
      '# Managed by NovaStation (kernelModules vfio); changes here are overwritten.\noptions vfio_pci ids=10de:1b80,10de:10f0 disable_vga=1\nblacklist nouveau\n',
    );
    expect(modprobeContent('vfio', {})).toBeNull();
    expect(parseUnloaded(['a', 'b-c', 'd'], ['loaded 0', 'unloaded 1', 'unloaded 2'])).toEqual(['b-c', 'd']);
  });

  it('refuses bad options before touching the host', () => {
    const refused = (o: unknown, message: RegExp) => {
      expect(() => kernelModules(untouchable, o as KernelModulesOptions)).toThrow(TypeError);
      expect(() => kernelModules(untouchable, o as KernelModulesOptions)).toThrow(message);
    };
    refused(
      { name: 'vfio.conf', modules: ['vfio'] },
      /kernelModules: name must be a file name without ".conf"/,
    );
    refused(
      { name: 'vfio', modules: [] },
      /kernelModules: modules must be a non-empty array of module names/,
    );
    refused(
      { name: 'vfio', modules: ['vfio pci'] },
      /kernelModules: modules\.0 must be a module name \(letters, digits, _ and -\), got "vfio pci"/,
    );
    refused(
      { name: 'vfio', modules: ['vfio'], options: { vfio_pci: {} } },
      /kernelModules: options.vfio_pci must be a non-empty object of parameter → value/,
    );
    refused(
      { name: 'vfio', modules: ['vfio'], options: { vfio_pci: { ids: 'a b' } } },
      /kernelModules: options.vfio_pci.ids must be a number or a string without spaces/,
    );
    refused(
      { name: 'vfio', modules: ['vfio'], options: { vfio_pci: { 'bad-param': 1 } } },
      /kernelModules: options.vfio_pci must have parameter names/,
    );
    refused(
      { name: 'vfio', modules: ['vfio'], blacklist: ['vfio'] },
      /kernelModules: blacklist must not name a module that is also in modules, got "vfio"/,
    );
    refused({ name: 'vfio', modules: ['vfio'], loadNow: 1 }, /kernelModules: loadNow must be true or false/);
    refused(
      { name: 'vfio', modules: ['vfio'], sysModuleRoot: 'sys/module' },
      /kernelModules: sysModuleRoot must be absolute/,
    );
  });
});

describe.skipIf(skipHosts)('kernelModules on a real host', () => {
  let f: HostFixture;
  let name: string;
  const sh = async (cmd: string) => {
    const r = await f.hosts.exec(name, cmd);
    expect(r.exitCode, `${cmd}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  beforeAll(async () => {
    f = await bootFixture(1, 'tkmod');
    name = f.hosts.hosts[0]!.name;
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  const vfio: KernelModulesOptions = {
    name: 'vfio',
    modules: ['vfio', 'vfio_iommu_type1', 'vfio_pci'],
    options: { vfio_pci: { ids: '10de:1b80', disable_vga: 1 } },
    blacklist: ['nouveau'],
  };

  it('writes modules-load.d and modprobe.d files (making the missing folder); idempotent; check mode after drift changes nothing', async () => {
    expect(await sh('test -d /etc/modprobe.d || echo missing')).toBe('missing\n'); // the minimal base has no kmod
    const proof = await proveIdempotent(f, name, (host) => kernelModules(host, vfio), {
      drift: "sed -i 's/ids=10de:1b80/ids=ffff:0000/' /etc/modprobe.d/vfio.conf",
      diffContains: [
        '-options vfio_pci ids=ffff:0000 disable_vga=1',
        '+options vfio_pci ids=10de:1b80 disable_vga=1',
      ],
    });
    expect(proof.first.changes).toEqual([
      'kernelModules vfio: /etc/modules-load.d/vfio.conf state → created',
      'kernelModules vfio: /etc/modprobe.d state → directory created',
      'kernelModules vfio: /etc/modprobe.d/vfio.conf state → created',
    ]);
    expect(
      await sh(
        'grep -v "^#" /etc/modules-load.d/vfio.conf; stat -c "%a %U" /etc/modprobe.d /etc/modprobe.d/vfio.conf',
      ),
    ).toBe('vfio\nvfio_iommu_type1\nvfio_pci\n755 root\n644 root\n');
  });

  it('removes its modprobe.d file when options and blacklist are dropped', async () => {
    const h = hostHandle(f, name);
    try {
      await kernelModules(h, vfio);
      const dropped = await kernelModules(h, {
        name: 'vfio',
        modules: ['vfio', 'vfio_iommu_type1', 'vfio_pci'],
      });
      expect(dropped.changes).toEqual([
        expect.stringMatching(
          /^kernelModules vfio: \/etc\/modprobe\.d\/vfio\.conf state file \(\d+ bytes\) → absent$/,
        ),
      ]);
      expect(
        await sh(
          'test -e /etc/modprobe.d/vfio.conf || echo gone; test -d /etc/modprobe.d && echo folder-kept',
        ),
      ).toBe('gone\nfolder-kept\n');
    } finally {
      await h.close();
    }
  });

  it('loadNow runs modprobe for the modules not loaded, after the files (stand-in modprobe and /sys/module)', async () => {
    // The stand-in records each call with the options file it saw, and marks the module loaded.
    await sh(String.raw`mkdir -p /srv/fake-sys-module/br_netfilter && cat > /usr/local/sbin/modprobe <<'EOF'
#!/bin/sh
[ "$1" = -- ] && shift
echo "modprobe $1 [$(grep -h '^options' /etc/modprobe.d/*.conf 2>/dev/null | tr '\n' ';')]" >> /srv/modprobe.log
mkdir -p "/srv/fake-sys-module/$(echo "$1" | tr - _)"
EOF
chmod 0755 /usr/local/sbin/modprobe`);
    const options: KernelModulesOptions = {
      name: 'bridge',
      modules: ['br_netfilter', 'nf-conntrack'],
      options: { nf_conntrack: { hashsize: 65536 } },
      loadNow: true,
      sysModuleRoot: '/srv/fake-sys-module',
    };
    const proof = await proveIdempotent(f, name, (host) => kernelModules(host, options), {
      drift: 'rm -r /srv/fake-sys-module/nf_conntrack',
      diffContains: ['kernelModules bridge: module nf-conntrack not loaded → loaded'],
    });
    expect(proof.first.changes).toContain('kernelModules bridge: module nf-conntrack not loaded → loaded');
    expect(proof.first.changes?.join('\n')).not.toContain('module br_netfilter'); // already loaded: left alone
    // Exactly one call (the check-mode run made none), and modprobe saw the options already written.
    expect(await sh('cat /srv/modprobe.log')).toBe(
      'modprobe nf-conntrack [options nf_conntrack hashsize=65536;]\n',
    );
  });

  it('takes one round trip to find nothing to do', async () => {
    const h = hostHandle(f, name);
    try {
      expect((await kernelModules(h, vfio)).changed).toBe(true); // the previous test dropped the options
      const before = h.roundTrips;
      expect((await kernelModules(h, vfio)).changed).toBe(false);
      expect(h.roundTrips - before).toBe(1);
    } finally {
      await h.close();
    }
  });
});
