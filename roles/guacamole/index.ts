/**
 * `guacamole`: Apache Guacamole on the gateway by Docker Compose — guacd, the webapp and
 * PostgreSQL — with the webapp on the gateway's loopback for nginx. Facts behind every choice:
 * ../shared/docs/research/guacamole-nginx-rdp.md §1 and §7.
 *
 * The live project is replaced only by a candidate that passed the Compose Specification's schema
 * (on the controller) and `docker compose config` (on the gateway, against the temp file before
 * the rename): a bad candidate fails the task and leaves the running stack as it was. Compose is
 * asked to `up` only when the project or its secrets changed or a service is not running.
 */
import { defineRole, type RoleContext } from '../../lib/define.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { apt, directory, file, systemd, template, waitFor } from '../../tasks/index.js';
import {
  COMPOSE_TEMPLATE,
  RECORDINGS,
  composeTemplateVars,
  renderCompose,
  secretsEnv,
} from './compose-project.js';
import { composeProblems } from './compose-schema.js';
import { dockerDistro } from './distros.js';
import { allHealthy, createSchema, schemaPresent, serviceStates, stackOf, up, waitHealthy } from './stack.js';
import { SERVICES, guacamoleDefaults, guacamoleVarsSchema, type GuacamoleVars } from './vars.js';
import { checkUsersInput, syncUsersTask, usersDefaults, usersVarsSchema, type UsersVars } from './users.js';
import { siteOf } from '../../lib/site/index.js';

export type { GuacamoleVars } from './vars.js';

/** The stack's variables and the users sync's (roles/guacamole/users.ts), one role. */
type Vars = GuacamoleVars & UsersVars & { guacamole_users_sync: boolean; guacamole_stack: boolean };

const PRUNE_UNIT = 'guacamole-recordings-prune';

export const guacamole = defineRole<Vars>({
  name: 'guacamole',
  tags: ['guacamole'],
  vars: {
    ...guacamoleVarsSchema,
    properties: {
      ...guacamoleVarsSchema.properties,
      ...usersVarsSchema,
      guacamole_users_sync: {
        type: 'boolean',
        description: "keep Guacamole's users, connections and permissions equal to the site model",
      },
      guacamole_stack: {
        type: 'boolean',
        description:
          'deploy and keep the Compose stack on this host (false: Guacamole runs elsewhere, at guacamole_url; only the users sync runs)',
      },
    },
  },
  defaults: { ...guacamoleDefaults, ...usersDefaults, guacamole_users_sync: true, guacamole_stack: true },
  // Before any host is touched: the sync's input (an admin, an address for every assigned VM, a
  // password for every non-SSO user), and a loopback URL on the port the webapp is published on.
  check({ vars, site }) {
    if (!vars.guacamole_users_sync) return [];
    const problems: (string | Error)[] = checkUsersInput(site, vars);
    const url = new URL(vars.guacamole_url);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (vars.guacamole_stack && loopback && Number(url.port || 80) !== vars.guacamole_http_port)
      problems.push(
        `guacamole_url ${vars.guacamole_url} is on the gateway's loopback but the webapp is published on port ${vars.guacamole_http_port} (guacamole_http_port)`,
      );
    return problems;
  },
  async apply(ctx) {
    if (ctx.vars.guacamole_stack) await deployStack(ctx);
    // Users, connections and permissions through the webapp's REST API, reached on the gateway's
    // loopback through the run's SSH connection (roles/guacamole/users.ts).
    if (ctx.vars.guacamole_users_sync)
      await ctx.task('guacamole users and connections', () => syncUsersTask(ctx, siteOf(ctx)));
  },
});

/** The Compose stack: engine, project, secrets, up, schema, health, recordings' retention. */
async function deployStack(ctx: RoleContext<Vars>): Promise<void> {
  const { host, vars, task, secrets, check } = ctx;
  const distro = dockerDistro(await host.facts());
  const stack = stackOf(vars, distro);
  // Rendered and checked against the Compose schema before anything on the host is touched.
  const candidate = renderCompose(vars);
  const problems = composeProblems(candidate);
  if (problems.length)
    throw new Error(
      `guacamole: the Compose project does not match the Compose Specification:\n  ${problems.join('\n  ')}`,
    );

  await task('docker packages', async () => {
    const changes: string[] = [];
    // Another engine serves this host: the packaged daemon must never start and compete with it.
    if (vars.guacamole_docker_engine === 'external')
      for (const unit of distro.daemonUnits) {
        const r = await systemd(host, { unit, masked: true });
        changes.push(...(r.changes ?? []));
      }
    const r = await apt(host, { packages: [...distro.engine, ...distro.compose], cacheValidTime: 86_400 });
    changes.push(...(r.changes ?? []));
    return { changed: changes.length > 0, changes };
  });

  if (vars.guacamole_docker_engine === 'local') {
    const settings = await task('docker daemon settings', () =>
      file(host, {
        path: '/etc/docker/daemon.json',
        content: `${JSON.stringify(vars.guacamole_docker_daemon, null, 2)}\n`,
        mode: '0644',
      }),
    );
    await task('docker engine running', () =>
      systemd(host, {
        unit: 'docker.service',
        enabled: true,
        state: settings.status === 'changed' ? 'restarted' : 'started',
      }),
    );
  } else {
    await task('docker engine answers', () =>
      waitFor(host, { path: '/var/run/docker.sock', timeoutMs: 30_000 }),
    );
  }

  await task('project folder', () =>
    directory(host, { path: stack.dir, owner: 'root', group: 'root', mode: '0750' }),
  );

  const dbPassword = await secrets.generate('guacamole_db_password', { length: 32 });
  const env = await task('secrets env file', () =>
    file(host, { path: `${stack.dir}/secrets.env`, content: secretsEnv(dbPassword), mode: '0600' }),
  );

  // `config` on the temp file, in the project folder (env_file paths are relative to it).
  const validate = `${stack.compose.slice(0, -1).map(quotePosix).join(' ')} %s config --quiet`;
  const project = await task('compose project', () =>
    template(host, {
      path: stack.composeFile,
      src: COMPOSE_TEMPLATE,
      vars: composeTemplateVars(vars),
      mode: '0640',
      validate,
    }),
  );

  const services = SERVICES;
  const upResult = await task('stack up', async () => {
    const states = await serviceStates(host, stack);
    const why = [
      project.status === 'changed' ? 'project changed' : '',
      env.status === 'changed' ? 'secrets changed' : '',
      ...services.filter((s) => states?.get(s)?.state !== 'running').map((s) => `${s} not running`),
    ].filter(Boolean);
    if (!why.length) return { changed: false };
    if (check) return { changed: true, changes: [`would run compose up (${why.join(', ')})`] };
    await up(host, stack);
    return { changed: true, changes: [`compose up (${why.join(', ')})`] };
  });

  await task('database schema', async () => {
    const states = await serviceStates(host, stack);
    const postgres = states?.get('postgres');
    if (check && postgres?.state !== 'running')
      return { changed: true, changes: ['would create the schema if the new database lacks it'] };
    if (!postgres) throw new Error('guacamole: no postgres container after compose up');
    // Compose started the webapp only once PostgreSQL was healthy, so it answers now.
    if (await schemaPresent(host, stack, vars, postgres.id)) return { changed: false };
    if (check) return { changed: true, changes: ['would create the schema (initdb.sh --postgresql)'] };
    await createSchema(host, vars, postgres.id);
    return { changed: true, changes: ['schema created from the webapp image (initdb.sh --postgresql)'] };
  });

  await task('stack healthy', async () => {
    if (check && upResult.status === 'changed') return { changed: false, message: 'check mode: not started' };
    if (upResult.status !== 'changed' && allHealthy(await serviceStates(host, stack), services))
      return { changed: false };
    await waitHealthy(host, stack, services, vars.guacamole_health_timeout);
    return { changed: false };
  });

  const recording = vars.guacamole_recording;
  if (recording && recording.retention_days > 0) {
    const find = `find ${RECORDINGS} -mindepth 1 -mtime +${recording.retention_days} -delete`;
    const script = `c=$(docker ps -q --filter label=com.docker.compose.project=${stack.project} --filter label=com.docker.compose.service=guacd) && [ -n "$c" ] && docker exec -u 0 "$c" ${find}`;
    await task('recordings retention', async () => {
      const unit = await file(host, {
        path: `/etc/systemd/system/${PRUNE_UNIT}.service`,
        content: `[Unit]\nDescription=Delete Guacamole session recordings older than ${recording.retention_days} days\n\n[Service]\nType=oneshot\nExecStart=/bin/sh -c ${quotePosix(script).replace(/\$/g, '$$$$')}\n`,
        mode: '0644',
      });
      const timer = await file(host, {
        path: `/etc/systemd/system/${PRUNE_UNIT}.timer`,
        content: `[Unit]\nDescription=Daily deletion of old Guacamole session recordings\n\n[Timer]\nOnCalendar=daily\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n`,
        mode: '0644',
      });
      const enabled = await systemd(host, { unit: `${PRUNE_UNIT}.timer`, enabled: true, state: 'started' });
      const changes = [unit, timer, enabled].flatMap((r) => r.changes ?? []);
      return { changed: changes.length > 0, changes };
    });
  }
}
