/**
 * The running stack as the gateway's Docker sees it, and the few commands that change it. Reads
 * go through the Docker CLI (one Go process each) rather than Compose v1 (a Python start-up of
 * about a second per call), using the labels Compose puts on its containers.
 */
import type { Host } from '../../lib/host/host.js';
import type { DockerDistro } from './distros.js';
import type { GuacamoleVars, ServiceName } from './vars.js';

export interface Stack {
  project: string;
  dir: string;
  composeFile: string;
  /** The Compose command with the project's options: `docker-compose -p guacamole -f …`. */
  compose: string[];
  composeV1: boolean;
}

export function stackOf(v: GuacamoleVars, distro: DockerDistro): Stack {
  const composeFile = `${v.guacamole_dir}/docker-compose.yml`;
  return {
    project: v.guacamole_project,
    dir: v.guacamole_dir,
    composeFile,
    compose: [
      ...distro.composeCommand,
      '--project-name',
      v.guacamole_project,
      '--project-directory',
      v.guacamole_dir,
      '--file',
      composeFile,
    ],
    composeV1: distro.composeV1,
  };
}

export interface ServiceState {
  id: string;
  /** `running`, `exited`, `restarting`, … */
  state: string;
  /** `healthy`, `starting`, `unhealthy`, or `` without a health check. */
  health: string;
}

/** The project's containers by service; null when Docker does not answer (not installed yet). */
export async function serviceStates(host: Host, stack: Stack): Promise<Map<string, ServiceState> | null> {
  const r = await host.probe({
    nothrow: true,
  })`docker ps --all --filter ${`label=com.docker.compose.project=${stack.project}`} --format ${'{{.Label "com.docker.compose.service"}}\t{{.ID}}\t{{.State}}\t{{.Status}}'}`;
  if (r.exitCode !== 0) return null;
  const out = new Map<string, ServiceState>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [service = '', id = '', state = '', status = ''] = line.split('\t');
    const health =
      /\((healthy|unhealthy|health: starting)\)/.exec(status)?.[1]?.replace('health: ', '') ?? '';
    out.set(service, { id, state, health });
  }
  return out;
}

export function allHealthy(states: Map<string, ServiceState> | null, services: readonly ServiceName[]) {
  return services.every((s) => states?.get(s)?.state === 'running' && states.get(s)?.health === 'healthy');
}

/** `up -d`: Compose recreates exactly the services whose configuration (image, env, …) changed. */
export async function up(host: Host, stack: Stack): Promise<void> {
  await host.$({ timeoutMs: 600_000 })`${stack.compose} up --detach --remove-orphans`;
}

/**
 * Waits until every service is running and healthy (Compose v1 has no `up --wait`): one remote
 * loop, so the wait costs one round trip, not one per poll.
 */
export async function waitHealthy(
  host: Host,
  stack: Stack,
  services: readonly ServiceName[],
  timeoutSeconds: number,
): Promise<void> {
  const label = `label=com.docker.compose.project=${stack.project}`;
  const r = await host.probe({ nothrow: true, timeoutMs: (timeoutSeconds + 30) * 1000 })`
    end=$(( $(date +%s) + ${timeoutSeconds} ))
    while :; do
      n=$(docker ps --filter ${label} --filter health=healthy --quiet | wc -l)
      [ "$n" -ge ${services.length} ] && exit 0
      [ "$(date +%s)" -ge "$end" ] && break
      sleep 1
    done
    docker ps --all --filter ${label} --format '{{.Names}}: {{.Status}}'
    exit 1`;
  if (r.exitCode !== 0)
    throw new Error(
      `guacamole: the stack did not become healthy within ${timeoutSeconds} s:\n${r.stdout.trim()}`,
    );
}

/** Whether the Guacamole schema is in the database (its first table; research §1.3). */
export async function schemaPresent(host: Host, stack: Stack, v: GuacamoleVars, postgresId: string) {
  const r =
    await host.probe`docker exec ${postgresId} psql -tA -U ${v.guacamole_db_user} -d ${v.guacamole_db_name} -c ${"select to_regclass('public.guacamole_entity') is not null"}`;
  return r.stdout.trim() === 't';
}

/**
 * The schema from the webapp image's own `initdb.sh --postgresql`, into the database in one
 * transaction: a failure leaves no half schema behind, and the next run tries again.
 */
export async function createSchema(host: Host, v: GuacamoleVars, postgresId: string): Promise<void> {
  await host.$({
    timeoutMs: 300_000,
  })`sql=$(docker run --rm --network none --entrypoint /opt/guacamole/bin/initdb.sh ${v.guacamole_webapp_image} --postgresql) && printf '%s\n' "$sql" | docker exec -i ${postgresId} psql -q -v ON_ERROR_STOP=1 --single-transaction -U ${v.guacamole_db_user} -d ${v.guacamole_db_name}`;
}
