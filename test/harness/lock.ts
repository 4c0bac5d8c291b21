// Cross-process exclusive locks. Node has no flock(2), so a `flock` child holds the lock for us:
// it prints once it holds it and keeps it until its stdin closes. If this process is SIGKILLed,
// the pipe closes, the child exits and the lock is released: a killed run never leaves a lock held.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(file), { recursive: true });
  const holder = spawn('flock', ['-x', file, '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    holder.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    holder.stdout!.once('data', () => resolve());
    holder.once('error', reject);
    holder.once('exit', (code) => reject(new Error(`flock ${file} exited ${code}: ${stderr}`)));
  });
  holder.removeAllListeners('exit');
  try {
    return await fn();
  } finally {
    const gone = new Promise<void>((r) => holder.once('exit', () => r()));
    holder.stdin!.end();
    await gone;
  }
}
