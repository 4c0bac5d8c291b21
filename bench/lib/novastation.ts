/**
 * NovaStation as users run it: the `playbook` bin (`node_modules/.bin/playbook …`), the whole
 * process from start to exit, plain output (not a TTY), host keys checked against the harness's
 * known_hosts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMeasured, type Measured } from './measure.js';
import { parseRecap, type Recap } from './recap.js';

/**
 * The repository: the nearest folder above this module holding the `novastation` package.json
 * (scripts/run-ts.mjs runs a bundled copy of this module from node_modules/.cache/…).
 */
function findRepoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      if (
        (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name ===
        'novastation'
      )
        return dir;
    } catch {
      /* no package.json here */
    }
    if (dirname(dir) === dir) return process.cwd();
  }
}

export const repoRoot = findRepoRoot();
export const playbookBin = join(repoRoot, 'node_modules', '.bin', 'playbook');
export const novastationPlaybook = join(repoRoot, 'bench', 'novastation', 'host-prep.ts');
export const ansiblePlaybook = join(repoRoot, 'bench', 'ansible', 'host-prep.yml');
/** The role again, counting the processes each task starts on the host (--profile). */
export const spawnsPlaybook = join(repoRoot, 'bench', 'novastation', 'spawns.ts');

export function playbookPresent(): boolean {
  return existsSync(playbookBin);
}

export interface NovaRun extends Measured {
  recap: Recap;
}

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e.FORCE_COLOR;
  return e;
};

export async function runNovaStation(o: {
  inventory: string;
  knownHosts: string;
  extra?: string[];
  playbook?: string;
}): Promise<NovaRun> {
  const m = await runMeasured(
    playbookBin,
    [o.playbook ?? novastationPlaybook, '-i', o.inventory, '--known-hosts', o.knownHosts, ...(o.extra ?? [])],
    {
      cwd: repoRoot,
      env: env(),
    },
  );
  return { ...m, recap: parseRecap(m.stdout + m.stderr) };
}

/**
 * Loads the playbook once (`--list-hosts`), so the measured runs use the loader's cached bundle as
 * every rerun of a user does (the first load of a changed playbook also runs esbuild).
 */
export async function warmNovaStation(inventory: string): Promise<Measured> {
  return runMeasured(playbookBin, [novastationPlaybook, '-i', inventory, '--list-hosts'], {
    cwd: repoRoot,
    env: env(),
  });
}

export interface StartUp {
  /** `node_modules/.bin/playbook --help`, median of the tries. */
  bin_s: number;
  /** `npx playbook --help`, median of the tries. */
  npx_s: number;
  /** npx's own lookup: the difference. */
  npx_overhead_s: number;
  /** `node -e 0`: Node's own start-up here. */
  node_s: number;
  /** `node_modules/.bin/playbook --version` and `npx playbook --version` (issue 21), medians. */
  version_bin_s?: number;
  version_npx_s?: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Start-up costs: the bin's own, npx's lookup on top, and bare Node for scale. */
export async function measureStartUp(tries = 5): Promise<StartUp> {
  const time = async (cmd: string, args: string[]) => {
    const xs: number[] = [];
    await runMeasured(cmd, args, { cwd: repoRoot, env: env() }); // warm the page cache
    for (let i = 0; i < tries; i++) {
      const m = await runMeasured(cmd, args, { cwd: repoRoot, env: env() });
      if (m.code !== 0)
        throw new Error(`${cmd} ${args.join(' ')} exited ${m.code}: ${m.stderr.slice(0, 500)}`);
      xs.push(m.seconds);
    }
    return median(xs);
  };
  const bin = await time(playbookBin, ['--help']);
  const npx = await time('npx', ['--no-install', 'playbook', '--help']);
  const node = await time(process.execPath, ['-e', '0']);
  const versionBin = await time(playbookBin, ['--version']);
  const versionNpx = await time('npx', ['--no-install', 'playbook', '--version']);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    bin_s: r3(bin),
    npx_s: r3(npx),
    npx_overhead_s: r3(npx - bin),
    node_s: r3(node),
    version_bin_s: r3(versionBin),
    version_npx_s: r3(versionNpx),
  };
}

export const floorScript = join(repoRoot, 'bench', 'floor.mjs');
export const firstFloorScript = join(repoRoot, 'bench', 'floor-first.mjs');

/** bench/floor-first.mjs: each host's script (DIR/<address>.sh) over one SSH session per host. */
export async function runFirstFloor(o: {
  addresses: string[];
  keyFile: string;
  knownHosts: string;
  scriptsDir: string;
}): Promise<Measured> {
  return runMeasured(
    process.execPath,
    [
      firstFloorScript,
      '--key',
      o.keyFile,
      '--known-hosts',
      o.knownHosts,
      '--scripts',
      o.scriptsDir,
      ...o.addresses,
    ],
    { cwd: repoRoot, env: env() },
  );
}

/** The floor (bench/floor.mjs): node-ssh, one shell per host, one probe per task, whole process. */
export async function runFloor(o: {
  addresses: string[];
  keyFile: string;
  knownHosts: string;
}): Promise<Measured> {
  return runMeasured(
    process.execPath,
    [floorScript, '--key', o.keyFile, '--known-hosts', o.knownHosts, ...o.addresses],
    { cwd: repoRoot, env: env() },
  );
}
