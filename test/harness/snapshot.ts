// A deterministic listing of what a host changed relative to the base root: its overlay upper dir,
// minus files that change by themselves. Comparing it before and after a run is an exact check that
// a check-mode run changed nothing.
import { createHash } from 'node:crypto';
import { type Stats, existsSync } from 'node:fs';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';

/**
 * Paths (relative to the host's /) that the system writes on its own: logs and journal, timers'
 * stamps, the random seed, temp dirs, caches, apt's lock and download dirs and solver log, and the
 * sshd log the harness keeps. /run is a tmpfs inside the host and never reaches the upper dir, but a stray
 * copy-up of the mount point would.
 */
const IGNORED: RegExp[] = [
  /^run(\/|$)/,
  /^tmp(\/|$)/,
  /^var\/tmp\/systemd-private-/,
  /^var\/log\/journal(\/|$)/,
  /^var\/log\/(lastlog|wtmp|btmp|faillog|sshd\.log)$/,
  /^var\/lib\/systemd\/(timers|timesync|coredump|catalog)(\/|$)/,
  /^var\/lib\/systemd\/(random-seed|credential\.secret)$/,
  /^var\/cache(\/|$)/,
  /^var\/lib\/apt\/lists\/(partial(\/|$)|lock$)/,
  /^var\/lib\/apt\/(daily_lock|periodic(\/|$))/,
  // apt rewrites its solver log even for a simulation (`apt-get -s`, a typical check-mode probe);
  // a real install still shows in dpkg's status and the installed files.
  /^var\/log\/apt\/eipp\.log\.xz$/,
];

export const isIgnored = (rel: string) => IGNORED.some((re) => re.test(rel));

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch {
    return null;
  }
}

async function sha256(p: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(p))
    .digest('hex');
}

const sameOwner = (a: Stats, b: Stats) => a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;

/**
 * One line per changed entry, sorted by path:
 * `path<TAB>type<TAB>mode<TAB>uid:gid<TAB>size<TAB>sha256|-<TAB>symlink target|-`.
 * Types: file, dir, symlink, whiteout (a deletion of a base file), fifo, socket, chardev, blockdev.
 * Entries identical to the base (pure copy-ups, e.g. a lock file opened for writing) are left out,
 * and so are directories that only exist in the upper dir because something below them changed.
 */
export async function snapshotUpper(upperDir: string, lowerDir: string, mergedDir: string): Promise<string> {
  const lines: string[] = [];
  const line = (
    rel: string,
    type: string,
    st: Stats | null,
    size: number | string,
    hash: string,
    target: string,
  ) =>
    lines.push(
      [
        rel,
        type,
        st ? (st.mode & 0o7777).toString(8).padStart(4, '0') : '-',
        st ? `${st.uid}:${st.gid}` : '-',
        String(size),
        hash,
        target,
      ].join('\t'),
    );

  async function walk(rel: string): Promise<void> {
    const entries = (await readdir(rel ? `${upperDir}/${rel}` : upperDir)).sort();
    for (const name of entries) {
      const r = rel ? `${rel}/${name}` : name;
      if (isIgnored(r)) continue;
      const up = `${upperDir}/${r}`;
      const st = await lstat(up);
      const low = await lstatOrNull(`${lowerDir}/${r}`);
      if (st.isCharacterDevice() && st.rdev === 0) {
        line(r, 'whiteout', null, '-', '-', '-');
      } else if (st.isDirectory()) {
        const copyUp = low?.isDirectory() && sameOwner(st, low);
        if (!copyUp || (await isOpaque(r))) line(r, 'dir', st, '-', '-', '-');
        await walk(r);
      } else if (st.isSymbolicLink()) {
        const target = await readlink(up);
        if (
          low?.isSymbolicLink() &&
          low.uid === st.uid &&
          low.gid === st.gid &&
          (await readlink(`${lowerDir}/${r}`)) === target
        )
          continue;
        line(r, 'symlink', st, st.size, '-', target);
      } else if (st.isFile()) {
        const hash = await sha256(up);
        if (
          low?.isFile() &&
          sameOwner(st, low) &&
          low.size === st.size &&
          (await sha256(`${lowerDir}/${r}`)) === hash
        )
          continue;
        line(r, 'file', st, st.size, hash, '-');
      } else {
        const type = st.isFIFO()
          ? 'fifo'
          : st.isSocket()
            ? 'socket'
            : st.isCharacterDevice()
              ? 'chardev'
              : 'blockdev';
        line(r, type, st, st.rdev, '-', '-');
      }
    }
  }

  // An opaque dir (deleted and recreated) hides the base's entries: some base entry is then
  // missing from the merged view although no whiteout names it. Decided without reading xattrs.
  async function isOpaque(rel: string): Promise<boolean> {
    if (!existsSync(`${mergedDir}/${rel}`)) return false;
    for (const name of await readdir(`${lowerDir}/${rel}`)) {
      if (!(await lstatOrNull(`${mergedDir}/${rel}/${name}`))) {
        const w = await lstatOrNull(`${upperDir}/${rel}/${name}`);
        if (!(w?.isCharacterDevice() && w.rdev === 0)) return true;
      }
    }
    return false;
  }

  await walk('');
  return lines.join('\n') + (lines.length ? '\n' : '');
}
