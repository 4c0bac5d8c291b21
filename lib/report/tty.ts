/**
 * On a terminal: a live listr2 list, one line per host per play, showing the task each host is
 * running and its counts so far, ✔ when the host is done, ✖ when it failed or was unreachable.
 * Under each host, the results of its latest finished tasks (changed, failed, skipped; all with
 * -v) appear as they happen; all details (changes, errors, diffs) and the recap are printed after
 * the list, so nothing the live view dropped is lost. Every title and output line is masked before
 * listr2 sees it, since listr2 writes to the terminal itself.
 */
import { processMasker } from '../secret.js';
import type { HostCounts, Reporter, RunEvent, TaskEvent } from './events.js';
import { countTask, emptyCounts } from './events.js';
import type { Output } from './output.js';
import type { HumanOptions } from './plain.js';
import { plainReporter } from './plain.js';
import { ensureTerminalSize } from './terminal-width.js';

interface HostLine {
  counts: HostCounts;
  current: string;
  failed?: string;
  /** Result lines not yet handed to listr2 (its task may not have started yet). */
  pending: string[];
  setTitle?: (title: string) => void;
  addOutput?: (line: string) => void;
  done: () => void;
  fail: (message: string) => void;
  finished: Promise<void>;
}

/** Finished results kept live under each host: a few when there is room, one for many hosts. */
function liveResults(hosts: number, rows: number | undefined): number {
  const room = Math.floor(((rows || 24) - 4 - hosts) / Math.max(1, hosts));
  return Math.max(1, Math.min(5, room));
}

export function resultLine(e: TaskEvent, check: boolean): string {
  const status = e.status === 'changed' && check ? 'would change' : e.ignored ? 'failed (ignored)' : e.status;
  const detail = e.error ?? e.changes?.[0] ?? e.message;
  return `${status}: ${e.role}: ${e.handler ? 'handler ' : ''}${e.task}${detail ? ` — ${detail.split('\n')[0]}` : ''}`;
}

export function ttyReporter(out: Output, options: HumanOptions): Reporter {
  // A pseudo-terminal may report no size (`script -qc`): listr2 would then wrap every character
  // onto its own line and draw nothing until the end. Give it a sane one.
  // listr2 draws on the human stream (stderr with --json, whose stdout carries the events).
  const terminal = out.stream ?? process.stdout;
  ensureTerminalSize(terminal);
  let chain: Promise<void> = Promise.resolve();
  let lines = new Map<string, HostLine>();
  const after: RunEvent[] = [];
  const details = plainReporter(out, options);

  const title = (host: string, line: HostLine) => {
    const c = line.counts;
    const counts = `ok=${c.ok} changed=${c.changed} failed=${c.failed} skipped=${c.skipped}`;
    return processMasker.mask(`${host}  ${line.failed ?? line.current}  [${counts}]`);
  };

  const finishPlay = () => {
    for (const line of lines.values()) {
      if (line.failed) line.fail(line.failed);
      else line.done();
    }
  };

  const newLines = (hosts: string[]) => {
    const current = new Map<string, HostLine>();
    for (const host of hosts) {
      let done!: () => void;
      let fail!: (m: string) => void;
      const finished = new Promise<void>((resolve, reject) => {
        done = resolve;
        fail = (m) => reject(new Error(m));
      });
      finished.catch(() => {});
      current.set(host, { counts: emptyCounts(), current: 'starting', pending: [], done, fail, finished });
    }
    return current;
  };

  const startPlay = async (name: string, current: Map<string, HostLine>) => {
    const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
    const keep = liveResults(current.size, terminal.rows);
    const taskOptions = { outputBar: keep, persistentOutput: true };
    const logger = new ListrLogger({
      useIcons: true,
      processOutput: new ProcessOutput(terminal as NodeJS.WriteStream, terminal as NodeJS.WriteStream),
    });
    const listOptions = { collapseErrors: false, logger };
    const list = new Listr(
      [...current].map(([host, line]) => ({
        title: title(host, line),
        task: async (_: unknown, task: { title: string; output: string }) => {
          line.setTitle = (t) => (task.title = t);
          line.addOutput = (text) => (task.output = processMasker.mask(text));
          task.title = title(host, line); // what happened before listr2 started this task
          for (const text of line.pending.splice(0)) line.addOutput(text);
          await line.finished;
          task.title = title(host, { ...line, current: 'done' });
        },
        rendererOptions: taskOptions,
        fallbackRendererOptions: taskOptions,
      })),
      {
        concurrent: true,
        exitOnError: false,
        rendererOptions: listOptions,
        // listr2 falls back to its line renderer when stdout is not a terminal, even when it
        // draws on stderr (--json): the terminal here is `terminal`, so keep the live one.
        fallbackRenderer: 'default',
        fallbackRendererOptions: listOptions,
      },
    );
    out.line(`PLAY [${name}]${options.check ? ' (check mode)' : ''}`);
    await list.run().catch(() => {});
  };

  return {
    event(e) {
      switch (e.type) {
        case 'play': {
          finishPlay();
          // The hosts' lines exist at once, so the first task's start is not lost while listr2
          // loads; the chain keeps plays in order.
          const current = (lines = newLines(e.hosts));
          chain = chain.then(() => startPlay(e.name, current));
          break;
        }
        case 'task-start': {
          const line = lines.get(e.host);
          if (line) {
            line.current = `running ${e.role}: ${e.task}`;
            line.setTitle?.(title(e.host, line));
          }
          break;
        }
        case 'task': {
          const line = lines.get(e.host);
          if (line) {
            countTask(line.counts, e);
            if (e.status === 'failed' && !e.ignored && !line.failed)
              line.failed = `failed at ${e.role}: ${e.task}`;
            if (e.status !== 'ok' || options.verbose > 0) {
              const text = resultLine(e, options.check);
              if (line.addOutput) line.addOutput(text);
              else line.pending.push(text);
            }
            line.setTitle?.(title(e.host, line));
          }
          if (e.status !== 'ok' || options.verbose > 0) after.push(e);
          break;
        }
        case 'host': {
          const line = lines.get(e.host);
          if (line) line.failed = `unreachable: ${e.error}`;
          after.push(e);
          break;
        }
        case 'recap':
          finishPlay();
          after.push(e);
          break;
        default:
          if (options.verbose > 0) after.push(e);
      }
    },
    async close() {
      finishPlay();
      await chain;
      for (const e of after) details.event(e);
    },
  };
}
