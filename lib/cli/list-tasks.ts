/**
 * `--list-tasks`. NovaStation's tasks are code inside each role (loops, conditions, facts), so
 * they cannot be listed without running it. What can be listed honestly, running nothing on any
 * host: the plays, their host patterns, roles and tags the playbook declares, and each role's
 * tasks as the last recorded run of this playbook met them (`.novastation/runs/`), marked as such.
 */
import { roleUse, type Playbook } from '../define.js';
import { localTime } from './history-command.js';
import type { RunRecord } from '../report/run-record.js';

/** Task names per role in the order the run met them (all hosts, handlers and engine entries left out). */
function tasksByRole(run: RunRecord): Map<string, string[]> {
  const byRole = new Map<string, string[]>();
  for (const host of Object.values(run.hosts ?? {})) {
    for (const t of host.tasks) {
      if (t.handler || t.task.startsWith('(')) continue;
      const names = byRole.get(t.role) ?? [];
      if (!names.includes(t.task)) names.push(t.task);
      byRole.set(t.role, names);
    }
  }
  return byRole;
}

export function listTasks(
  playbook: Playbook,
  file: string,
  onlyRoles: string[],
  source: { run: RunRecord } | { runsDir: string },
): string {
  const run = 'run' in source ? source.run : undefined;
  const recorded = run ? tasksByRole(run) : undefined;
  const lines = [`playbook: ${file} (${playbook.name})`];
  if (run)
    lines.push(
      `  (tasks as recorded by run ${run.id} of ${localTime(run.startedAt)}${run.options?.check ? ', check mode' : ''}: ` +
        'tasks are code, so a role changed since then may differ)',
    );
  playbook.plays.forEach((play, i) => {
    lines.push(
      '',
      `  play #${i + 1} (${play.hosts}): ${play.name ?? ''}\tTAGS: [${(play.tags ?? []).join(', ')}]`,
    );
    for (const use of play.roles.map(roleUse)) {
      if (onlyRoles.length && !onlyRoles.includes(use.role.name)) continue;
      const tags = [...(use.tags ?? []), ...(use.role.tags ?? [])];
      const delegated = use.role.delegate === 'controller' ? ' (runs on the controller)' : '';
      lines.push(`    role ${use.role.name}${delegated}\tTAGS: [${tags.join(', ')}]`);
      if (recorded) {
        const names = recorded.get(use.role.name);
        lines.push(...(names?.length ? names.map((n) => `      ${n}`) : ['      (not in that run)']));
      }
    }
  });
  if (!run)
    lines.push(
      '',
      `  (no run of this playbook is recorded in ${'runsDir' in source ? source.runsDir : '?'}: tasks are code inside each ` +
        'role, known once it has run; after a run (--check changes nothing) they are listed here)',
    );
  lines.push('');
  return lines.join('\n');
}
