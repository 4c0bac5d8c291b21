// sysctl: the file and the live values. /proc/sys is read-only in a test host (and must stay so:
// most keys are the machine's own), so live WRITES are proven against a stand-in folder given as
// procRoot, while live READS and the read-only failure are proven against the real /proc/sys.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFilesProbe } from '../../tasks/files/file-parts.js';
import {
  keyPath,
  liveWriteError,
  normalizeValue,
  parseLiveProbe,
  planLive,
  sysctl,
  sysctlFileContent,
  type SysctlOptions,
} from '../../tasks/system/sysctl.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';
import { untouchable } from './fixtures/accounts/untouchable.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/accounts/${name}`, import.meta.url), 'utf8');

describe('sysctl, pure parts', () => {
  it('maps keys to /proc/sys paths and compares values whitespace-insensitively', () => {
    expect(keyPath('net.ipv4.ip_forward')).toBe('net/ipv4/ip_forward');
    expect(keyPath('net/ipv4/conf/eth0.10/forwarding')).toBe('net/ipv4/conf/eth0.10/forwarding');
    expect(normalizeValue(' 32768\t60999 ')).toBe('32768 60999');
    expect(
      sysctlFileContent('60-net', {
        'net.ipv4.ip_forward': 1,
        'net.ipv4.ip_local_port_range': '10000  65000',
      }),
    ).toBe(
      '# Managed by NovaStation (sysctl 60-net); changes here are overwritten.\nnet.ipv4.ip_forward = 1\nnet.ipv4.ip_local_port_range = 10000 65000\n',
    );
  });

  it('parses live values captured from a test host (file probe and live reads in one output)', () => {
    const keys = ['kernel.hostname', 'net.ipv4.ip_local_port_range', 'net.nosuch.key', 'kernel.sched_domain'];
    const probe = parseFilesProbe(['/etc/sysctl.d/99-sysctl.conf'], fixture('sysctl-live.txt'));
    expect(probe.probes[0]?.stat?.type).toBe('symlink');
    const live = parseLiveProbe(keys, [...probe.tail, 'live-error 3 cat: Permission denied']);
    expect(live).toEqual([
      { value: 'uscr1' },
      { value: '32768 60999' },
      { missing: true },
      { error: 'cat: Permission denied' },
    ]);
    expect(
      planLive(
        {
          'kernel.hostname': 'uscr1',
          'net.ipv4.ip_local_port_range': '32768 60999',
          'net.nosuch.key': 1,
          'kernel.sched_domain': 2,
        },
        live,
      ),
    ).toEqual([
      { kind: 'live', key: 'net.nosuch.key', field: 'live net.nosuch.key', from: '(no such key)', to: '1' },
      {
        kind: 'live',
        key: 'kernel.sched_domain',
        field: 'live kernel.sched_domain',
        from: '(unreadable: cat: Permission denied)',
        to: '2',
      },
    ]);
  });

  it('names each key that did not take, and why', () => {
    const settings = { 'net.ipv4.ip_forward': 1, 'vm.swappiness': 10 };
    const e = liveWriteError(
      '60-x',
      '/etc/sysctl.d/60-x.conf',
      settings,
      'fail 0 sh: 1: cannot create /proc/sys/net/ipv4/ip_forward: Read-only file system\nkept 1 60\n',
      '',
    );
    expect(e.message).toBe(
      'sysctl 60-x: live values not set:\n  net.ipv4.ip_forward: sh: 1: cannot create /proc/sys/net/ipv4/ip_forward: Read-only file system\n  vm.swappiness: the kernel kept 60\n' +
        '(/proc/sys is read-only here, as in a container: /etc/sysctl.d/60-x.conf is in place and applies at boot; use live: false to manage only the file)',
    );
  });

  it('refuses bad options before touching the host', () => {
    const refused = (o: unknown, message: RegExp) => {
      expect(() => sysctl(untouchable, o as SysctlOptions)).toThrow(TypeError);
      expect(() => sysctl(untouchable, o as SysctlOptions)).toThrow(message);
    };
    refused({ name: '60-net.conf', settings: { a: 1 } }, /sysctl: name must be a file name without ".conf"/);
    refused({ name: '../x', settings: { a: 1 } }, /sysctl: name must be a file name/);
    refused({ name: '60-net', settings: {} }, /sysctl: settings must be a non-empty object of key → value/);
    refused(
      { name: '60-net', settings: { 'net..ipv4': 1 } },
      /sysctl: settings key must be a sysctl key like "net.ipv4.ip_forward", got "net..ipv4"/,
    );
    refused(
      { name: '60-net', settings: { 'net/../../etc/passwd': 1 } },
      /sysctl: settings key must be a sysctl key/,
    );
    refused(
      { name: '60-net', settings: { '-net.ipv4.ip_forward': 1 } },
      /sysctl: settings key must be a sysctl key/,
    );
    refused(
      { name: '60-net', settings: { 'vm.swappiness': '10\nkernel.x = 1' } },
      /sysctl: settings\.vm\.swappiness must be a number or a non-empty one-line string/,
    );
    refused(
      { name: '60-net', settings: { 'vm.swappiness': true } },
      /must be a number or a non-empty one-line string, got true/,
    );
    refused(
      { name: '60-net', settings: { 'vm.swappiness': 10 }, procRoot: 'proc/sys' },
      /sysctl: procRoot must be absolute/,
    );
    refused(
      { name: '60-net', settings: { 'vm.swappiness': 10 }, live: 'yes' },
      /sysctl: live must be true or false/,
    );
  });
});

describe.skipIf(skipHosts)('sysctl on a real host', () => {
  let f: HostFixture;
  let name: string;
  const sh = async (cmd: string) => {
    const r = await f.hosts.exec(name, cmd);
    expect(r.exitCode, `${cmd}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  // The stand-in lives under /srv (not /run), so the snapshot check of check mode covers it too.
  const fake = '/srv/fake-proc-sys';
  beforeAll(async () => {
    f = await bootFixture(1, 'tsysctl');
    name = f.hosts.hosts[0]!.name;
    await sh(
      `mkdir -p ${fake}/net/ipv4 ${fake}/vm && echo 0 > ${fake}/net/ipv4/ip_forward && printf '32768\\t60999\\n' > ${fake}/net/ipv4/ip_local_port_range && echo 60 > ${fake}/vm/swappiness`,
    );
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  const settings = {
    'net.ipv4.ip_forward': 1,
    'net.ipv4.ip_local_port_range': '10000 65000',
    'vm.swappiness': 10,
  };

  it('writes the file and the live values (stand-in procRoot); idempotent; check mode after drift changes nothing', async () => {
    const proof = await proveIdempotent(
      f,
      name,
      (host) => sysctl(host, { name: '60-net', settings, procRoot: fake }),
      {
        drift: `echo 0 > ${fake}/net/ipv4/ip_forward && sed -i 's/swappiness = 10/swappiness = 30/' /etc/sysctl.d/60-net.conf`,
        diffContains: ['-vm.swappiness = 30', '+vm.swappiness = 10', 'live net.ipv4.ip_forward 0 → 1'],
      },
    );
    expect(proof.first.changes).toEqual([
      'sysctl 60-net: /etc/sysctl.d/60-net.conf state → created',
      'sysctl 60-net: live net.ipv4.ip_forward 0 → 1',
      'sysctl 60-net: live net.ipv4.ip_local_port_range 32768 60999 → 10000 65000',
      'sysctl 60-net: live vm.swappiness 60 → 10',
    ]);
    expect(await sh(`cat ${fake}/net/ipv4/ip_forward ${fake}/vm/swappiness`)).toBe('0\n10\n'); // drift kept by check mode
    const h = hostHandle(f, name);
    try {
      const fixed = await sysctl(h, { name: '60-net', settings, procRoot: fake });
      expect(fixed.changes).toHaveLength(2);
      expect(fixed.changes?.[0]).toMatch(
        /^sysctl 60-net: \/etc\/sysctl\.d\/60-net\.conf content sha256:\w+ → sha256:\w+$/,
      );
      expect(fixed.changes?.[1]).toBe('sysctl 60-net: live net.ipv4.ip_forward 0 → 1');
    } finally {
      await h.close();
    }
    expect(
      await sh(
        `cat ${fake}/net/ipv4/ip_forward ${fake}/net/ipv4/ip_local_port_range; stat -c '%a %U' /etc/sysctl.d/60-net.conf; grep -v '^#' /etc/sysctl.d/60-net.conf`,
      ),
    ).toBe(
      '1\n10000 65000\n644 root\nnet.ipv4.ip_forward = 1\nnet.ipv4.ip_local_port_range = 10000 65000\nvm.swappiness = 10\n',
    );
    // systemd-sysctl, which applies the folder at boot, reads the file as we meant it. Only net.*
    // keys (--prefix): they are per network namespace, so even a writable /proc/sys would only
    // see the test host's own; here the writes fail (read-only) and are ignored by design.
    const boot = await sh(
      'SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=debug /lib/systemd/systemd-sysctl --prefix=net. /etc/sysctl.d/60-net.conf 2>&1',
    );
    expect(boot).toContain('Parsing /etc/sysctl.d/60-net.conf');
    expect(boot).toContain("Setting '/proc/sys/net/ipv4/ip_local_port_range' to '10000 65000'");
    expect(boot).not.toContain('vm/swappiness');
  });

  it('reads live values from the real /proc/sys: a matching value is no change', async () => {
    const hostname = (await sh('cat /proc/sys/kernel/hostname')).trim();
    const forward = (await sh('cat /proc/sys/net/ipv4/ip_forward')).trim();
    const proof = await proveIdempotent(
      f,
      name,
      (host) =>
        sysctl(host, {
          name: '50-same',
          settings: { 'kernel.hostname': hostname, 'net.ipv4.ip_forward': forward },
        }),
      {
        drift: 'rm /etc/sysctl.d/50-same.conf',
        diffContains: ['/etc/sysctl.d/50-same.conf state → created'],
      },
    );
    // Only the file: both live values were read from /proc/sys and matched.
    expect(proof.first.changes).toEqual(['sysctl 50-same: /etc/sysctl.d/50-same.conf state → created']);
  });

  it('reports a needed live change in check mode, and fails clearly where /proc/sys is read-only (the file is still written)', async () => {
    const forward = (await sh('cat /proc/sys/net/ipv4/ip_forward')).trim();
    const other = forward === '1' ? '0' : '1';
    const options = { name: '70-forward', settings: { 'net.ipv4.ip_forward': other } };
    const check = hostHandle(f, name, true);
    const h = hostHandle(f, name);
    try {
      const before = await f.hosts.snapshotUpper(name);
      expect((await sysctl(check, options)).changes).toEqual([
        'sysctl 70-forward: /etc/sysctl.d/70-forward.conf state → created',
        `sysctl 70-forward: live net.ipv4.ip_forward ${forward} → ${other}`,
      ]);
      expect(await f.hosts.snapshotUpper(name)).toBe(before);
      await expect(sysctl(h, options)).rejects.toThrow(
        /sysctl 70-forward: live value not set:\n {2}net\.ipv4\.ip_forward: .*Read-only file system\n\(\/proc\/sys is read-only here.*\/etc\/sysctl\.d\/70-forward\.conf is in place/,
      );
      expect(await sh('cat /proc/sys/net/ipv4/ip_forward; grep -v "^#" /etc/sysctl.d/70-forward.conf')).toBe(
        `${forward}\nnet.ipv4.ip_forward = ${other}\n`,
      );
      // Not silently ignored on the next run either.
      await expect(sysctl(h, options)).rejects.toThrow(/Read-only file system/);
      // live: false manages only the file.
      expect((await sysctl(h, { ...options, live: false })).changed).toBe(false);
    } finally {
      await check.close();
      await h.close();
    }
  });

  it('fails on a key the kernel does not have', async () => {
    const h = hostHandle(f, name);
    try {
      await expect(
        sysctl(h, { name: '80-typo', settings: { 'net.ipv4.ip_forwarding': 1 }, procRoot: fake }),
      ).rejects.toThrow(/live value not set:\n {2}net\.ipv4\.ip_forwarding: no such key/);
    } finally {
      await h.close();
    }
  });

  it('takes one round trip to find nothing to do; one per part that changes', async () => {
    const h = hostHandle(f, name);
    try {
      expect((await sysctl(h, { name: '60-net', settings, procRoot: fake })).changed).toBe(false);
      expect(h.roundTrips).toBe(1);
      await sh(`echo 1 > ${fake}/vm/swappiness`);
      expect((await sysctl(h, { name: '60-net', settings, procRoot: fake })).changes).toEqual([
        'sysctl 60-net: live vm.swappiness 1 → 10',
      ]);
      expect(h.roundTrips).toBe(3); // read, live write
      expect(
        (await sysctl(h, { name: '60-net', settings: { ...settings, 'vm.swappiness': 20 }, procRoot: fake }))
          .changed,
      ).toBe(true);
      expect(h.roundTrips).toBe(6); // read, file write, live write
    } finally {
      await h.close();
    }
  });
});
