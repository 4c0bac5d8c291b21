// `systemdDropin` on a real Debian 12 test host: on a unit of our own and on ssh.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret } from '../../lib/secret.js';
import { file } from '../../tasks/files/file.js';
import { systemd } from '../../tasks/services/systemd.js';
import { systemdDropin } from '../../tasks/services/systemd-dropin.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';

const UNIT = `[Unit]
Description=NovaStation drop-in demo

[Service]
Type=simple
ExecStart=/bin/sleep infinity
`;
const DROPIN = '/etc/systemd/system/nsdemo.service.d/env.conf';

describe.skipIf(skipHosts)('systemdDropin', () => {
  let f: HostFixture;
  let name: string;
  const sh = async (cmd: string) => (await f.hosts.exec(name, cmd)).stdout.trim();
  const show = (unit: string, prop: string) => sh(`systemctl show -p ${prop} --value ${unit}`);
  beforeAll(async () => {
    f = await bootFixture(1, 'tdropin');
    name = f.hosts.hosts[0]!.name;
    const host = hostHandle(f, name);
    try {
      await file(host, { path: '/etc/systemd/system/nsdemo.service', content: UNIT });
      await systemd(host, { unit: 'nsdemo', state: 'started' });
    } finally {
      await host.close();
    }
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  const settings = { Service: { Environment: ['GREETING=hello', 'TARGET=world'] } };

  it('writes the drop-in once and reloads systemd so the running unit sees it; check mode after a drift changes nothing', async () => {
    const proof = await proveIdempotent(
      f,
      name,
      (host) => systemdDropin(host, { unit: 'nsdemo', name: 'env', settings }),
      {
        drift: `echo 'Environment=DRIFT=1' >> ${DROPIN}`,
        diffContains: ['-Environment=DRIFT=1'],
      },
    );
    expect(proof.first.changes).toEqual([`systemd drop-in ${DROPIN}: state → created`]);
    expect(await sh(`cat ${DROPIN}; stat -c %a ${DROPIN}`)).toBe(
      '[Service]\nEnvironment=GREETING=hello\nEnvironment=TARGET=world\nEnvironment=DRIFT=1\n644',
    );
    // The first run reloaded systemd (the drift after it is not loaded: check mode did not reload).
    expect(await show('nsdemo', 'Environment')).toBe('GREETING=hello TARGET=world');
    expect(await show('nsdemo', 'NeedDaemonReload')).toBe('yes');
    const host = hostHandle(f, name);
    try {
      await host.connection();
      const t0 = Date.now();
      expect((await systemdDropin(host, { unit: 'nsdemo', name: 'env', settings })).changed).toBe(true);
      console.log(`systemdDropin change: ${host.roundTrips} round trips, ${Date.now() - t0} ms`);
      const rt = host.roundTrips;
      const t1 = Date.now();
      expect((await systemdDropin(host, { unit: 'nsdemo', name: 'env', settings })).changed).toBe(false);
      console.log(`systemdDropin unchanged: ${host.roundTrips - rt} round trips, ${Date.now() - t1} ms`);
      expect(host.roundTrips - rt).toBe(1);
    } finally {
      await host.close();
    }
    expect(await show('nsdemo', 'NeedDaemonReload')).toBe('no');
  });

  it('on a real package service (ssh): reloaded into systemd, applied by a restart handler, ssh still answers', async () => {
    const content = '[Service]\nEnvironment=NS_DROPIN=1\n';
    await proveIdempotent(
      f,
      name,
      (host) => systemdDropin(host, { unit: 'ssh', name: 'novastation-test', content }),
      {
        drift: 'rm /etc/systemd/system/ssh.service.d/novastation-test.conf',
        diffContains: ['+Environment=NS_DROPIN=1'],
      },
    );
    const host = hostHandle(f, name);
    try {
      await systemdDropin(host, { unit: 'ssh', name: 'novastation-test', content }); // repair the drift
      expect(await show('ssh', 'NeedDaemonReload')).toBe('no');
      expect(await show('ssh', 'Environment')).toContain('NS_DROPIN=1');
      // The handler's restart applies it (sshd rewrites its own environ for its process title, so
      // the new process is recognised by its PID rather than read back from /proc).
      const before = await show('ssh', 'MainPID');
      await systemd(host, { unit: 'ssh', state: 'restarted' });
      expect(await show('ssh', 'MainPID')).not.toBe(before);
    } finally {
      await host.close();
    }
    const fresh = hostHandle(f, name);
    try {
      expect((await fresh.probe`echo new login works`).stdout).toBe('new login works\n');
    } finally {
      await fresh.close();
    }
  });

  it('keeps secret values out of changes and diffs', async () => {
    const value = 'api-token-Qw93!x';
    await proveIdempotent(
      f,
      name,
      (host) =>
        systemdDropin(host, {
          unit: 'nsdemo',
          name: 'token',
          content: secret(`[Service]\nEnvironment=TOKEN=${value}\n`),
        }),
      {
        drift: `echo '[Service]' > /etc/systemd/system/nsdemo.service.d/token.conf`,
        secret: value,
        diffContains: ['content changed (sensitive, not shown)'],
      },
    );
  });

  it('absent removes the file (and the folder once empty) and reloads systemd', async () => {
    const host = hostHandle(f, name);
    try {
      await systemdDropin(host, { unit: 'nsdemo', name: 'token', state: 'absent' });
    } finally {
      await host.close();
    }
    const proof = await proveIdempotent(
      f,
      name,
      (host) => systemdDropin(host, { unit: 'nsdemo', name: 'env', state: 'absent' }),
      {
        drift: `mkdir -p /etc/systemd/system/nsdemo.service.d && echo '[Service]' > ${DROPIN}`,
        diffContains: [`systemd drop-in ${DROPIN}: state present → absent`],
      },
    );
    expect(proof.first.changes).toEqual([`systemd drop-in ${DROPIN}: state present → absent`]);
    expect(proof.first.diff, 'a removed file may have held a secret: no content shown').toBeUndefined();
    const host2 = hostHandle(f, name);
    try {
      await systemdDropin(host2, { unit: 'nsdemo', name: 'env', state: 'absent' });
    } finally {
      await host2.close();
    }
    expect(await sh('test -e /etc/systemd/system/nsdemo.service.d && echo left || echo gone')).toBe('gone');
    expect(await show('nsdemo', 'Environment')).toBe('');
    expect(await show('nsdemo', 'NeedDaemonReload')).toBe('no');
  });
});
