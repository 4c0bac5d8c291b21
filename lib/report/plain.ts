/**
 * Line-by-line output for CI logs and pipes: one line per task result, prefixed with the host,
 * in the order results arrive (hosts run in parallel, so lines of hosts interleave).
 */
import type { Reporter, RunEvent, TaskEvent } from './events.js';
import { colours, type Output } from './output.js';
import { formatRecap } from './recap.js';

export interface HumanOptions {
  verbose: number;
  diff: boolean;
  check: boolean;
}

export function plainReporter(out: Output, options: HumanOptions): Reporter {
  const c = colours(out.isTTY && !process.env.NO_COLOR);
  const paint = { ok: c.green, changed: c.yellow, failed: c.red, skipped: c.cyan } as const;
  return {
    event(e: RunEvent) {
      switch (e.type) {
        case 'play':
          out.line(
            c.bold(
              `PLAY [${e.name}] ${options.check ? '(check mode) ' : ''}hosts: ${e.hosts.join(', ') || '(none matched)'}`,
            ),
          );
          break;
        case 'task': {
          const what = e.handler ? `handler ${e.task}` : e.task;
          const status =
            e.status === 'changed' && options.check
              ? 'would change'
              : e.ignored
                ? 'failed (ignored)'
                : e.status;
          let line = `${e.host} | ${e.role} | ${what} | ${paint[e.status](status)}`;
          if (options.verbose > 0 || e.status !== 'ok') line += c.dim(` (${e.durationMs} ms)`);
          if (e.message && (options.verbose > 0 || e.status === 'skipped')) line += ` — ${e.message}`;
          out.line(line);
          if (e.error) out.line(c.red(indent(errorDetail(e, options.verbose))));
          if (e.changes?.length && (options.verbose > 0 || options.diff || options.check))
            out.line(indent(e.changes.join('\n')));
          if (e.diff && options.diff) out.line(e.diff.trimEnd());
          break;
        }
        case 'host':
          out.line(`${e.host} | ${c.red('UNREACHABLE')} | ${e.error}`);
          break;
        case 'log':
          if (options.verbose > 0) out.line(c.dim(`${e.host} | ${e.message}`));
          break;
        case 'recap':
          for (const line of formatRecap(e)) out.line(line);
          break;
        case 'task-start':
          if (options.verbose > 1) out.line(c.dim(`${e.host} | ${e.role} | ${e.task} | started`));
          break;
      }
    },
    async close() {},
  };
}

/** The message; with -v where it was thrown; with -vvv the stack (which holds the message). */
export function errorDetail(e: TaskEvent, verbose: number): string {
  if (verbose >= 3 && e.stack) return e.stack;
  if (verbose >= 1 && e.errorAt) return `${e.error}\n(at ${e.errorAt})`;
  return e.error ?? '';
}

function indent(text: string): string {
  return text.replace(/^/gm, '    ');
}
