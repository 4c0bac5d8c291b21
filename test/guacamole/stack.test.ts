/**
 * The `guacamole` role's stack on a real Debian 12 test host, through the real CLI over SSH: the
 * host's Docker engine is the machine's dockerd in the host's network namespace (harness option
 * `docker`), the images are local stand-ins under the real names (standin-images.ts). What this
 * exercises for real: Debian's docker.io and docker-compose 1.29 installed on the host, the
 * rendered project checked by the Compose schema and `docker-compose config`, `up -d`, health
 * checks, the named database volume, the schema from the webapp image's `initdb.sh --postgresql`
 * on first deploy only, recreation on change, loopback-only publishing, check mode.
 * Not exercised: the real guacd/webapp/postgres images (no registry), a daemon managed by the role
 * (`guacamole_docker_engine: local`: daemon.json and the docker service), Compose v2.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER_CLI, DOCKERD } from '../harness/docker-daemon.js';
import { run } from '../harness/run.js';
import { runCli, taskEvents, type CliRun } from '../support/cli.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { IMAGES, loadStandinImages } from './standin-images.js';
import { PASSWORDS } from './sync-support.js';

const PLAYBOOK = 'test/fixtures/guacamole/stack-playbook.ts';
const USERS_PLAYBOOK = 'test/fixtures/guacamole/playbook.ts';
const VAULT_PASSWORD = 'stack-test-vault-password';
const noDocker = !existsSync(DOCKERD);
if (noDocker && process.env.CI !== 'true')
  console.warn(`guacamole stack tests skipped: no ${DOCKERD} on this machine`);

describe.skipIf(skipHosts || (noDocker && process.env.CI !== 'true'))(
  'guacamole stack on a real host',
  () => {
    let f: HostFixture;
    let host: string;
    let docker: NodeJS.ProcessEnv;
    let vault: string;

    const playbook = (...args: string[]) =>
      runCli([PLAYBOOK, ...f.sshArgs, '--vault', vault, '--json', ...args], {
        env: { NOVASTATION_VAULT_PASSWORD: VAULT_PASSWORD },
        timeoutMs: 420_000,
      });
    const machineDocker = async (...args: string[]) =>
      (await run(DOCKER_CLI, args, { env: docker, timeoutMs: 60_000 })).stdout.trim();
    /** service → container id, state and health of the project's containers. */
    const containers = async () => {
      const out = await machineDocker(
        'ps',
        '--all',
        '--filter',
        'label=com.docker.compose.project=guacamole',
        '--format',
        '{{.Label "com.docker.compose.service"}} {{.ID}} {{.State}} {{.Status}}',
      );
      return Object.fromEntries(
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            const [service, id, state, ...status] = l.split(' ');
            return [service!, { id: id!, state: state!, healthy: status.join(' ').includes('(healthy)') }];
          }),
      );
    };
    const ids = async () => Object.fromEntries(Object.entries(await containers()).map(([s, c]) => [s, c.id]));
    const psql = async (sql: string) => {
      const pg = (await containers()).postgres!.id;
      return machineDocker(
        'exec',
        pg,
        'psql',
        '-tA',
        '-U',
        'guacamole_user',
        '-d',
        'guacamole_db',
        '-c',
        sql,
      );
    };
    const exec = async (cmd: string) => (await f.hosts.exec(host, cmd)).stdout;
    const recap = (r: CliRun) => r.events.at(-1)!.hosts[host];
    const status = (r: CliRun, task: string) => taskEvents(r, { task })[0]?.status;

    beforeAll(async () => {
      f = await bootFixture(1, 'guac', { docker: true });
      host = f.hosts.hosts[0]!.name;
      docker = f.hosts.dockerEnv(host);
      vault = join(f.dir, 'secrets.vault');
      const inventory = readFileSync(f.inventory, 'utf8').replace(
        `    ${host}:\n`,
        // The engine is the machine's daemon behind the socket: the role must not start its own.
        // The users sync runs in its own test below, through the fixture role that calls the
        // same task body against this deployed stack.
        `    ${host}:\n      guacamole_docker_engine: external\n      guacamole_health_timeout: 150\n      guacamole_users_sync: false\n`,
      );
      writeFileSync(f.inventory, inventory);
      await loadStandinImages(docker, (l) => console.log(l));
    }, 600_000);
    afterAll(async () => {
      await f?.hosts.teardown();
    }, 120_000);

    it('bad input exits 4 naming the variable, before the host is touched', async () => {
      const upper = await f.hosts.snapshotUpper(host);
      const r = await playbook(
        '-e',
        JSON.stringify({ guacamole_release: '1.5', guacamole_ban: { max_addresses: 9 } }),
      );
      expect(r.code, r.stdout + r.stderr).toBe(4);
      // With guacamole_ban set, only 1.6 is allowed: the error names the release variable.
      expect(r.stdout + r.stderr).toMatch(
        /variable guacamole_release \(from --extra-vars\) .*\(one of 1\.6\)/,
      );
      const image = await playbook('-e', 'guacamole_webapp_image=guacamole/guacamole');
      expect(image.code).toBe(4);
      expect(image.stdout + image.stderr).toContain('guacamole_webapp_image');
      expect(taskEvents(image)).toHaveLength(0);
      expect(await f.hosts.snapshotUpper(host)).toBe(upper);
    }, 120_000);

    it('check mode on the fresh host plans everything and changes nothing', async () => {
      const upper = await f.hosts.snapshotUpper(host);
      const r = await playbook('--check');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      for (const task of ['docker packages', 'compose project', 'stack up', 'database schema'])
        expect(status(r, task), task).toBe('changed');
      expect(await f.hosts.snapshotUpper(host)).toBe(upper);
      expect(await containers()).toEqual({});
    }, 180_000);

    it('converges: docker.io and docker-compose 1.29, the project, up, healthy, the schema once', async () => {
      const first = await playbook();
      expect(first.code, first.stdout + first.stderr).toBe(0);
      for (const task of [
        'docker packages',
        'secrets env file',
        'compose project',
        'stack up',
        'database schema',
      ])
        expect(status(first, task), task).toBe('changed');
      // The packaged daemon never started: the machine's engine serves the host.
      expect(await exec('systemctl is-enabled docker.service docker.socket containerd.service')).toBe(
        'masked\nmasked\nmasked\n',
      );
      expect(await exec('docker-compose version --short')).toMatch(/^1\.29\./);

      const c = await containers();
      expect(Object.keys(c).sort()).toEqual(['guacamole', 'guacd', 'postgres']);
      for (const s of Object.values(c)) expect(s).toMatchObject({ state: 'running', healthy: true });
      expect(await machineDocker('inspect', '--format', '{{.Config.Image}}', c.guacamole!.id)).toBe(
        IMAGES.webapp,
      );

      // The schema came from the webapp image's initdb.sh, into the named volume's database.
      expect(await psql("select count(*) from guacamole_entity where name = 'guacadmin'")).toBe('1');
      const mounts = await machineDocker(
        'inspect',
        '--format',
        '{{range .Mounts}}{{.Name}} {{end}}',
        c.postgres!.id,
      );
      expect(mounts).toContain('guacamole_pgdata');

      // Published on the gateway's loopback only; guacd and PostgreSQL not at all.
      const url = 'http://127.0.0.1:8080/guacamole/api/languages';
      expect(
        await exec(`python3 -c "import urllib.request;print(urllib.request.urlopen('${url}').status)"`),
      ).toBe('200\n');
      expect(await machineDocker('port', c.guacamole!.id)).toBe('8080/tcp -> 127.0.0.1:8080');
      expect(await machineDocker('port', c.guacd!.id)).toBe('');
      expect(await machineDocker('port', c.postgres!.id)).toBe('');
      const address = f.hosts.hosts[0]!.address;
      const outside = await run(
        'python3',
        ['-c', `import socket;socket.create_connection(('${address}',8080),3)`],
        {
          allowFail: true,
        },
      );
      expect(outside.exitCode).not.toBe(0);

      // 1.6 names reached the images: the webapp logged in to PostgreSQL with POSTGRESQL_USERNAME and
      // the password from secrets.env; guacd read LOG_LEVEL.
      const webappLog = await machineDocker('logs', c.guacamole!.id);
      expect(webappLog).toContain('database login ok');
      expect(webappLog).toContain('POSTGRESQL_USERNAME');
      expect(webappLog).not.toContain('deprecated');
      expect(await machineDocker('logs', c.guacd!.id)).toContain('log level info');

      // The password: in a 0600 file and the vault, nowhere in the run's output or the compose file.
      expect(await exec('stat -c %a /opt/guacamole/secrets.env')).toBe('600\n');
      const password = /^POSTGRES_PASSWORD=(.+)$/m.exec(await exec('cat /opt/guacamole/secrets.env'))![1]!;
      expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(first.stdout + first.stderr).not.toContain(password);
      expect(await exec('cat /opt/guacamole/docker-compose.yml')).not.toContain(password);
      expect(readFileSync(vault, 'utf8')).not.toContain(password);
    }, 600_000);

    it('a second run reports 0 changed and leaves every container as it was', async () => {
      const before = await ids();
      const second = await playbook();
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect(recap(second)).toMatchObject({ changed: 0, failed: 0 });
      expect(await ids()).toEqual(before);
    }, 300_000);

    it('the users sync (roles/guacamole/users.ts) runs against the deployed stack over an SSH port forward', async () => {
      // The users half's fixture playbook (its role builds the site model from `test_site`; the
      // role's index will read it with lib/site's reader), aimed at the stack's loopback URL.
      const site = {
        users: [
          { login: 'root', admin: true, vms: ['vm-gpu-01'] },
          { login: 'alice', vms: ['vm-dev-01'] },
        ],
        vms: [
          { name: 'vm-dev-01', os: 'ubuntu', kind: 'dev', address: '10.0.10.11', rdpPort: 3389 },
          { name: 'vm-gpu-01', os: 'windows', kind: 'gpu', address: '10.0.10.31', rdpPort: 3389 },
        ],
      };
      const h = f.hosts.hosts[0]!;
      const inventory = join(f.dir, 'gateway.yml');
      writeFileSync(
        inventory,
        [
          'all:',
          '  children:',
          '    gateway:',
          '      hosts:',
          `        ${host}:`,
          `          ansible_host: ${h.address}`,
          '          ansible_user: root',
          `          ansible_ssh_private_key_file: ${JSON.stringify(f.hosts.privateKeyFile)}`,
          `          test_site: ${JSON.stringify(site)}`,
          '          test_password_root: !env ROOT_PW',
          '          test_password_alice: !env ALICE_PW',
          '',
        ].join('\n'),
      );
      const users = (...args: string[]) =>
        runCli(
          [
            USERS_PLAYBOOK,
            '-i',
            inventory,
            '--known-hosts',
            f.knownHosts,
            '--vault',
            vault,
            '--json',
            ...args,
          ],
          {
            env: {
              NOVASTATION_VAULT_PASSWORD: VAULT_PASSWORD,
              ROOT_PW: PASSWORDS.root,
              ALICE_PW: PASSWORDS.alice,
            },
            timeoutMs: 180_000,
          },
        );
      const first = await users();
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(status(first, 'guacamole users and connections')).toBe('changed');
      const second = await users();
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect(recap(second)).toMatchObject({ changed: 0, failed: 0 });
      for (const pw of Object.values(PASSWORDS)) expect(first.stdout + first.stderr).not.toContain(pw);

      // Asked of the deployed webapp on the gateway's loopback: the default admin is gone, alice
      // logs in and sees exactly her connection, not root's.
      const login = async (user: string, password: string) =>
        exec(
          `python3 - <<'EOF'\nimport json, urllib.request, urllib.parse\nbase = 'http://127.0.0.1:8080/guacamole/api'\ntry:\n    r = urllib.request.urlopen(base + '/tokens', urllib.parse.urlencode({'username': ${JSON.stringify(user)}, 'password': ${JSON.stringify(password)}}).encode())\n    t = json.load(r)\n    req = urllib.request.Request(base + '/session/data/' + t['dataSource'] + '/connections', headers={'Guacamole-Token': t['authToken']})\n    print(200, sorted(c['name'] for c in json.load(urllib.request.urlopen(req)).values()))\nexcept urllib.error.HTTPError as e:\n    print(e.code)\nEOF`,
        );
      expect((await login('guacadmin', 'guacadmin')).trim()).toBe('403');
      expect((await login('alice', PASSWORDS.alice)).trim()).toBe("200 ['vm-dev-01']");
      expect((await login('root', PASSWORDS.root)).trim()).toBe("200 ['vm-dev-01', 'vm-gpu-01']");
    }, 300_000);

    it('check mode after a change reports it and changes nothing, on the host or in Docker', async () => {
      const before = await ids();
      const upper = await f.hosts.snapshotUpper(host);
      const r = await playbook('--check', '--diff', '-e', 'guacamole_guacd_log_level=debug');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(status(r, 'compose project')).toBe('changed');
      expect(status(r, 'stack up')).toBe('changed');
      expect(r.stdout).toContain('LOG_LEVEL');
      expect(await f.hosts.snapshotUpper(host)).toBe(upper);
      expect(await ids()).toEqual(before);
    }, 300_000);

    it('a changed setting recreates exactly the service it concerns; the schema is never re-run', async () => {
      // A row the schema script does not make: it must survive everything below.
      await psql("insert into guacamole_entity (name, type) values ('marker', 'USER')");
      const before = await ids();
      const r = await playbook('-e', 'guacamole_guacd_log_level=debug');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(status(r, 'stack up')).toBe('changed');
      expect(status(r, 'database schema')).toBe('ok');
      const after = await ids();
      expect(after.guacd).not.toBe(before.guacd);
      expect(after.postgres).toBe(before.postgres);
      const c = await containers();
      for (const s of Object.values(c)) expect(s).toMatchObject({ state: 'running', healthy: true });
      expect(await machineDocker('logs', c.guacd!.id)).toContain('log level debug');

      // PostgreSQL recreated on the same named volume: the data stays, initdb.sh is not run again.
      const pg = await playbook(
        '-e',
        'guacamole_guacd_log_level=debug',
        '-e',
        JSON.stringify({ guacamole_service_overrides: { postgres: { shm_size: '128m' } } }),
      );
      expect(pg.code, pg.stdout + pg.stderr).toBe(0);
      expect((await ids()).postgres).not.toBe(after.postgres);
      expect(status(pg, 'database schema')).toBe('ok');
      expect(await psql("select string_agg(name, ',' order by entity_id) from guacamole_entity")).toBe(
        'guacadmin,marker',
      );
    }, 600_000);

    it('session recordings: a shared volume, and a daily timer that deletes those past the retention', async () => {
      const rec = JSON.stringify({ guacamole_recording: { retention_days: 7 } });
      const r = await playbook('-e', rec);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(status(r, 'recordings retention')).toBe('changed');
      expect(
        await exec(
          `systemctl is-enabled ${'guacamole-recordings-prune.timer'}; systemctl is-active guacamole-recordings-prune.timer`,
        ),
      ).toBe('enabled\nactive\n');
      const c = await containers();
      const dir = '/var/lib/guacamole/recordings';
      await machineDocker(
        'exec',
        '-u',
        '0',
        c.guacd!.id,
        'sh',
        '-c',
        `touch -d '10 days ago' ${dir}/old && touch ${dir}/new`,
      );
      expect(await machineDocker('exec', c.guacamole!.id, 'ls', dir)).toBe('new\nold'); // the webapp reads them
      expect((await f.hosts.exec(host, 'systemctl start guacamole-recordings-prune.service')).exitCode).toBe(
        0,
      );
      expect(await machineDocker('exec', c.guacd!.id, 'ls', dir)).toBe('new');
      const again = await playbook('-e', rec);
      expect(recap(again)).toMatchObject({ changed: 0, failed: 0 });
    }, 300_000);

    it('an invalid project fails before it replaces the live one; the running stack is untouched', async () => {
      const before = await ids();
      const live = await exec('sha256sum /opt/guacamole/docker-compose.yml');
      // Refused by the Compose Specification's schema, on the controller.
      const bySchema = await playbook(
        '-e',
        JSON.stringify({ guacamole_service_overrides: { guacd: { restartt: 'no' } } }),
      );
      expect(bySchema.code).toBe(2);
      expect(bySchema.stdout + bySchema.stderr).toMatch(
        /services\/guacd: must NOT have additional properties \(restartt\)/,
      );
      // Valid by the schema, refused by docker-compose config on the host (a link to no service).
      const byCompose = await playbook(
        '-e',
        JSON.stringify({ guacamole_service_overrides: { guacamole: { links: ['nowhere'] } } }),
      );
      expect(byCompose.code).toBe(2);
      expect(status(byCompose, 'compose project')).toBe('failed');
      expect(byCompose.stdout + byCompose.stderr).toContain('nowhere');
      expect(status(byCompose, 'stack up')).toBeUndefined();
      expect(await exec('sha256sum /opt/guacamole/docker-compose.yml')).toBe(live);
      expect(await exec('ls -A /opt/guacamole')).toBe('docker-compose.yml\nsecrets.env\n');
      expect(await ids()).toEqual(before);
    }, 300_000);
  },
);
