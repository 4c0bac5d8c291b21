// Small /proc helpers: process identity that survives pid reuse, children, pid namespaces.
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';

/**
 * Field 22 of /proc/PID/stat (start time in clock ticks): with the pid, identifies a process.
 * Undefined for a zombie too: it runs nothing, and this machine's PID 1 may be slow to reap.
 */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parens: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined; // field 3: state
    return rest[19]; // fields 3.. → index 0 is field 3, so field 22 is index 19
  } catch {
    return undefined;
  }
}

export function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** True if `pid` still runs and is the same process (same start time) as recorded. */
export function isAlive(pid: number | undefined, start: string | undefined): boolean {
  if (!pid) return false;
  const now = startTimeOf(pid);
  return now !== undefined && (start === undefined || now === start);
}

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}

export function pidNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`); // "pid:[4026532xyz]"
  } catch {
    return undefined;
  }
}

/**
 * Every process in a container's pid namespace (as pidNamespaceOf returns it). Never our own
 * namespace: a wrong pid must not turn "kill the container" into "kill the machine".
 */
export function pidsInNamespace(ns: string): number[] {
  if (ns === pidNamespaceOf(process.pid)) return [];
  return allPids().filter((p) => pidNamespaceOf(p) === ns);
}

/** Every process inside a named network namespace (/run/netns/NAME), never our own. */
export function pidsInNetns(name: string): number[] {
  let link: string;
  try {
    link = `net:[${statSync(`/run/netns/${name}`).ino}]`; // the nsfs inode names the namespace
  } catch {
    return [];
  }
  if (link === readlinkSync('/proc/self/ns/net')) return [];
  return allPids().filter((p) => {
    try {
      return readlinkSync(`/proc/${p}/ns/net`) === link;
    } catch {
      return false;
    }
  });
}

/** SIGKILL, ignoring processes that are already gone. */
export function killHard(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
