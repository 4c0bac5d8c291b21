/**
 * On a terminal: a live listr2 list, one line per host per play, showing the task each host is
 * on and its counts so far, ✔ when the host is done, ✖ when it failed or was unreachable; the
 * results that matter (changes, failures, diffs) and the recap are printed after the list. Every
 * title is masked before listr2 sees it, since listr2 writes to the terminal itself.
 */
import { processMasker } from '../secret.js';
import type { HostCounts, Reporter, RunEvent } from './events.js';
import { emptyCounts } from './events.js';
import type { Output } from './output.js';
import type { HumanOptions } from './plain.js';
import { plainReporter } from './plain.js';

interface HostLine {
  counts: HostCounts;
  current: string;
  failed?: string;
  setTitle?: (title: string) => void;
  done: () => void;
  fail: (message: string) => void;
  finished: Promise<void>;
}

export function ttyReporter(out: Output, options: HumanOptions): Reporter {
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

  const startPlay = async (name: string, hosts: string[]) => {
    const { Listr } = await import('listr2');
    const current = new Map<string, HostLine>();
    for (const host of hosts) {
      let done!: () => void;
      let fail!: (m: string) => void;
      const finished = new Promise<void>((resolve, reject) => {
        done = resolve;
        fail = (m) => reject(new Error(m));
      });
      finished.catch(() => {});
      current.set(host, { counts: emptyCounts(), current: 'waiting', done, fail, finished });
    }
    lines = current;
    const list = new Listr(
      [...current].map(([host, line]) => ({
        title: title(host, line),
        task: async (_: unknown, task: { title: string }) => {
          line.setTitle = (t) => (task.title = t);
          await line.finished;
          task.title = title(host, { ...line, current: 'done' });
        },
      })),
      { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } },
    );
    process.stdout.write(processMasker.mask(`PLAY [${name}]${options.check ? ' (check mode)' : ''}\n`));
    await list.run().catch(() => {});
  };

  return {
    event(e) {
      switch (e.type) {
        case 'play':
          finishPlay();
          // Buffer until the list exists; the chain keeps plays in order.
          chain = chain.then(() => startPlay(e.name, e.hosts));
          break;
        case 'task-start': {
          const line = lines.get(e.host);
          if (line) {
            line.current = `${e.role}: ${e.task}`;
            line.setTitle?.(title(e.host, line));
          }
          break;
        }
        case 'task': {
          const line = lines.get(e.host);
          if (line) {
            line.counts[e.status]++;
            if (e.status === 'failed' && !line.failed) line.failed = `failed at ${e.role}: ${e.task}`;
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
