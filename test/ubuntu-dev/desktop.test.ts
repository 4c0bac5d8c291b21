/**
 * The ubuntu-dev role on one real Debian 12 test host (booted with CAP_NET_ADMIN so nftables
 * works inside it), converged once with the desktop packages (no development tools: see
 * dev-tools.test.ts), then checked with real clients:
 *
 * - check mode on the fresh host lists the tasks the real run then changes, and changes nothing;
 *   the second run changes nothing; check mode on the converged host changes nothing;
 * - FreeRDP 2 under Xvfb, from a namespace holding the site's gateway address, logs in as an
 *   assigned user and reaches her XFCE desktop (sesman's log, xfce4-session running as her, a
 *   screenshot unlike xrdp's login screen, kept in test-artifacts/ubuntu-dev/); a wrong password,
 *   a disabled user and a user not assigned to this VM are refused;
 * - from a namespace holding an address in neither site list, 3389 and 22 are closed (and open
 *   from the gateway's); the rules survive a reboot;
 * - SSH: keys only; the disabled user's key is refused;
 * - a bad users map exits 4 naming the file and the user, with no SSH login to the host.
 *
 * Not covered here: Ubuntu 22.04 itself (no Ubuntu archive reachable: its row of the distribution
 * table, the .pkla polkit file, is unit-tested in distro.test.ts); a site TLS certificate (the
 * snakeoil pair is used); ufw (dev-tools.test.ts); the colord prompt itself (no colord).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { run, sleep } from '../harness/run.js';
import { repoRoot, runCli, taskEvents, type CliRun } from '../support/cli.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { clientNetns, clientSubnet, routeClientsFrom, type ClientNetns } from './client-netns.js';
import { writtenSince } from './upper-writes.js';
import { loginToDesktop, rdpConnect, startDisplay, type Display } from './rdp-client.js';

const PLAYBOOK = 'test/fixtures/ubuntu-dev/playbook.ts';
const ARTIFACTS = join(repoRoot, 'test-artifacts', 'ubuntu-dev');
const H = 'ud1';
const PASSWORDS = { alice: 'Alice-rdp-pw-31', bob: 'Bob-rdp-pw-72', carol: 'Carol-rdp-pw-55' };
const SUBNET = clientSubnet();
const GATEWAY = `${SUBNET}.5`;
const STRANGER = `${SUBNET}.9`;

/** Tasks that took more than a second, for the log: where the file's time goes. */
function slowTasks(label: string, r: CliRun): void {
  const slow = taskEvents(r)
    .filter((e) => e.durationMs > 1000)
    .map((e) => `${e.task} ${(e.durationMs / 1000).toFixed(1)} s`);
  const total = ((r.events.at(-1)?.durationMs ?? 0) / 1000).toFixed(1);
  console.log(`${label}: ${total} s${slow.length ? `; ${slow.join(', ')}` : ''}`);
}

/** Tasks a run reported as changing something (check mode: also those it would run). */
function changedTasks(r: CliRun): string[] {
  return taskEvents(r)
    .filter(
      (e) =>
        !e.handler &&
        (e.status === 'changed' || (e.status === 'skipped' && /^check mode: would/.test(e.message ?? ''))),
    )
    .map((e) => e.task as string)
    .sort();
}

describe.skipIf(skipHosts)('ubuntu-dev on a Debian 12 host', () => {
  let f: HostFixture;
  let address: string;
  let inventory: string;
  let userKey: string;
  let gw: ClientNetns;
  let stranger: ClientNetns;
  let display: Display;
  const started = Date.now();
  const env = {
    UD_ALICE_PW: PASSWORDS.alice,
    UD_BOB_PW: PASSWORDS.bob,
    UD_CAROL_PW: PASSWORDS.carol,
  };
  const play = (...args: string[]) =>
    runCli([PLAYBOOK, '-i', inventory, '--known-hosts', f.knownHosts, '--json', ...args], {
      env,
      timeoutMs: 600_000,
    });
  const onHost = async (cmd: string) => (await f.hosts.exec(H, cmd)).stdout;

  function writeInventory(path: string, siteUsers: Record<string, unknown>): void {
    const h = f.hosts.host(H);
    const text = stringify({
      all: {
        vars: {
          site_gateway_addresses: [GATEWAY],
          site_admin_networks: ['192.0.2.0/24', '2001:db8::/32'],
          site_users: siteUsers,
          // The base's package lists are what the hosts have: no refresh in every fresh host.
          apt_cache_valid_time: 10 * 365 * 86400,
          // The desktop only: the development tools have their own test file.
          dev_git: false,
        },
        children: {
          ubuntu_vms: {
            hosts: {
              [H]: {
                ansible_host: h.address,
                ansible_user: 'root',
                ansible_ssh_private_key_file: f.hosts.privateKeyFile,
              },
            },
          },
          // Another VM, outside the run: carol is assigned there only.
          other_vms: { hosts: { 'vm-other': { ansible_host: '192.0.2.77' } } },
        },
      },
    })
      // The users' passwords come from the environment (!env): Secrets, like !secret vault entries.
      .replace(/"?!env (UD_\w+)"?/g, '!env $1');
    writeFileSync(path, text);
  }

  beforeAll(async () => {
    f = await bootFixture(1, 'ud', { capabilities: ['CAP_NET_ADMIN'] });
    address = f.hosts.host(H).address;
    mkdirSync(ARTIFACTS, { recursive: true });
    userKey = join(f.dir, 'alice_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@test', '-f', userKey]);
    const pub = readFileSync(`${userKey}.pub`, 'utf8').trim();
    inventory = join(f.dir, 'site.yml');
    writeInventory(inventory, {
      alice: {
        full_name: 'Alice Example',
        uid: 2101,
        password: '!env UD_ALICE_PW',
        ssh_keys: [pub],
        sudo: true,
        groups: ['video'],
        vms: ['ubuntu_vms'],
      },
      bob: {
        full_name: 'Bob Disabled',
        password: '!env UD_BOB_PW',
        ssh_keys: [pub],
        vms: [H],
        state: 'disabled',
      },
      carol: { full_name: 'Carol Elsewhere', password: '!env UD_CAROL_PW', vms: ['vm-other'] },
    });
    await routeClientsFrom(f.hosts, H, SUBNET);
    gw = await clientNetns('gw', GATEWAY);
    stranger = await clientNetns('st', STRANGER);
  });
  afterAll(async () => {
    await display?.stop();
    await gw?.remove();
    await stranger?.remove();
    await f?.hosts.teardown();
    console.log(`ubuntu-dev desktop test file: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });

  let wouldChange: string[] = [];
  it('check mode on the fresh host exits 0 and changes nothing', async () => {
    const before = await f.hosts.snapshotUpper(H);
    const r = await play('--check');
    slowTasks('check mode, fresh host', r);
    expect(r.code, r.stderr).toBe(0);
    expect(await f.hosts.snapshotUpper(H)).toBe(before);
    wouldChange = changedTasks(r);
    expect(wouldChange).toContain('desktop packages');
  }, 120_000);

  it('converges, making exactly the changes check mode listed, handlers once', async () => {
    const r = await play();
    slowTasks('first run', r);
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    // The passwords are Secrets (from !env here, as from the vault): in no output, diffs included.
    for (const pw of Object.values(PASSWORDS)) expect(r.stdout + r.stderr).not.toContain(pw);
    expect(changedTasks(r)).toEqual(wouldChange);
    const handlers = taskEvents(r).filter((e) => e.handler);
    expect(handlers.map((e) => `${e.task}:${e.status}`).sort()).toEqual([
      'reload sshd:changed',
      'restart xrdp:changed',
    ]);
  }, 600_000);

  it('a second run changes nothing; check mode on the converged host changes nothing', async () => {
    const r = await play();
    slowTasks('second run', r);
    expect(r.code, r.stderr).toBe(0);
    expect(changedTasks(r)).toEqual([]);
    expect(r.events.at(-1)!.hosts[H]).toMatchObject({ changed: 0, failed: 0 });
    const since = Date.now();
    await sleep(20); // ctimes are taken from the kernel's clock tick
    const c = await play('--check');
    slowTasks('check mode, converged host', c);
    expect(c.code, c.stderr).toBe(0);
    expect(changedTasks(c)).toEqual([]);
    // xrdp writes its own log by itself (its start after the first run's restart can still be
    // logging): like the sshd log, that is the daemon's doing, not the run's.
    const written = await writtenSince(f.hosts.host(H).upperDir, since);
    expect(written.filter((p) => !/^var\/log\/xrdp(-sesman)?\.log$/.test(p))).toEqual([]);
  });

  it('configures xrdp, sesman, polkit, the accounts and sudo as declared', async () => {
    const out = await onHost(
      [
        'id -nG xrdp',
        'grep -E "^(security_layer|certificate|key_file)=" /etc/xrdp/xrdp.ini',
        'grep -E "^(AllowRootLogin|TerminalServerUsers|AlwaysGroupCheck|MaxSessions|Policy)=" /etc/xrdp/sesman.ini',
        'id alice; id bob',
        'cat /home/alice/.xsession',
        'sudo -l -U alice | tail -n 1',
        'test -e /etc/sudoers.d/novastation-bob && echo bob-sudo || echo bob-no-sudo',
        'getent shadow bob | cut -d: -f2,8 | cut -c1',
        'getent shadow bob | cut -d: -f8',
        'getent passwd carol || echo no-carol',
        'test -s /etc/polkit-1/rules.d/45-novastation-colord.rules && echo polkit-rule',
      ].join('; '),
    );
    expect(out).toMatch(/^xrdp .*ssl-cert/m);
    expect(out).toContain('security_layer=tls\ncertificate=\nkey_file=');
    expect(out).toContain('AllowRootLogin=false\nTerminalServerUsers=novastation-rdp\nAlwaysGroupCheck=true');
    expect(out).toContain('MaxSessions=50');
    expect(out).toMatch(
      /uid=2101\(alice\) gid=\d+\(alice\) groups=.*video.*novastation-users.*novastation-rdp/,
    );
    expect(out).toMatch(/^uid=\d+\(bob\) .*novastation-users/m);
    expect(out).not.toMatch(/\(bob\).*novastation-rdp/);
    expect(out).toContain('exec xfce4-session');
    expect(out).toMatch(/^\s+\(root\) ALL$/m); // sudoers: alice ALL=(root) ALL
    expect(out).toContain('bob-no-sudo');
    expect(out).toMatch(/^!\n1\n/m); // bob: locked password, expired on day 1
    expect(out).toContain('no-carol');
    expect(out).toContain('polkit-rule');
  });

  it('FreeRDP from the gateway address: a wrong password, a disabled and an unassigned user are refused', async () => {
    display = await startDisplay(gw);
    for (const [user, password] of [
      ['alice', 'not-her-password'],
      ['bob', PASSWORDS.bob],
      ['carol', PASSWORDS.carol],
    ] as const) {
      const logBefore = Number(await onHost('wc -l < /var/log/xrdp-sesman.log'));
      const session = rdpConnect(gw, display, address, { user, password });
      let log = '';
      for (let i = 0; i < 200; i++) {
        log = await onHost(`tail -n +${logBefore + 1} /var/log/xrdp-sesman.log`);
        if (new RegExp(`AUTHFAIL: user=${user}\\b|login denied for user ${user}\\b`).test(log)) break;
        await sleep(100);
      }
      await session.stop();
      expect(log, `${user}: ${session.output()}`).toMatch(
        new RegExp(`AUTHFAIL: user=${user}\\b|login denied for user ${user}\\b`),
      );
      expect(log).not.toMatch(new RegExp(`created session.*username ${user}\\b`));
      expect(await onHost(`pgrep -u ${user} -x xfce4-session || echo none`)).toBe('none\n');
    }
  });

  it("FreeRDP from the gateway address logs alice in and shows her XFCE desktop, not xrdp's login screen", async () => {
    display ??= await startDisplay(gw);
    const r = await loginToDesktop({
      ns: gw,
      display,
      address,
      login: { user: 'alice', password: PASSWORDS.alice },
      onHost,
      loginShot: join(ARTIFACTS, 'login-screen.png'),
      desktopShot: join(ARTIFACTS, 'alice-desktop.png'),
    });
    expect(r.loginColours).toBeGreaterThan(8);
    expect(r.sesmanLog, r.clientOutput).toMatch(
      /created session \(access granted\): username alice, ip \S*10\.233\./,
    );
    expect(r.sessionPid, 'xfce4-session runs as alice').toMatch(/^\d+$/);
    expect(r.parts).toBe('xfce4-panel\nxfdesktop\n');
    expect(r.differing).toBeGreaterThan(1024 * 768 * 0.2);
    expect(r.colours).toBeGreaterThan(8);
  });

  it('SSH: alice logs in with her key from the gateway address; disabled bob with the same key is refused', async () => {
    const ssh = (user: string) =>
      run(
        gw.exec[0]!,
        [
          ...gw.exec.slice(1),
          'ssh',
          '-i',
          userKey,
          '-o',
          'BatchMode=yes',
          '-o',
          `UserKnownHostsFile=${f.knownHosts}`,
          '-o',
          'ConnectTimeout=5',
          `${user}@${address}`,
          'id -un',
        ],
        { allowFail: true },
      );
    const alice = await ssh('alice');
    expect(alice.stdout, alice.stderr).toBe('alice\n');
    const bob = await ssh('bob');
    expect(bob.exitCode).not.toBe(0);
    expect(bob.stdout).toBe('');
    // Password logins are off: sshd offers only keys.
    const methods = await run(
      'ssh',
      [
        '-o',
        'BatchMode=yes',
        '-o',
        'PreferredAuthentications=none',
        '-o',
        `UserKnownHostsFile=${f.knownHosts}`,
        `alice@${address}`,
      ],
      { allowFail: true },
    );
    expect(methods.stderr).toMatch(/Permission denied \(publickey\)/);
  });

  it('firewall: 3389 and 22 closed from an address in neither list, open from the gateway, rules kept across a reboot', async () => {
    const connects = (ns: ClientNetns | undefined, port: number) =>
      run('timeout', ['3', ...(ns ? ns.exec : []), 'bash', '-c', `exec 3<>/dev/tcp/${address}/${port}`], {
        allowFail: true,
      }).then((r) => r.exitCode === 0);
    expect(await onHost('ss -ltnH | grep -c -E ":(22|3389) "')).not.toBe('0\n'); // both listen on every address
    expect(await connects(gw, 3389)).toBe(true);
    expect(await connects(gw, 22)).toBe(true);
    expect(await connects(stranger, 3389)).toBe(false);
    expect(await connects(stranger, 22)).toBe(false);
    // The controller (the machine, 10.231.0.1) keeps SSH, and only SSH.
    expect(await connects(undefined, 22)).toBe(true);
    expect(await connects(undefined, 3389)).toBe(false);
    await f.hosts.reboot(H);
    await routeClientsFrom(f.hosts, H, SUBNET);
    expect(await onHost('nft list table inet novastation >/dev/null && echo loaded')).toBe('loaded\n');
    expect(await connects(stranger, 22)).toBe(false);
    expect(await connects(gw, 22)).toBe(true);
  });

  it('a user dropped from the map is disabled (home kept); an absent one is removed, home kept', async () => {
    const next = join(f.dir, 'next.yml');
    writeInventory(next, {
      bob: { full_name: 'Bob Gone', vms: [H], state: 'absent' },
      carol: { full_name: 'Carol Elsewhere', password: '!env UD_CAROL_PW', vms: ['vm-other'] },
    });
    const r = await runCli([PLAYBOOK, '-i', next, '--known-hosts', f.knownHosts, '--json'], {
      env,
      timeoutMs: 300_000,
    });
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
    expect(
      taskEvents(r, { task: 'disable alice (no longer assigned to this VM)', status: 'changed' }),
    ).toHaveLength(1);
    expect(taskEvents(r, { task: 'account bob removed', status: 'changed' })).toHaveLength(1);
    const out = await onHost(
      'getent shadow alice | cut -d: -f2 | cut -c1; getent shadow alice | cut -d: -f8; id -nG alice; test -d /home/alice && echo alice-home; getent passwd bob || echo no-bob; test -d /home/bob && echo bob-home; ls /etc/sudoers.d',
    );
    expect(out).toBe('!\n1\nalice video novastation-users\nalice-home\nno-bob\nbob-home\nREADME\n');
  }, 300_000);

  it('a bad users map exits 4 naming the file and the user, with nothing sent to the host', async () => {
    const bad = join(f.dir, 'bad.yml');
    writeInventory(bad, {
      alice: { full_name: 'Alice', password: '!env UD_ALICE_PW', vms: ['ubuntu_vmz'] },
      'Dave.Smith': { full_name: 'Dave', vms: [H] },
    });
    const logins = await f.hosts.sshLoginCount(H);
    const r = await runCli([PLAYBOOK, '-i', bad, '--known-hosts', f.knownHosts], { env });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      new RegExp(`${bad}:\\d+: site_users\\.alice: vms: "ubuntu_vmz" is neither a host nor a group`),
    );
    expect(r.stderr).toMatch(
      new RegExp(
        `${bad}:\\d+: site_users\\.Dave\\.Smith: the login name "Dave\\.Smith" is not a valid login name`,
      ),
    );
    expect(r.stderr).toMatch(/site_users\.Dave\.Smith: has no password/);
    expect(await f.hosts.sshLoginCount(H)).toBe(logins);
  });
});
