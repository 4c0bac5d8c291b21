/**
 * `playbook [options] PLAYBOOK.ts`: read inventory and playbook, check every variable for every
 * host, then run — or list hosts/tasks and stop. Nothing touches a host before all checks pass.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ExitCode } from '../errors.js';
import { loadInventory } from '../inventory/index.js';
import { isHostList } from '../inventory/sources.js';
import { combineReporters, jsonReporter } from '../report/json.js';
import { maskedOutput } from '../report/output.js';
import { plainReporter } from '../report/plain.js';
import { profileReporter } from '../report/profile.js';
import type { Reporter } from '../report/events.js';
import { matchHosts, planRun } from '../runner/run-plan.js';
import { executePlan } from '../runner/run-playbook.js';
import { acquireRunLock, runLockFile } from '../runner/run-lock.js';
import type { RunOptions } from '../runner/run-state.js';
import { BadOptionsError } from '../errors.js';
import { parseExtraVars } from './extra-vars.js';
import { loadPlaybook, playbookCacheDir } from './load-playbook.js';
import { setValidatorCacheDir } from '../runner/validator-cache.js';
import { defaultKnownHosts, hostKeyCheckingFromEnv, type CliOptions } from './options.js';
import { prepareSecrets } from '../secrets/index.js';
import { defaultRunsDir, lastProbesOf, runRecordReporter } from '../report/run-record.js';
import { lastFailedHosts, latestRun } from './history-command.js';
import { listTasks } from './list-tasks.js';
import { checkLimit } from './limit-check.js';

export async function playbookCommand(cli: CliOptions, signal: AbortSignal): Promise<number> {
  if (!cli.playbook)
    throw new BadOptionsError('no playbook given (usage: playbook [options] PLAYBOOK.ts; see --help)');
  const playbookFile = cli.playbook;
  const inventoryPaths = cli.inventory.length
    ? cli.inventory
    : [join(dirname(playbookFile), 'inventory', 'site.yml')];
  for (const path of inventoryPaths) {
    // `-i 'web1,web2,'` is a host list, as in ansible-playbook.
    if (!existsSync(path) && !isHostList(path))
      throw new BadOptionsError(
        `inventory ${path} not found${cli.inventory.length ? '' : ' (the default beside the playbook; give one with -i)'}`,
      );
  }
  const secrets = await prepareSecrets({
    inventoryPaths,
    ...(cli.vault ? { vault: cli.vault } : {}),
    passwordFiles: cli.vaultPasswordFiles,
    vaultIds: cli.vaultIds,
    ask: cli.askVaultPass,
    check: cli.check,
  });
  const [inventory, playbook, extraVars] = await Promise.all([
    loadInventory(inventoryPaths, { playbookDirs: [dirname(playbookFile)], decrypt: secrets.decrypt }),
    loadPlaybook(playbookFile),
    parseExtraVars(cli.extraVars),
  ]);
  setValidatorCacheDir(playbookCacheDir(playbookFile));
  const runsDir = cli.runsDir ?? defaultRunsDir(inventoryPaths);
  let limit = cli.limit;
  if (cli.lastFailed) {
    const within = cli.limit.length
      ? new Set(matchHosts(inventory, cli.limit).map((h) => h.name))
      : undefined;
    const hosts = lastFailedHosts(runsDir, { playbook: playbookFile }).filter(
      (h) => (!within || within.has(h)) && inventory.hosts.has(h),
    );
    if (!hosts.length) {
      process.stderr.write(
        `--last-failed: no host failed or was unreachable in the last run of ${playbookFile} (records in ${runsDir}): nothing to rerun\n`,
      );
      return ExitCode.ok;
    }
    limit = [hosts.join(',')];
  }
  checkLimit(inventory, limit, (line) => process.stderr.write(`${line}\n`));

  if (cli.listHosts) {
    const seen = new Set<string>();
    const limited = limit.length ? new Set(matchHosts(inventory, limit).map((h) => h.name)) : undefined;
    for (const play of playbook.plays) {
      for (const host of matchHosts(inventory, play.hosts)) {
        if ((!limited || limited.has(host.name)) && !seen.has(host.name)) seen.add(host.name);
      }
    }
    process.stdout.write([...seen].map((h) => `${h}\n`).join(''));
    return ExitCode.ok;
  }
  if (cli.listTasks) {
    const shown = relative(process.cwd(), playbookFile) || playbookFile;
    const last = latestRun(runsDir, { playbook: playbookFile });
    process.stdout.write(listTasks(playbook, shown, cli.roles, last ? { run: last } : { runsDir }));
    return ExitCode.ok;
  }

  const options: RunOptions = {
    check: cli.check,
    diff: cli.diff,
    forks: cli.forks,
    tags: cli.tags,
    limit,
    roles: cli.roles,
    extraVars,
    ssh: {
      knownHostsFile: cli.knownHosts ?? defaultKnownHosts(),
      acceptNewHostKeys: cli.acceptNewHostKeys,
      hostKeyChecking: hostKeyCheckingFromEnv(process.env),
      ...(cli.sshConfig ? { sshConfigFile: cli.sshConfig } : {}),
      connectTimeoutMs: cli.timeoutSeconds * 1000,
    },
    secrets: secrets.store,
    // The reads of the last run, prefetched per role (lib/host/prefetch.ts); NOVASTATION_PREFETCH=0 turns it off.
    ...(process.env.NOVASTATION_PREFETCH === '0'
      ? {}
      : { lastProbes: lastProbesOf(runsDir, playbookFile, inventory.hosts.keys()) }),
  };
  await secrets.resolve(inventory, playbook, playbookFile, { limit, roles: cli.roles, extraVars });
  const plan = await planRun(playbook, playbookFile, inventory, options);
  const record = runRecordReporter({
    dir: runsDir,
    playbook: playbookFile,
    options: { ...options, lastFailed: cli.lastFailed },
    inventoryFiles: inventoryPaths,
    vault: secrets.store.file,
  });
  // One run at a time per site (lib/runner/run-lock.ts): taken once the input is known good,
  // before any host is touched, and kept until the run record is written.
  const releaseLock = cli.noLock
    ? async () => {}
    : await acquireRunLock(
        runLockFile(inventoryPaths),
        { playbook: playbookFile, check: cli.check },
        {
          timeoutMs: cli.lockTimeoutSeconds * 1000,
          onLost: (e) => process.stderr.write(`[WARNING]: the site lock was lost: ${e.message}\n`),
        },
      );
  const reporter = await makeReporter(cli, [record]);
  const finish = (code: number, error?: unknown) =>
    record
      .finish(code, error)
      .catch((e: Error) =>
        process.stderr.write(`[WARNING]: could not write the run record in ${runsDir}: ${e.message}\n`),
      );
  try {
    const result = await executePlan(plan, options, reporter, signal);
    await finish(result.exitCode);
    return result.exitCode;
  } catch (error) {
    await finish(ExitCode.error, error);
    throw error;
  } finally {
    await reporter.close();
    await releaseLock();
  }
}

async function makeReporter(cli: CliOptions, extra: Reporter[] = []): Promise<Reporter> {
  const human = maskedOutput(cli.json ? process.stderr : process.stdout);
  const humanOptions = { verbose: cli.verbose, diff: cli.diff, check: cli.check };
  const reporters: Reporter[] = [];
  if (human.isTTY && !process.env.CI) {
    const { ttyReporter } = await import('../report/tty.js');
    reporters.push(ttyReporter(human, humanOptions));
  } else {
    reporters.push(plainReporter(human, humanOptions));
  }
  if (cli.json) reporters.push(jsonReporter(maskedOutput(process.stdout)));
  if (cli.profile) reporters.push(profileReporter(human));
  return combineReporters([...reporters, ...extra]);
}
