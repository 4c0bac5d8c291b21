/**
 * Running the proxmox-host test playbook on one fake machine: an inventory that puts the test
 * host in the `pve` group (and `token_users`), with the role's variables, its fact paths pointed
 * at the fake machine, and `pve_token_secret: !secret pve_token_secret` as a real site has it;
 * a vault file and its password file of the test's own.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliRun } from '../support/cli.js';
import type { HostFixture } from '../support/hosts.js';
import { FAKE_FACT_PATHS } from './fixture.js';

export const PLAYBOOK = 'test/proxmox-host/playbook.ts';

export interface Scenario {
  f: HostFixture;
  host: string;
  vault: string;
  passwordFile: string;
  inventory: string;
}

/** `tokenRef: false` leaves out the inventory's `pve_token_secret: !secret pve_token_secret`. */
export function scenario(
  f: HostFixture,
  host: string,
  vars: Record<string, unknown> = {},
  { tokenRef = true } = {},
): Scenario {
  const h = f.hosts.host(host);
  const all = { gpu_device: '10de:2204', host_fact_paths: FAKE_FACT_PATHS, ...vars };
  const inventory = join(f.dir, `${host}.yml`);
  writeFileSync(
    inventory,
    [
      'all:',
      '  children:',
      '    pve:',
      '      hosts:',
      `        ${host}:`,
      `          ansible_host: ${h.address}`,
      `          ansible_port: ${h.port}`,
      `          ansible_user: ${h.user}`,
      `          ansible_ssh_private_key_file: ${JSON.stringify(f.hosts.privateKeyFile)}`,
      ...(tokenRef ? ['          pve_token_secret: !secret pve_token_secret'] : []),
      ...Object.entries(all).map(([k, v]) => `          ${k}: ${JSON.stringify(v)}`),
      '    token_users:',
      '      hosts:',
      `        ${host}: {}`,
      '',
    ].join('\n'),
  );
  const passwordFile = join(f.dir, `${host}.pass`);
  writeFileSync(passwordFile, `vault password for ${host}\n`, { mode: 0o600 });
  return { f, host, inventory, passwordFile, vault: join(f.dir, `${host}.vault`) };
}

export function run(s: Scenario, ...args: string[]): Promise<CliRun> {
  return runCli(
    [
      PLAYBOOK,
      '-i',
      s.inventory,
      '--known-hosts',
      s.f.knownHosts,
      '--vault',
      s.vault,
      '--vault-password-file',
      s.passwordFile,
      '--runs-dir',
      join(s.f.dir, `runs-${s.host}`),
      '--json',
      ...args,
    ],
    { timeoutMs: 180_000 },
  );
}

/** Every change line of the run's non-handler tasks, in order. */
export function changeLines(r: CliRun): string[] {
  return r.events
    .filter((e) => e.type === 'task' && !e.handler && e.status === 'changed')
    .flatMap((e) => (e.changes as string[] | undefined) ?? [`${e.task}: changed`]);
}

export function task(r: CliRun, name: string): Record<string, any> | undefined {
  return r.events.find((e) => e.type === 'task' && e.task === name);
}

export const summary = (r: CliRun) =>
  `exit ${r.code}\n${r.stderr}\n${r.events
    .filter((e) => e.type === 'task')
    .map((e) => `${e.task}: ${e.status} ${e.error ?? e.message ?? ''} ${JSON.stringify(e.changes ?? [])}`)
    .join('\n')}`;

/** Records each distinct command line of every process on the host, every 10 ms, until stopped. */
const SAMPLER = String.raw`
use strict;
my %seen;
open(my $out, '>>', '/root/cmdlines.txt') or die "open: $!";
select((select($out), $| = 1)[0]);
while (! -e '/root/sampler.stop') {
  opendir(my $d, '/proc') or die;
  for my $p (readdir $d) {
    next unless $p =~ /^\d+$/;
    if (open(my $f, '<', "/proc/$p/cmdline")) {
      local $/; my $c = <$f>; close $f;
      next unless defined $c && length $c;
      $c =~ s/\0/ /g;
      print $out "$c\n" unless $seen{$c}++;
    }
  }
  closedir $d;
  select(undef, undef, undef, 0.01);
}
`;

/** Starts sampling the host's process list; the returned function stops it and gives the lines. */
export async function sampleCommandLines(f: HostFixture, host: string): Promise<() => Promise<string>> {
  await f.hosts.exec(
    host,
    `rm -f /root/cmdlines.txt /root/sampler.stop; cat > /root/sampler.pl <<'EOF'\n${SAMPLER}\nEOF`,
  );
  await f.hosts.exec(host, 'setsid perl /root/sampler.pl </dev/null >/dev/null 2>&1 &');
  return async () => {
    await f.hosts.exec(host, 'touch /root/sampler.stop; sleep 0.1');
    return (await f.hosts.exec(host, 'cat /root/cmdlines.txt; rm -f /root/cmdlines.txt /root/sampler.*'))
      .stdout;
  };
}

/** The vault's plaintext, through the real CLI. */
export async function vaultText(s: Scenario): Promise<string> {
  const r = await runCli(['vault', 'view', s.vault, '--vault-password-file', s.passwordFile]);
  if (r.code !== 0) throw new Error(`vault view: ${r.stderr}`);
  return r.stdout;
}
