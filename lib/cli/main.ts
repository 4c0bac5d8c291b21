#!/usr/bin/env node
/**
 * The `playbook` command. Kept small so start-up is fast: everything heavy (esbuild, yaml, ajv,
 * ssh2, listr2) is imported only when a command needs it.
 */
import { readFileSync } from 'node:fs';
import { ExitCode } from '../errors.js';
import { reportError } from './error-output.js';
import { PLAYBOOK_HELP } from './help.js';
import { parseCli } from './options.js';

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'inventory') {
    const { inventoryCommand } = await import('./inventory-command.js');
    return inventoryCommand(argv.slice(1));
  }
  if (argv[0] === 'vault') {
    const { vaultCommand } = await import('./vault-command.js');
    return vaultCommand(argv.slice(1));
  }
  if (argv[0] === 'history') {
    const { historyCommand } = await import('./history-command.js');
    return historyCommand(argv.slice(1));
  }
  if (argv[0] === 'sessions') {
    const { sessionsCommand } = await import('./sessions-command.js');
    return sessionsCommand(argv.slice(1));
  }
  const cli = parseCli(argv);
  if (cli.help) {
    process.stdout.write(PLAYBOOK_HELP);
    return ExitCode.ok;
  }
  if (cli.version) {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`novastation ${pkg.version}\n`);
    return ExitCode.ok;
  }
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write(
      '\ninterrupted: finishing the commands in flight, starting no new task (Ctrl-C again to quit now)\n',
    );
    abort.abort();
    process.once('SIGINT', () => process.exit(ExitCode.interrupted));
  });
  const { playbookCommand } = await import('./playbook-command.js');
  return playbookCommand(cli, abort.signal);
}

// process.exit rather than waiting for the event loop to drain: every connection is closed by
// now, and stdout/stderr writes to pipes, files and terminals are synchronous on Linux.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportError(error, process.argv.slice(2))),
);
