/**
 * Diagnostic playbook (`npm run bench -- --profile`): the host-prep role, with the number of
 * processes each task starts on the host — read from the host's pid namespace
 * (/proc/sys/kernel/ns_last_pid) before and after the task, less what that read itself starts.
 * Process starts dominate a no-op run's time on the host (each is milliseconds). Printed to
 * stderr as `spawns <n> <task>` lines.
 *
 * The role keeps its name (`host-prep`), so from its second run on it gets the engine's prefetch
 * (lib/host/prefetch.ts) like the real playbook; a first role (`spawns-start`) reads the counter
 * before it, so the prefetched batch, sent when host-prep starts, is counted too. The counter is
 * read with something on stdin: such a read is never recorded nor prefetched, so it always reads
 * the host now (its own processes, the same every time, are the measured `overhead`).
 */
import { definePlaybook, defineRole, Type } from 'novastation';
import type { Host, RoleContext, TaskResult } from 'novastation';
import { hostPrep, type HostPrepVars } from './roles/host-prep/index.js';

/** The host's last pid, read by bash itself. */
const lastPid = async (host: Host): Promise<number> => {
  const r = await host.probe({ input: '\n' })`read -r n < /proc/sys/kernel/ns_last_pid; echo "$n"`;
  return Number(r.stdout.trim());
};

/** Per host: the counter before host-prep started, and what one read costs. */
const startOf = new Map<string, { pid: number; overhead: number }>();

const start = defineRole({
  name: 'spawns-start',
  vars: Type.Object({}),
  async apply({ host, inventoryHost }) {
    const a = await lastPid(host);
    const overhead = (await lastPid(host)) - a;
    startOf.set(inventoryHost, { pid: await lastPid(host), overhead });
  },
});

const spawns = defineRole<HostPrepVars>({
  ...hostPrep,
  async apply(ctx: RoleContext<HostPrepVars>) {
    const last = () => lastPid(ctx.host);
    const s = startOf.get(ctx.inventoryHost)!;
    const overhead = s.overhead;
    const lines: string[] = [];
    // Processes between the last read of spawns-start and this one: the prefetch batch.
    const batch = (await last()) - s.pid - overhead;
    lines.push(`spawns ${String(batch).padStart(3)} (prefetch batch)`);
    let total = batch;
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
    const f = (await last()) - facts - overhead;
    total += f;
    lines.push(`spawns ${String(f).padStart(3)} (facts)`);
    await hostPrep.apply({ ...ctx, task });
    lines.push(`spawns ${String(total).padStart(3)} (all of host-prep on ${ctx.inventoryHost})`);
    process.stderr.write(`${lines.join('\n')}\n`);
  },
});

export default definePlaybook({
  name: 'host preparation (process starts per task)',
  plays: [{ hosts: 'all', roles: [start, spawns] }],
});
