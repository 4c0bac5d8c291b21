/**
 * Runs a planned playbook. Plays run in order, each after the previous one has finished on all
 * its hosts; within a play every host goes through its roles on its own (Ansible's `free`
 * strategy), up to --forks hosts at once. A failed or unreachable host leaves the run (as in
 * Ansible) and never stops the others. Each host has one connection for the whole run.
 */
import { ExitCode } from '../errors.js';
import { Host } from '../host/host.js';
import {
  countTask,
  emptyCounts,
  type HostCounts,
  type RecapEvent,
  type Reporter,
  type RunEvent,
} from '../report/events.js';
import { openConnection } from '../transport/index.js';
import { UnreachableError, type ConnectionTarget } from '../transport/types.js';
import { NamedLocks, Semaphore } from './locks.js';
import { resolveProducedSecrets } from './produced-secrets.js';
import { errorText, Interrupted, RoleFailed, runRole } from './role-run.js';
import type { RunPlan } from './run-plan.js';
import type { RunOptions, RunState } from './run-state.js';

export interface RunResult {
  exitCode: ExitCode;
  recap: RecapEvent;
}

interface HostState {
  host: Host;
  controller: Host;
  status: 'active' | 'failed' | 'unreachable';
}

export async function executePlan(
  plan: RunPlan,
  options: RunOptions,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<RunResult> {
  const started = Date.now();
  const counts: Record<string, HostCounts> = {};
  const notices: Record<string, string[]> = {};
  const emit = (event: RunEvent) => {
    if (event.type === 'task') {
      countTask((counts[event.host] ??= emptyCounts()), event);
      if (event.notice) (notices[event.host] ??= []).push(event.notice);
    } else if (event.type === 'host') {
      (counts[event.host] ??= emptyCounts()).unreachable++;
    }
    reporter.event(event);
  };
  const run: RunState = { options, signal, locks: new NamedLocks(), emit };
  const hosts = new Map<string, HostState>();
  const stateOf = (name: string): HostState => {
    let state = hosts.get(name);
    if (!state) {
      const target = plan.targets.get(name)!;
      state = {
        host: makeHost(target, options),
        controller: makeController(name, options),
        status: 'active',
      };
      hosts.set(name, state);
    }
    return state;
  };

  const forks = new Semaphore(options.forks);
  const throttles = new NamedLocks();
  try {
    for (const play of plan.plays) {
      if (signal.aborted) break;
      const active = play.hosts.filter((h) => (hosts.get(h.name)?.status ?? 'active') === 'active');
      emit({ type: 'play', name: play.name, pattern: play.pattern, hosts: active.map((h) => h.name) });
      for (const h of active) counts[h.name] ??= emptyCounts();
      await Promise.all(
        active.map((planned) =>
          forks.use(async () => {
            const state = stateOf(planned.name);
            try {
              await resolveProducedSecrets(planned.roles, options.secrets, options.check);
            } catch (error) {
              // In check mode the producing role created nothing: this play cannot run on the
              // host, which is not a failure of the host.
              if (!options.check) state.status = 'failed';
              emit({
                type: 'task',
                host: planned.name,
                role: planned.roles[0]?.role.name ?? '(play)',
                task: '(secrets)',
                status: options.check ? 'skipped' : 'failed',
                [options.check ? 'message' : 'error']: errorText(error),
                startedAt: Date.now(),
                durationMs: 0,
              });
              return;
            }
            for (const role of planned.roles) {
              if (signal.aborted || state.status !== 'active') break;
              const host = role.role.delegate === 'controller' ? state.controller : state.host;
              const go = () =>
                runRole(run, { ...role, inventoryHost: planned.name, host, controller: state.controller });
              try {
                await (role.role.throttle
                  ? throttles.with(`role:${role.role.name}`, go, role.role.throttle)
                  : go());
              } catch (error) {
                if (error instanceof RoleFailed) state.status = 'failed';
                else if (error instanceof UnreachableError) {
                  state.status = 'unreachable';
                  emit({ type: 'host', host: planned.name, status: 'unreachable', error: error.message });
                } else if (error instanceof Interrupted) break;
                else {
                  state.status = 'failed';
                  emit({
                    type: 'task',
                    host: planned.name,
                    role: role.role.name,
                    task: '(engine)',
                    status: 'failed',
                    error: errorText(error),
                    startedAt: Date.now(),
                    durationMs: 0,
                  });
                }
              }
            }
          }),
        ),
      );
    }
  } finally {
    await Promise.all([...hosts.values()].flatMap((s) => [s.host.close(), s.controller.close()]));
  }

  const recap: RecapEvent = {
    type: 'recap',
    hosts: counts,
    ...(Object.keys(notices).length ? { notices } : {}),
    durationMs: Date.now() - started,
  };
  emit(recap);
  const statuses = [...hosts.values()].map((s) => s.status);
  const exitCode = signal.aborted
    ? ExitCode.interrupted
    : statuses.includes('failed')
      ? ExitCode.hostFailed
      : statuses.includes('unreachable')
        ? ExitCode.hostUnreachable
        : ExitCode.ok;
  return { exitCode, recap };
}

function makeHost(target: ConnectionTarget, options: RunOptions): Host {
  return new Host({
    name: target.name,
    check: options.check,
    shellType: target.shellType,
    connect: () => openConnection(target, options.ssh),
  });
}

/** The controller, acting for one inventory host: its own local shell, so hosts do not queue behind each other. */
function makeController(forHost: string, options: RunOptions): Host {
  const target: ConnectionTarget = {
    name: 'localhost',
    kind: 'local',
    address: 'localhost',
    shellType: 'sh',
  };
  return new Host({
    name: `localhost (for ${forHost})`,
    check: options.check,
    shellType: 'sh',
    connect: () => openConnection(target, options.ssh),
  });
}
