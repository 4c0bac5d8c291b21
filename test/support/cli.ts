/**
 * Runs the real `playbook` bin (the compiled one, as users run it) and collects its output and,
 * with --json, its events.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..');
export const playbookBin = join(repoRoot, 'node_modules', '.bin', 'playbook');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Parsed JSON Lines of stdout (when --json was given). */
  events: Record<string, any>[];
}

export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(playbookBin, args, {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, CI: 'true', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const events = args.includes('--json')
        ? stdout
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as Record<string, any>)
        : [];
      resolve({ code: code ?? -1, stdout, stderr, events });
    });
  });
}

export function taskEvents(
  run: CliRun,
  filter: Partial<Record<'host' | 'role' | 'task' | 'status', string>> = {},
) {
  return run.events.filter((e) => e.type === 'task' && Object.entries(filter).every(([k, v]) => e[k] === v));
}
