/** `--profile`: time per role and per task, and remote round trips, printed at the end. */
import type { Reporter, RunEvent } from './events.js';
import type { Output } from './output.js';

export function profileReporter(out: Output): Reporter {
  const tasks = new Map<string, { ms: number; trips: number; count: number }>();
  const roles = new Map<string, { ms: number; trips: number }>();
  let total = 0;
  return {
    event(e: RunEvent) {
      if (e.type === 'task') {
        const key = `${e.role} | ${e.task}`;
        const t = tasks.get(key) ?? { ms: 0, trips: 0, count: 0 };
        t.ms += e.durationMs;
        t.trips += e.roundTrips ?? 0;
        t.count++;
        tasks.set(key, t);
        const r = roles.get(e.role) ?? { ms: 0, trips: 0 };
        r.ms += e.durationMs;
        r.trips += e.roundTrips ?? 0;
        roles.set(e.role, r);
      }
      if (e.type === 'recap') total = e.durationMs;
    },
    async close() {
      const trips = [...roles.values()].reduce((s, r) => s + r.trips, 0);
      out.line('');
      out.line(
        `PROFILE (task time summed over hosts; wall clock ${(total / 1000).toFixed(3)} s; ${trips} remote round trips)`,
      );
      for (const [name, r] of [...roles].sort((a, b) => b[1].ms - a[1].ms))
        out.line(`  role ${name}: ${r.ms} ms, ${r.trips} round trips`);
      for (const [name, t] of [...tasks].sort((a, b) => b[1].ms - a[1].ms))
        out.line(`    ${name}: ${t.ms} ms over ${t.count} host(s), ${t.trips} round trips`);
    },
  };
}
