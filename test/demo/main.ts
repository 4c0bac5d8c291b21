/**
 * `npm run demo` (scripts/demo.mjs runs this through esbuild): the whole site.ts on the example
 * inventory (inventory/site.yml and its vault, unchanged, plus an overlay that points it at what
 * exists here; site-copy.ts). What runs where is printed at the start and the end (SIMULATED).
 *
 * As root with the test-host tools (.ci/run installs them): four real Debian 12 test hosts —
 * pve1 made into a fake GPU-passthrough Proxmox server (test/proxmox-host/fixture), the gateway
 * gw1 (with Docker: the Guacamole Compose stack on its stand-in images), and vm-dev-01/02 as the
 * Ubuntu dev VMs — then the first run (--diff), a second run (0 changed), check mode, and a real
 * RDP login (FreeRDP under Xvfb) as a site user to vm-dev-01 with the connection parameters the
 * guacamole role wrote, read back from Guacamole, ending at a screenshot of that user's desktop.
 * Without root: the same three runs of the simulated parts only (the Proxmox API roles and the
 * users sync to the Guacamole simulator); no RDP login.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GuacamoleClient } from '../../lib/guacamole/client.js';
import type { RunEvent } from '../../lib/report/events.js';
import { Secret } from '../../lib/secret.js';
import { readVaultFile } from '../../lib/vault/index.js';
import { startGuacSim, type GuacSim } from '../guac-sim/index.js';
import { loadStandinImages } from '../guacamole/standin-images.js';
import { DOCKER_CLI, DOCKERD } from '../harness/docker-daemon.js';
import { bootTestHosts, testHostSupport, type TestHosts } from '../harness/index.js';
import { FAKE_FACT_PATHS, installMachine, RTX3090_PCI } from '../proxmox-host/fixture.js';
import { startPveSim, type PveSim } from '../pve-sim/index.js';
import { addSnippet } from '../pve-sim/state/cloud-init.js';
import { GUEST_AGENT_SNIPPET } from '../../roles/proxmox-host/snippets.js';
import type { HostFixture } from '../support/hosts.js';
import { clientNetns, clientSubnet, routeClientsFrom, type ClientNetns } from '../ubuntu-dev/client-netns.js';
import { loginToDesktop, startDisplay, type Display } from '../ubuntu-dev/rdp-client.js';
import { copySite, DEMO_VAULT_PASSPHRASE, pveOverlay, PVE_TOKEN_ENV, REPO } from './site-copy.js';
import { summarize, summaryLine, type PlayRoles, type RdpSummary, type Summary } from './summary.js';
import site from '../../site.js';

const PLAYBOOK = join(REPO, 'node_modules', '.bin', 'playbook');
// Screenshots: beside CI's demo log when CI keeps one (the fresh clone is removed after the demo).
const ARTIFACTS = process.env.CI_ARTIFACTS
  ? join(process.env.CI_ARTIFACTS, 'demo')
  : join(REPO, 'test-artifacts', 'demo');
/** The user who logs in over RDP at the end: assigned to every dev VM, not an administrator. */
const RDP_USER = 'bruno';
const RDP_VM = 'vm-dev-01';
const TEN_YEARS = 10 * 365 * 86400;

const started = Date.now();
const PLAYS: PlayRoles = site.plays.map((p) => ({
  name: p.name ?? p.hosts,
  roles: p.roles.map((r) => ('role' in r ? r.role.name : r.name)),
}));
const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;
const emit = (s: Summary) => console.log(summaryLine(s));
const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
const onPath = (tool: string) =>
  spawnSync('sh', ['-c', `command -v ${tool}`], { env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin` } })
    .status === 0;

function heading(text: string): void {
  console.log(`\n=== ${text} (${seconds(started)} s into the demo) ===`);
}

/** What this demo simulates, said the same way at the start and the end. */
function simulatedParts(mode: 'hosts' | 'simulated', guacamole: 'stack' | 'simulator'): string[] {
  const parts = [
    'Proxmox VE: the API simulator (test/pve-sim) serves pve1’s API — templates, VMs, the GPU mapping, the Windows guests’ agent; no real VM boots',
    'Windows 11 guests: scripted by the simulator’s guest agent (windows-rdp talks to it as to Windows)',
    'Guacamole webapp and guacd cannot run here (no image registry): ' +
      (guacamole === 'stack'
        ? 'the Compose stack runs on stand-in images under the real names; the webapp stand-in serves the REST API simulator (test/guac-sim), guacd’s stand-in speaks no Guacamole protocol'
        : 'the users sync goes to the REST API simulator (test/guac-sim) on this machine'),
    'RDP: FreeRDP on this machine logs in to the dev VM directly with the connection parameters Guacamole holds, standing where guacd would (no browser, no guacd in between)',
  ];
  if (mode === 'hosts')
    parts.push(
      'pve1 over SSH: a Debian 12 test host made into a fake GPU-passthrough server (stand-ins for lspci, update-grub, update-initramfs, pveum; no IOMMU, no RTX 3090, no reboot); pve_api_identity is off: the API token is the simulator’s; the simulator reads the guest-agent snippet the role writes there (its /var/lib/vz) when an Ubuntu clone starts',
      'the gateway and the Ubuntu dev VMs: real Debian 12 test hosts (systemd-nspawn), not Ubuntu 22.04',
    );
  else
    parts.push(
      'no test hosts (needs root and the test-host tools): the proxmox-host, base, ubuntu-dev and nginx plays do not run, and there is no RDP login; the guest-agent snippet proxmox-host would write over SSH is put on the simulator’s storage by the demo',
    );
  return parts;
}

interface Hosts {
  pve: TestHosts;
  gw: TestHosts;
  dev: TestHosts;
  all: TestHosts[];
}

/** pve1 (fake passthrough server), gw1 (Docker if available), vm-dev-01/02 (nftables works). */
async function bootHosts(docker: boolean): Promise<Hosts> {
  const log = (l: string) => console.log(`  ${l}`);
  const boots = [
    bootTestHosts(1, { prefix: 'dpve', log }),
    bootTestHosts(1, { prefix: 'dgw', docker, log }),
    bootTestHosts(2, { prefix: 'ddev', capabilities: ['CAP_NET_ADMIN'], log }),
  ];
  const settled = await Promise.allSettled(boots);
  const up = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(up.map((h) => h.teardown()));
    throw (failed as PromiseRejectedResult).reason;
  }
  const [pve, gw, dev] = up as [TestHosts, TestHosts, TestHosts];
  const fixture = { hosts: pve } as HostFixture; // installMachine uses only .hosts
  await installMachine(fixture, pve.hosts[0]!.name, {
    cpu: 'intel',
    kernel: '6.8.12-4-pve',
    bootloader: 'grub',
    iommuFirmware: true,
    pci: RTX3090_PCI,
    adminCmdline: 'quiet',
  });
  return { pve, gw, dev, all: [pve, gw, dev] };
}

const ssh = (hosts: TestHosts, i = 0) => ({
  ansible_host: hosts.hosts[i]!.address,
  ansible_port: 22,
  ansible_user: 'root',
  ansible_ssh_private_key_file: hosts.privateKeyFile,
});

/** One site.ts run with --json: the live list/lines on stderr (shown), the events parsed from stdout. */
async function runSite(
  phase: 'first run' | 'second run' | 'check mode',
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ exit: number; events: RunEvent[] }> {
  heading(phase);
  const shown = ['site.ts', ...args].map((a) => a.replace(/^\/tmp\/novastation-demo-[^/]+\//, '$DEMO/'));
  console.log(`$ npx playbook ${shown.join(' ')}`);
  const t = Date.now();
  const child = spawn(PLAYBOOK, ['site.ts', ...args, '--json'], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exit: number = await new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  const events = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunEvent);
  const s = summarize(phase, exit, seconds(t), events, PLAYS);
  console.log(
    `${phase}: exit ${exit}, ${s.plays.filter((p) => p.hosts.length).length} of ${s.plays.length} plays ran, changed=${s.changed} failed=${s.failed} unreachable=${s.unreachable}, ${s.durationS} s`,
  );
  emit(s);
  return { exit, events };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** `ssh -L` to the gateway's loopback (where the webapp is published), with the harness key. */
async function forwardToGateway(hosts: TestHosts, knownHosts: string, remotePort: number) {
  const port = await freePort();
  const proc = spawn(
    'ssh',
    [
      '-N',
      '-o',
      'BatchMode=yes',
      '-o',
      'ExitOnForwardFailure=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-i',
      hosts.privateKeyFile,
      '-L',
      `127.0.0.1:${port}:127.0.0.1:${remotePort}`,
      `root@${hosts.hosts[0]!.address}`,
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/guacamole/api/languages`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://127.0.0.1:${port}/guacamole`, close: () => proc.kill('SIGTERM') };
}

/** A Guacamole connection's parameters, read back as the site's administrator. */
async function readConnection(
  url: string,
  fingerprint: string | undefined,
  admin: { username: string; password: Secret },
  user: { username: string; password: Secret },
  vm: string,
): Promise<Record<string, string>> {
  const client = new GuacamoleClient({ url, ...(fingerprint ? { fingerprint } : {}) });
  try {
    // The RDP user sees the connection (the sync gave them READ on it)…
    await client.login(user);
    const mine = await client.get<Record<string, { name: string }>>('/connections');
    if (!Object.values(mine).some((c) => c.name === vm))
      throw new Error(`${user.username} does not see the connection ${vm} in Guacamole`);
    // …and the administrator may read its parameters (a READ permission does not show them).
    await client.login(admin);
    const all =
      await client.get<Record<string, { identifier: string; name: string; protocol: string }>>(
        '/connections',
      );
    const c = Object.values(all).find((x) => x.name === vm);
    if (!c) throw new Error(`no Guacamole connection named ${vm}`);
    return {
      protocol: c.protocol,
      ...(await client.get<Record<string, string>>(`/connections/${c.identifier}/parameters`)),
    };
  } finally {
    await client.close();
  }
}

/** `${GUAC_USERNAME}`/`${GUAC_PASSWORD}` (pass-through): the Guacamole user's own credentials. */
function credentialsFor(p: Record<string, string>, login: string, password: string) {
  const user = p.username === '${GUAC_USERNAME}' ? login : (p.username ?? login);
  const pw = p.password === '${GUAC_PASSWORD}' ? password : (p.password ?? password);
  return { user, password: pw };
}

async function rdpLogin(o: {
  hosts: Hosts;
  client: ClientNetns;
  knownHosts: string;
  source: 'stack' | 'simulator';
  guacSim?: GuacSim;
  vault: Record<string, string>;
}): Promise<RdpSummary> {
  heading(`RDP login as ${RDP_USER} to ${RDP_VM}, with the connection parameters Guacamole holds`);
  const t = Date.now();
  const forward = o.source === 'stack' ? await forwardToGateway(o.hosts.gw, o.knownHosts, 8080) : undefined;
  let display: Display | undefined;
  try {
    const url = forward?.url ?? o.guacSim!.url;
    console.log(
      `reading the connection ${RDP_VM} back from ${o.source === 'stack' ? 'the deployed stack’s webapp (through an SSH forward to gw1’s loopback)' : `the Guacamole simulator at ${url}`}`,
    );
    const p = await readConnection(
      url,
      o.source === 'simulator' ? o.guacSim!.fingerprint : undefined,
      { username: 'alice', password: new Secret(o.vault.alice_password!) },
      { username: RDP_USER, password: new Secret(o.vault[`${RDP_USER}_password`]!) },
      RDP_VM,
    );
    const shown = Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'password'));
    console.log(`connection ${RDP_VM}: ${JSON.stringify(shown)}`);
    if (p.protocol !== 'rdp' || !p.hostname)
      throw new Error(`connection ${RDP_VM} is not an RDP connection with a hostname`);
    const login = credentialsFor(p, RDP_USER, o.vault[`${RDP_USER}_password`]!);
    const dev = o.hosts.dev;
    const devHost = dev.hosts.find((h) => h.address === p.hostname);
    if (!devHost) throw new Error(`connection ${RDP_VM} points at ${p.hostname}, not at a dev VM test host`);
    mkdirSync(ARTIFACTS, { recursive: true });
    display = await startDisplay(o.client);
    console.log(
      `FreeRDP 2 under Xvfb :${display.number}, from ${o.client.address} (a gateway address of the site), to ${p.hostname}:${p.port ?? 3389} as ${login.user} (security ${p.security ?? 'any'}, ignore-cert ${p['ignore-cert'] ?? 'false'})`,
    );
    const r = await loginToDesktop({
      ns: o.client,
      display,
      address: p.hostname,
      login,
      onHost: async (cmd) => (await dev.exec(devHost.name, cmd)).stdout,
      loginShot: join(ARTIFACTS, 'xrdp-login-screen.png'),
      desktopShot: join(ARTIFACTS, `${login.user}-desktop.png`),
      options: {
        ...(p.port ? { port: Number(p.port) } : {}),
        ...(p.security ? { security: p.security } : {}),
        ignoreCert: p['ignore-cert'] === 'true',
      },
    });
    const sessionCreated = new RegExp(`created session.*username ${login.user}\\b`).test(r.sesmanLog);
    const ok =
      sessionCreated &&
      /^\d+$/.test(r.sessionPid) &&
      r.parts === 'xfce4-panel\nxfdesktop\n' &&
      r.colours > 8 &&
      r.differing > 1024 * 768 * 0.2;
    console.log(
      ok
        ? `rdp login: ${login.user} reached the XFCE desktop of ${RDP_VM}: screenshot ${r.desktopShot} (${r.colours} colours, ${r.differing} pixels unlike xrdp's login screen)`
        : `rdp login: did not reach a desktop: session ${sessionCreated}, xfce4-session ${r.sessionPid || 'none'}, ${r.colours} colours\n${r.clientOutput.slice(-2000)}`,
    );
    return {
      phase: 'rdp login',
      ok,
      user: login.user,
      vm: RDP_VM,
      source: o.source,
      parameters: shown,
      screenshot: r.desktopShot,
      loginScreen: r.loginShot,
      sessionCreated,
      colours: r.colours,
      differing: r.differing,
      durationS: seconds(t),
    };
  } finally {
    await display?.stop();
    forward?.close();
  }
}

async function openVault(file: string): Promise<Record<string, string>> {
  const opened = await readVaultFile(file, [
    { secret: new Secret(DEMO_VAULT_PASSPHRASE), source: 'the demo passphrase' },
  ]);
  return parse(opened.plaintext.toString('utf8')) as Record<string, string>;
}

export async function main(): Promise<number> {
  // NOVASTATION_DEMO_SIMULATED=1: the simulated parts only, even where test hosts could boot.
  const support =
    process.env.NOVASTATION_DEMO_SIMULATED === '1'
      ? { ok: false as const, why: 'NOVASTATION_DEMO_SIMULATED=1 asks for the simulated parts only' }
      : testHostSupport();
  const mode = support.ok ? 'hosts' : 'simulated';
  const docker = support.ok && existsSync(DOCKERD) && existsSync(DOCKER_CLI);
  const rdpTools = ['xfreerdp', 'Xvfb', 'import', 'identify', 'compare'].filter((t) => !onPath(t));
  const guacamole: 'stack' | 'simulator' = docker ? 'stack' : 'simulator';
  const simulated = simulatedParts(mode, guacamole);
  console.log(
    'NovaStation demo: site.ts on the example inventory (inventory/site.yml, its vault unchanged).',
  );
  console.log(
    mode === 'hosts'
      ? `Real Debian 12 test hosts for the Linux roles; ${docker ? 'Docker runs the Guacamole stack on the gateway' : `no ${DOCKERD}: no Guacamole stack, the users sync goes to the simulator`}.`
      : `Simulated parts only: ${(support as { why: string }).why}.`,
  );
  console.log(`SIMULATED:\n${simulated.map((s) => `  - ${s}`).join('\n')}`);

  let exitCode = 0;
  let pveSim: PveSim | undefined;
  let guacSim: GuacSim | undefined;
  let hosts: Hosts | undefined;
  let client: ClientNetns | undefined;
  try {
    heading('set-up');
    const t = Date.now();
    pveSim = await startPveSim({ taskMs: 100, windowsInstallMs: 2000 });
    console.log(
      `Proxmox VE simulator at ${pveSim.url} (certificate ${pveSim.fingerprint.slice(0, 23)}…), API token ${pveSim.token.id}`,
    );
    const credentials = [pveSim.token.secret, pveSim.root.password];
    if (guacamole === 'simulator') {
      // Not on 127.0.0.1: the role forwards a loopback URL to the gateway's own loopback; this one
      // is reached from here directly, over HTTPS with its certificate pinned.
      guacSim = await startGuacSim({ tls: true, host: '127.0.0.2' });
      console.log(`Guacamole REST API simulator at ${guacSim.url} (certificate pinned)`);
    }
    const site = copySite('novastation-demo-');
    const vault = await openVault(join(site.dir, 'secrets.vault'));
    const env = {
      [PVE_TOKEN_ENV]: pveSim.token.secret,
      NOVASTATION_VAULT_PASSWORD: DEMO_VAULT_PASSPHRASE,
    };
    const knownHosts = join(site.dir, 'known_hosts');
    const gatewayVars = guacSim
      ? {
          guacamole_stack: false,
          guacamole_url: guacSim.url,
          guacamole_tls_fingerprint: guacSim.fingerprint,
        }
      : { guacamole_docker_engine: 'external', guacamole_health_timeout: 150 };
    let extra: string[] = [];
    if (mode === 'hosts') {
      hosts = await bootHosts(docker);
      // The node reads cicustom snippets from its own disk: pve1's, where proxmox-host writes them.
      pveSim.state.storageDirs.set('local', join(hosts.pve.hosts[0]!.rootDir, 'var/lib/vz'));
      if (docker)
        await loadStandinImages(hosts.gw.dockerEnv(hosts.gw.hosts[0]!.name), (l) => console.log(`  ${l}`));
      writeFileSync(knownHosts, hosts.all.map((h) => h.knownHosts()).join(''));
      // FreeRDP stands where guacd would: a client namespace with a gateway address of the site.
      const subnet = clientSubnet();
      for (const h of hosts.dev.hosts) await routeClientsFrom(hosts.dev, h.name, subnet);
      client = await clientNetns('dm', `${subnet}.5`);
      site.writeOverlay(
        {
          pve1: {
            ...ssh(hosts.pve),
            ...pveOverlay(pveSim),
            host_fact_paths: FAKE_FACT_PATHS,
            pve_api_identity: false,
          },
          gw1: { ...ssh(hosts.gw), nginx_tls_source: 'self-signed', ...gatewayVars },
          'vm-dev-01': ssh(hosts.dev, 0),
          'vm-dev-02': ssh(hosts.dev, 1),
        },
        {
          site_gateway_addresses: [hosts.gw.hosts[0]!.address, client.address],
          // The test hosts' package lists come with their base: no refresh on every fresh host.
          apt_cache_valid_time: TEN_YEARS,
        },
      );
      extra = ['--known-hosts', knownHosts];
    } else {
      // The API roles (delegated to this machine) and the users sync (gw1 as this machine: with
      // guacamole_stack false it only talks to the simulator's REST API).
      site.writeOverlay({ pve1: pveOverlay(pveSim), gw1: { ansible_connection: 'local', ...gatewayVars } });
      // What proxmox-host writes over SSH (the API cannot), which this mode does not run.
      addSnippet(pveSim.state, 'local', 'novastation-guest-agent.yaml', GUEST_AGENT_SNIPPET);
      extra = ['--role', 'vm-template,dev-vm,gpu-vm,windows-rdp,guacamole'];
    }
    emit({
      phase: 'setup',
      mode,
      ...(support.ok ? {} : { why: (support as { why: string }).why }),
      guacamole,
      simulated,
      durationS: seconds(t),
      credentialHashes: credentials.map(hash),
    });
    console.log(`set-up took ${seconds(t)} s; the site's files: ${site.dir}`);
    console.log(
      `users sync: ${guacamole === 'stack' ? 'to the deployed stack’s webapp on gw1' : 'to the Guacamole simulator'}`,
    );

    const args = [...site.args, ...extra];
    const first = await runSite('first run', [...args, '--diff'], env);
    const second = await runSite('second run', args, env);
    const check = await runSite('check mode', [...args, '--check'], env);
    if ([first, second, check].some((r) => r.exit !== 0)) exitCode = 1;

    let rdp: RdpSummary;
    if (mode !== 'hosts' || !client)
      rdp = { phase: 'rdp login', ok: false, skipped: 'no test hosts', durationS: 0 };
    else if (rdpTools.length)
      rdp = { phase: 'rdp login', ok: false, skipped: `missing ${rdpTools.join(', ')}`, durationS: 0 };
    else if (first.exit !== 0)
      rdp = { phase: 'rdp login', ok: false, skipped: 'the first run failed', durationS: 0 };
    else {
      const t2 = Date.now();
      rdp = await rdpLogin({
        hosts: hosts!,
        client,
        knownHosts,
        source: guacamole,
        vault,
        ...(guacSim ? { guacSim } : {}),
      }).catch((error: Error) => ({
        phase: 'rdp login' as const,
        ok: false,
        error: error.message,
        durationS: seconds(t2),
      }));
      if (!rdp.ok) exitCode = 1;
    }
    if (rdp.skipped) console.log(`\nrdp login: skipped (${rdp.skipped})`);
    if (rdp.error) console.log(`\nrdp login: failed: ${rdp.error}`);
    emit(rdp);
  } catch (error) {
    console.error(`demo: ${(error as Error).stack ?? error}`);
    exitCode = 1;
  } finally {
    heading('tear-down');
    await client?.remove();
    if (hosts) await Promise.all(hosts.all.map((h) => h.teardown()));
    await guacSim?.close();
    if (pveSim) {
      console.log(
        `Proxmox simulator: ${pveSim.requests.length} requests, ${pveSim.violations.length} schema violations`,
      );
      await pveSim.close();
    }
  }
  console.log(`\nSIMULATED (as said at the start):\n${simulated.map((s) => `  - ${s}`).join('\n')}`);
  console.log(`demo: ${exitCode === 0 ? 'done' : 'FAILED'} in ${seconds(started)} s`);
  emit({ phase: 'done', exit: exitCode, durationS: seconds(started) });
  return exitCode;
}
