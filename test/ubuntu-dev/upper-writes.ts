/**
 * What a host wrote since a moment: entries of its overlay upper dir whose ctime is later (a
 * write, a rename, a chmod or a new entry in a folder all set it), minus what the system writes
 * by itself (the snapshot's own list). Unlike a full snapshot it hashes nothing, so it stays cheap
 * on a host with a desktop installed; it is as exact for "a check-mode run wrote nothing".
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isIgnored } from '../harness/snapshot.js';

export async function writtenSince(upperDir: string, sinceMs: number): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = await readdir(join(upperDir, rel));
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      if (isIgnored(r)) continue;
      const st = await lstat(join(upperDir, r));
      if (st.ctimeMs > sinceMs) out.push(r);
      if (st.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out.sort();
}
