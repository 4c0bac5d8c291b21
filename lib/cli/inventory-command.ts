/**
 * `playbook inventory`: ansible-inventory's output for our inventory loader.
 *
 *   playbook inventory -i FILE [-i FILE...] (--list | --host NAME | --graph [GROUP] [--vars])
 *                      [--limit PATTERN]... [--playbook-dir DIR] [--output FILE]
 *
 * Prints what `ansible-inventory` 2.14 prints (JSON with 4-space indent and sorted keys, or the
 * graph), warnings as `[WARNING]: ...` on stderr. Exit codes: 0, 4 for an invalid inventory
 * (message on stderr), 5 for bad options. As in Ansible, `--host` takes a pattern that must match
 * exactly one host, `--graph` a group name, and `--output` writes the result without the final
 * newline. `--limit` (several allowed, `@file` too) is our addition for 2.14: the patterns are
 * joined into one list (`a` then `b` = `a,b`); ansible's own `--limit` keeps only the last one.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { optionsError } from './unknown-option.js';
import { BadOptionsError, ExitCode, InvalidInputError } from '../errors.js';

export const INVENTORY_HELP = `usage: playbook inventory -i INVENTORY [-i INVENTORY...] (--list | --host HOST | --graph [GROUP] [--vars])
                         [--limit PATTERN]... [--playbook-dir DIR] [--output FILE]

Shows the inventory as ansible-inventory does.

  -i, --inventory PATH   inventory file, directory or comma-separated host list (repeatable, merged in order)
  --list                 all groups and host variables as JSON
  --host HOST            one host's variables as JSON (a pattern matching exactly one host)
  --graph [GROUP]        the group tree from GROUP (default all)
  --vars                 with --graph: show variables too
  -l, --limit PATTERN    only these hosts (repeatable; @FILE reads patterns from a file)
  --playbook-dir DIR     also apply DIR/group_vars and DIR/host_vars
  --output FILE          write the result to FILE instead of stdout
`;

interface Parsed {
  inventory: string[];
  list: boolean;
  host?: string;
  graph: boolean;
  vars: boolean;
  limit: string[];
  output?: string;
  playbookDir?: string;
  group?: string;
  help: boolean;
}

const INVENTORY_OPTIONS = {
  inventory: { type: 'string', short: 'i', multiple: true },
  list: { type: 'boolean' },
  host: { type: 'string' },
  graph: { type: 'boolean' },
  vars: { type: 'boolean' },
  limit: { type: 'string', short: 'l', multiple: true },
  output: { type: 'string' },
  'playbook-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: string[]): Parsed {
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: INVENTORY_OPTIONS,
    }));
  } catch (e) {
    throw optionsError(e, INVENTORY_OPTIONS, INVENTORY_HELP.trimEnd());
  }
  if (positionals.length > 1)
    throw new BadOptionsError(`unexpected arguments: ${positionals.slice(1).join(' ')}`);
  return {
    inventory: (values.inventory as string[] | undefined) ?? [],
    list: values.list === true,
    host: values.host as string | undefined,
    graph: values.graph === true,
    vars: values.vars === true,
    limit: (values.limit as string[] | undefined) ?? [],
    output: values.output as string | undefined,
    playbookDir: values['playbook-dir'] as string | undefined,
    group: positionals[0],
    help: values.help === true,
  };
}

export async function inventoryCommand(argv: string[]): Promise<number> {
  let opts: Parsed;
  try {
    opts = parse(argv);
    if (opts.help) {
      process.stdout.write(INVENTORY_HELP);
      return ExitCode.ok;
    }
    const actions = [opts.list, opts.host !== undefined, opts.graph].filter(Boolean).length;
    if (actions === 0)
      throw new BadOptionsError(
        'No action selected, at least one of --host, --graph or --list needs to be specified.',
      );
    if (actions > 1)
      throw new BadOptionsError(
        'Conflicting options used, only one of --host, --graph or --list can be used at the same time.',
      );
    if (!opts.inventory.length)
      throw new BadOptionsError(
        'no inventory given: use -i FILE (a file, a directory or a comma-separated host list)',
      );
  } catch (e) {
    if (e instanceof BadOptionsError) {
      process.stderr.write(`ERROR: ${e.message}\n`);
      return ExitCode.badOptions;
    }
    throw e;
  }

  const inv = await import('../inventory/index.js');
  let result: string;
  try {
    const inventory = await inv.loadInventory(opts.inventory, {
      playbookDirs: opts.playbookDir ? [opts.playbookDir] : [],
    });
    for (const w of inventory.warnings ?? []) process.stderr.write(`[WARNING]: ${w}\n`);
    const limit = opts.limit.length ? { limit: opts.limit } : {};
    if (opts.host !== undefined) {
      // --host ignores --limit in Ansible.
      const name = inv.singleHost(inventory, opts.host);
      if (name === undefined)
        throw new BadOptionsError(
          `You must pass a single valid host to --host parameter (${JSON.stringify(opts.host)} matches ${inv.selectHosts(inventory, opts.host).length} hosts)`,
        );
      result = inv.pythonJson(inv.inventoryHostVars(inventory, name));
    } else if (opts.graph) {
      const group = opts.group ?? 'all';
      if (!inventory.groups.has(group))
        throw new BadOptionsError(`Pattern must be valid group name when using --graph: no group "${group}"`);
      result = inv.inventoryGraph(inventory, group, opts.vars, limit);
    } else {
      result = inv.pythonJson(inv.inventoryToList(inventory, limit));
    }
  } catch (e) {
    if (e instanceof InvalidInputError || e instanceof BadOptionsError) {
      process.stderr.write(`ERROR: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }

  if (opts.output !== undefined) {
    try {
      writeFileSync(opts.output, result);
    } catch (e) {
      process.stderr.write(
        `ERROR: Unable to write to destination file (${opts.output}): ${(e as Error).message}\n`,
      );
      return ExitCode.error;
    }
  } else {
    process.stdout.write(result + '\n');
  }
  return ExitCode.ok;
}
