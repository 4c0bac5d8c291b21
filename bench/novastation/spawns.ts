/**
 * Diagnostic playbook (`npm run bench -- --profile`): the host-prep role, with the number of
 * processes each task starts on the host — read from the host's pid namespace
 * (/proc/sys/kernel/ns_last_pid) before and after the task, less what that read itself starts.
 * Process starts dominate a no-op run's time on the host (each is milliseconds; a state probe
 * needs only one or two). Printed to stderr as `spawns <n> <task>` lines.
 */
import { definePlaybook, defineRole } from 'novastation';
import type { RoleContext, TaskResult } from 'novastation';
import { hostPrep, type HostPrepVars } from './roles/host-prep/index.js';

const spawns = defineRole<HostPrepVars>({
  ...hostPrep,
  name: 'host-prep-spawns',
  async apply(ctx: RoleContext<HostPrepVars>) {
    const last = async () => Number((await ctx.host.probe`cat /proc/sys/kernel/ns_last_pid`).stdout.trim());
    const a0 = await last();
    const overhead = (await last()) - a0; // the read itself: the command's subshell and cat
    const lines: string[] = [];
    let total = 0;
    // Both forms of task (one body, or a loop over items) pass through unchanged.
    const forward = ctx.task as (name: string, ...args: unknown[]) => Promise<TaskResult>;
    const task = (async (name: string, ...args: unknown[]) => {
      const before = await last();
      const result = await forward(name, ...args);
      const n = (await last()) - before - overhead;
      total += n;
      lines.push(`spawns ${String(n).padStart(3)} ${name}`);
      return result;
    }) as RoleContext<HostPrepVars>['task'];
    const facts = await last();
    await ctx.host.facts();
    lines.unshift(`spawns ${String((await last()) - facts - overhead).padStart(3)} (facts)`);
    await hostPrep.apply({ ...ctx, task });
    lines.push(`spawns ${String(total).padStart(3)} (all tasks of ${ctx.inventoryHost})`);
    process.stderr.write(`${lines.join('\n')}\n`);
  },
});

export default definePlaybook({
  name: 'host preparation (process starts per task)',
  plays: [{ hosts: 'all', roles: [spawns] }],
});
