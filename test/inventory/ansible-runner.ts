/**
 * Runs the real `ansible-inventory` and `ansible --list-hosts` for the agreement test through
 * ansible-driver.py: one Python process per core that imports Ansible once and forks a child per
 * batch of commands (a cold command costs ~1 s; in a batch ~30-70 ms).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface AnsibleCommand {
  cmd: 'ansible-inventory' | 'ansible';
  args: string[];
}

export interface AnsibleResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Time the command took in the driver. */
  ms?: number;
}

/** `ansible-inventory` on PATH, or undefined. */
export function findAnsibleInventory(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'ansible-inventory');
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** The Python that runs ansible-inventory (its shebang), so the driver imports the same Ansible. */
function pythonFor(script: string): string {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
  if (!m) return 'python3';
  // `#!/usr/bin/env python3`
  return m[1]?.endsWith('/env') && m[2] ? m[2] : (m[1] as string);
}

class Driver {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, (r: AnsibleResult[]) => void>();
  private next = 0;
  /** Commands sent and not answered yet. */
  load = 0;

  constructor(python: string) {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ansible-driver.py');
    this.proc = spawn(python, [script], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ANSIBLE_NOCOLOR: '1' },
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as { id: number; results: AnsibleResult[] };
      this.waiting.get(reply.id)?.(reply.results);
      this.waiting.delete(reply.id);
    });
    let err = '';
    this.proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    this.proc.on('exit', (code) => {
      for (const resolve of this.waiting.values())
        resolve([{ code: code ?? 1, stdout: '', stderr: `driver died: ${err}` }]);
      this.waiting.clear();
    });
  }

  run(commands: AnsibleCommand[], cwd: string): Promise<AnsibleResult[]> {
    const id = this.next++;
    this.load += commands.length;
    return new Promise((resolve) => {
      this.waiting.set(id, (r) => {
        this.load -= commands.length;
        resolve(r);
      });
      this.proc.stdin.write(JSON.stringify({ id, cwd, commands }) + '\n');
    });
  }

  close(): void {
    this.proc.stdin.end();
  }
}

export class AnsibleRunner {
  private readonly drivers: Driver[];
  constructor(ansibleInventory: string, parallel = 2) {
    const python = pythonFor(ansibleInventory);
    this.drivers = Array.from({ length: parallel }, () => new Driver(python));
  }

  /** Run commands one after the other in `cwd`, on the least loaded driver. */
  runBatch(commands: AnsibleCommand[], cwd: string): Promise<AnsibleResult[]> {
    const d = this.drivers.reduce((a, b) => (b.load < a.load ? b : a));
    return d.run(commands, cwd);
  }

  close(): void {
    for (const d of this.drivers) d.close();
  }
}

/** With INVENTORY_DRIVER_STATS=1, print how long the Ansible commands took (to tune the corpus). */
export function reportTimes(results: AnsibleResult[]): void {
  if (process.env.INVENTORY_DRIVER_STATS !== '1') return;
  const ms = results.map((r) => r.ms ?? 0);
  const total = ms.reduce((a, b) => a + b, 0);
  console.log(
    `ansible commands: ${ms.length}, ${total} ms in total, ${Math.round(total / Math.max(1, ms.length))} ms each`,
  );
}

/** The host names from `ansible PATTERN --list-hosts` output. */
export function parseListHosts(stdout: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => /^\s*hosts \(\d+\):\s*$/.test(l));
  if (start < 0) return [];
  return lines
    .slice(start + 1)
    .map((l) => l.trim())
    .filter(Boolean);
}
