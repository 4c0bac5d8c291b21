// Removing folders that may have something mounted inside (a failed debootstrap leaves /proc and
// /sys mounted in its target; a killed host leaves its overlay): unmount first, and never let rm
// cross into another file system, which could be the base root or the machine's own /sys.
import { readFileSync } from 'node:fs';
import { run } from './run.js';

/** Mount points at or below `prefix`, deepest first. */
export function mountsUnder(prefix: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\040/g, ' '))
    .filter((m) => m === prefix || m.startsWith(`${prefix}/`))
    .sort((a, b) => b.length - a.length);
}

export async function unmountUnder(prefix: string): Promise<void> {
  for (const m of mountsUnder(prefix)) {
    const r = await run('umount', [m], { allowFail: true });
    if (r.exitCode !== 0) await run('umount', ['-l', m], { allowFail: true }); // busy: detach now
  }
}

/** rm -rf that unmounts first and stays on one file system. */
export async function removeTree(dir: string): Promise<void> {
  await unmountUnder(dir);
  await run('rm', ['-rf', '--one-file-system', dir], { allowFail: true });
}
