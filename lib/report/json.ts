/**
 * `--json`: JSON Lines on stdout, one object per task result, per unreachable host, and a last
 * recap line. Serialised first, then masked: the masker knows each secret's JSON-escaped form.
 */
import type { Reporter, RunEvent } from './events.js';
import type { Output } from './output.js';

export function jsonReporter(out: Output): Reporter {
  return {
    event(e: RunEvent) {
      if (e.type === 'task' || e.type === 'host' || e.type === 'recap') out.line(JSON.stringify(e));
    },
    async close() {},
  };
}

export function combineReporters(reporters: Reporter[]): Reporter {
  return {
    event(e) {
      for (const r of reporters) r.event(e);
    },
    async close() {
      for (const r of reporters) await r.close();
    },
  };
}
