/**
 * `host-prep`: the benchmark's host-preparation role — 30 idempotent steps of the kinds our roles
 * do (files, templates, line/block/INI edits, directories, users with SSH keys, sudoers, sysctl
 * and kernel-module files, a service enabled and started, a guarded command) and 2 handlers.
 *
 * It does exactly what bench/ansible/host-prep.yml does, task for task and in the same order, from
 * the same variables (bench/host-prep-vars.json); bench/lib/sameness.ts checks that both leave the
 * same files on fresh hosts. Differences in *how*, by design of the primitives:
 * - sysctl: one task for the file's three settings (Ansible loops `ansible.posix.sysctl` over
 *   them: one task too). File only — /proc/sys is read-only in the test hosts.
 * - kernel modules: the file only (no modprobe in a test host); Ansible copies the same content.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineRole, oneOf, Type, type Static } from 'novastation';
import {
  absent,
  authorizedKey,
  blockInFile,
  command,
  copy,
  directory,
  file,
  group,
  iniSetting,
  kernelModules,
  lineInFile,
  sudoers,
  symlink,
  sysctl,
  systemd,
  template,
  user,
} from '../../primitives.js';

const str = Type.String({ minLength: 1 });
const int = Type.Integer({ minimum: 0 });
const strings = Type.Array(str);

export const HostPrepVars = Type.Object({
  site_name: str,
  site_domain: str,
  admin_email: str,
  ops_gid: int,
  nova_uid: int,
  deploy_uid: int,
  deploy_keys: strings,
  root_admin_key: str,
  agent_interval: int,
  agent_endpoint: str,
  log_level: oneOf(['debug', 'info', 'warning', 'error']),
  sysctl: Type.Array(Type.Object({ name: str, value: str })),
  extra_hosts: Type.Array(Type.Object({ address: str, names: str })),
  kernel_modules: strings,
});
export type HostPrepVars = Static<typeof HostPrepVars>;

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
const defaults = JSON.parse(readFileSync(here('../../../host-prep-vars.json'), 'utf8')) as HostPrepVars;
const tpl = (name: string) => here(`./templates/${name}`);
const FILES = '../../../files/';

export const hostPrep = defineRole({
  name: 'host-prep',
  tags: ['host-prep'],
  vars: HostPrepVars,
  defaults,
  handlers: {
    'restart nova-agent': ({ host }) => systemd(host, { unit: 'nova-agent', state: 'restarted' }),
    'reload ssh': ({ host }) => systemd(host, { unit: 'ssh', state: 'reloaded' }),
  },
  async apply({ host, vars: v, inventoryHost, task }) {
    const facts = await host.facts();
    const tv = { ...v, host: inventoryHost, codename: facts.codename, arch: facts.arch };

    // --- site files ---------------------------------------------------------------------------
    await task('novastation folder', () => directory(host, { path: '/etc/novastation', mode: '0755' }));
    await task('site marker', () =>
      file(host, { path: '/etc/novastation/site', content: `${v.site_name}\n`, mode: '0644' }),
    );
    await task('login banner', () =>
      template(host, { path: '/etc/motd', src: tpl('motd.hbs'), vars: tv, mode: '0644' }),
    );
    await task('host settings', () =>
      template(host, {
        path: '/etc/novastation/host.conf',
        src: tpl('host.conf.hbs'),
        vars: tv,
        mode: '0640',
      }),
    );
    await task('no uname in the login message', () => absent(host, { path: '/etc/update-motd.d/10-uname' }));

    // --- accounts -----------------------------------------------------------------------------
    await task('group ops', () => group(host, { name: 'ops', gid: v.ops_gid }));
    await task('group nova', () => group(host, { name: 'nova', gid: v.nova_uid, system: true }));
    await task('service account nova', () =>
      user(host, {
        name: 'nova',
        uid: v.nova_uid,
        group: 'nova',
        system: true,
        shell: '/usr/sbin/nologin',
        home: '/var/lib/novastation',
        createHome: false,
        comment: 'NovaStation agent',
      }),
    );
    await task('user deploy', () =>
      user(host, {
        name: 'deploy',
        uid: v.deploy_uid,
        group: 'ops',
        groups: ['sudo'],
        shell: '/bin/bash',
        comment: 'Deploy user',
      }),
    );
    await task("deploy's SSH keys", () => authorizedKey(host, { user: 'deploy', keys: v.deploy_keys }));
    await task('admin key for root', () => authorizedKey(host, { user: 'root', keys: [v.root_admin_key] }));
    await task('sudo for deploy', () =>
      sudoers(host, { name: 'deploy', user: 'deploy', runAs: 'ALL:ALL', noPassword: true, commands: 'ALL' }),
    );
    await task('sudo for ops', () =>
      sudoers(host, {
        name: 'ops',
        group: 'ops',
        runAs: 'root',
        noPassword: true,
        commands: ['/usr/bin/systemctl restart nova-agent.service'],
      }),
    );

    // --- kernel settings (files only: /proc/sys is read-only in the test hosts) ---------------
    await task('kernel settings', () =>
      sysctl(host, {
        name: '60-novastation',
        settings: Object.fromEntries(v.sysctl.map((s) => [s.name, s.value])),
        live: false,
      }),
    );
    await task('kernel modules at boot', () =>
      kernelModules(host, { name: 'novastation', modules: v.kernel_modules }),
    );

    // --- line edits ---------------------------------------------------------------------------
    const sshd = { path: '/etc/ssh/sshd_config', validate: '/usr/sbin/sshd -t -f %s' };
    await task(
      'sshd PermitRootLogin',
      () =>
        lineInFile(host, {
          ...sshd,
          regexp: /^#?PermitRootLogin/,
          line: 'PermitRootLogin prohibit-password',
        }),
      {
        notify: 'reload ssh',
      },
    );
    await task(
      'sshd ClientAliveInterval',
      () => lineInFile(host, { ...sshd, regexp: /^#?ClientAliveInterval/, line: 'ClientAliveInterval 300' }),
      {
        notify: 'reload ssh',
      },
    );
    await task('site in the environment', () =>
      lineInFile(host, { path: '/etc/environment', regexp: /^NOVA_SITE=/, line: `NOVA_SITE=${v.site_name}` }),
    );
    await task('site hosts', () =>
      blockInFile(host, {
        path: '/etc/hosts',
        name: 'hosts',
        marker: '# {mark} NOVASTATION hosts',
        block: v.extra_hosts.map((h) => `${h.address} ${h.names}\n`).join(''),
      }),
    );
    const ini = { path: '/etc/novastation/agent.ini', mode: '0644' };
    await task('agent interval', () =>
      iniSetting(host, { ...ini, section: 'agent', key: 'interval', value: v.agent_interval }),
    );
    await task('agent endpoint', () =>
      iniSetting(host, { ...ini, section: 'agent', key: 'endpoint', value: v.agent_endpoint }),
    );
    await task('agent log level', () =>
      iniSetting(host, { ...ini, section: 'logging', key: 'level', value: v.log_level }),
    );

    // --- the agent and its service --------------------------------------------------------------
    await task('agent folder', () => directory(host, { path: '/opt/novastation/bin', mode: '0755' }));
    await task(
      'agent program',
      () =>
        copy(host, {
          path: '/opt/novastation/bin/nova-agent',
          src: here(`${FILES}nova-agent.sh`),
          mode: '0755',
        }),
      {
        notify: 'restart nova-agent',
      },
    );
    await task('health check program', () =>
      copy(host, {
        path: '/opt/novastation/bin/healthcheck',
        src: here(`${FILES}healthcheck.sh`),
        mode: '0755',
      }),
    );
    await task('health check on the PATH', () =>
      symlink(host, { path: '/usr/local/bin/nova-health', target: '/opt/novastation/bin/healthcheck' }),
    );
    await task('agent state folder', () =>
      directory(host, { path: '/var/lib/novastation', owner: 'nova', group: 'nova', mode: '0750' }),
    );
    await task(
      'agent unit',
      () =>
        template(host, {
          path: '/etc/systemd/system/nova-agent.service',
          src: tpl('nova-agent.service.hbs'),
          vars: tv,
          mode: '0644',
        }),
      {
        notify: 'restart nova-agent',
      },
    );
    await task('agent initialised', () =>
      command(host, {
        argv: ['/opt/novastation/bin/nova-agent', '--init'],
        creates: '/var/lib/novastation/initialized',
      }),
    );
    await task('agent enabled and running', () =>
      systemd(host, { unit: 'nova-agent', enabled: true, state: 'started' }),
    );
  },
});
