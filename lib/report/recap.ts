/**
 * The PLAY RECAP table, aligned and counted like Ansible's, one line per host: `ok` counts every
 * successful task, changed or not; `ignored` the failures a task allowed (ignoreErrors).
 */
import type { RecapEvent } from './events.js';

export function formatRecap(recap: RecapEvent): string[] {
  const names = Object.keys(recap.hosts);
  const width = Math.max(4, ...names.map((n) => n.length));
  const lines = ['', 'PLAY RECAP'];
  for (const name of names) {
    const c = recap.hosts[name]!;
    lines.push(
      `${name.padEnd(width)} : ok=${String(c.ok).padEnd(4)} changed=${String(c.changed).padEnd(4)} ` +
        `unreachable=${String(c.unreachable).padEnd(4)} failed=${String(c.failed).padEnd(4)} ` +
        `skipped=${String(c.skipped).padEnd(4)} ignored=${c.ignored ?? 0}`,
    );
  }
  for (const [name, notes] of Object.entries(recap.notices ?? {}))
    for (const note of notes) lines.push(`${name.padEnd(width)} : ${note}`);
  lines.push(`(${(recap.durationMs / 1000).toFixed(2)} s)`);
  return lines;
}
