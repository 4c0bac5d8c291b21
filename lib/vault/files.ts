/**
 * Files that hold secrets: written atomically (a temp file in the same directory, flushed, then
 * renamed over the target, so a reader or a crash sees the old file or the new one, never half
 * of one) with mode 0600, and a lock file so two runs saving a generated secret into one vault
 * do not lose each other's entry.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, chown, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Replace `path` with `data`, mode `mode` (default 0600), keeping the owner when run as root. */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const previous = await stat(path).catch(() => null);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (error) {
    await fh.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await fh.close();
  try {
    await chmod(tmp, mode); // the umask may have taken bits away; never adds any beyond `mode`
    if (previous && process.getuid?.() === 0 && previous.uid !== 0)
      await chown(tmp, previous.uid, previous.gid);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  const dh = await open(dir, 'r').catch(() => null);
  if (dh) {
    await dh.sync().catch(() => undefined);
    await dh.close();
  }
}

/** Make `dir` (and parents) and give it mode 0700. */
export async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Run `fn` holding `<dir>/.<name>.lock` (created exclusively, holding our pid). A lock left by a
 * process that no longer exists is taken over; a live one is waited for up to `timeoutMs`.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const lock = join(dirname(path), `.${basename(path)}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (!holder || !alive(holder)) {
        // Stale (or being written this instant): remove only if still stale a moment later.
        await new Promise((r) => setTimeout(r, 50));
        const again = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
        if (again === holder && (!again || !alive(again))) await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${path} is locked by process ${holder} (another run saving into it); if no such run is going on, remove ${lock}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
