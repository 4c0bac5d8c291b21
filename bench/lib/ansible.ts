/**
 * Ansible as users run it: Debian's `ansible` package (ansible-core 2.14 + the bundled
 * collections), fact gathering on, pipelining on, ControlPersist, forks ≥ the host count, host keys
 * checked against the harness's known_hosts. Configured by an ansible.cfg in a temp folder that
 * ANSIBLE_CONFIG points at, so nothing of the user's own Ansible set-up is read or written.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { $, which } from 'zx';
import { join } from 'node:path';
import { runMeasured, type Measured } from './measure.js';
import { parseRecap, type Recap } from './recap.js';

export const ANSIBLE_PLAYBOOK = 'ansible-playbook';

export function ansiblePresent(): boolean {
  return which.sync(ANSIBLE_PLAYBOOK, { nothrow: true }) !== null;
}

/** Installs Debian's ansible package when ansible-playbook is missing (needs root and apt). */
export async function ensureAnsible(log: (line: string) => void): Promise<void> {
  if (ansiblePresent()) return;
  if (process.getuid?.() !== 0)
    throw new Error('ansible-playbook is missing and installing it needs root (apt-get install -y ansible)');
  log('installing Ansible (apt-get install -y ansible)…');
  const apt = $({ stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const install = () => apt({ nothrow: true })`apt-get install -y --no-install-recommends ansible`;
  if (!(await install()).ok) {
    await apt`apt-get update`;
    if (!(await install()).ok) throw new Error('apt-get install -y ansible failed');
  }
  if (!ansiblePresent())
    throw new Error('ansible-playbook still missing after installing the ansible package');
}

/** `ansible-core 2.14.18 (Debian ansible 7.7.0…)`. */
export async function ansibleVersion(): Promise<string> {
  const first = (await $`${ANSIBLE_PLAYBOOK} --version`).lines()[0] ?? '';
  const core = /core ([\d.]+)/.exec(first)?.[1] ?? first.trim();
  const pkg = await $({ nothrow: true })`dpkg-query -W -f ${'${Version}'} ansible`;
  return pkg.ok && pkg.stdout
    ? `ansible-core ${core} (Debian ansible ${pkg.stdout.trim()})`
    : `ansible-core ${core}`;
}

export interface AnsibleSetup {
  dir: string;
  config: string;
  controlPathDir: string;
  env: NodeJS.ProcessEnv;
}

/** Writes ansible.cfg (and its private temp/control folders) in `dir`. */
export function ansibleSetup(
  dir: string,
  o: { inventory: string; knownHosts: string; forks: number },
): AnsibleSetup {
  const controlPathDir = join(dir, 'cp');
  const localTmp = join(dir, 'local-tmp');
  mkdirSync(controlPathDir, { recursive: true, mode: 0o700 });
  mkdirSync(localTmp, { recursive: true, mode: 0o700 });
  const config = join(dir, 'ansible.cfg');
  writeFileSync(
    config,
    [
      '[defaults]',
      `inventory = ${o.inventory}`,
      `forks = ${Math.max(5, o.forks)}`,
      'gathering = implicit',
      'host_key_checking = True',
      'retry_files_enabled = False',
      `local_tmp = ${localTmp}`,
      'nocolor = True',
      '',
      '[ssh_connection]',
      'pipelining = True',
      `ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${o.knownHosts} -o StrictHostKeyChecking=yes`,
      `control_path_dir = ${controlPathDir}`,
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, ANSIBLE_CONFIG: config, ANSIBLE_NOCOLOR: '1' };
  delete env.ANSIBLE_FORCE_COLOR;
  return { dir, config, controlPathDir, env };
}

export interface AnsibleRun extends Measured {
  recap: Recap;
}

export async function runAnsible(
  setup: AnsibleSetup,
  playbook: string,
  extra: string[] = [],
): Promise<AnsibleRun> {
  const m = await runMeasured(ANSIBLE_PLAYBOOK, [playbook, ...extra], { env: setup.env });
  return { ...m, recap: parseRecap(m.stdout) };
}

/** Ends the ControlPersist masters of this set-up (`ssh -O exit` on each control socket). */
export async function closeMasters(setup: AnsibleSetup): Promise<void> {
  if (!existsSync(setup.controlPathDir)) return;
  for (const name of readdirSync(setup.controlPathDir)) {
    const control = `ControlPath=${join(setup.controlPathDir, name)}`;
    await $({ quiet: true, nothrow: true, timeout: '5s' })`ssh -o ${control} -O exit bench-host`;
  }
}
