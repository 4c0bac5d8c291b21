/** The PLAY RECAP both tools print (NovaStation aligns its recap like Ansible's). */

export interface HostCounts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
}

export type Recap = Map<string, HostCounts>;

const LINE = /^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)/;

/** Host lines after the last `PLAY RECAP` heading. */
export function parseRecap(output: string): Recap {
  const at = output.lastIndexOf('PLAY RECAP');
  const recap: Recap = new Map();
  if (at < 0) return recap;

  for (const raw of output.slice(at).split('\n')) {
    const m = LINE.exec(raw.replace(/\u001b\[[0-9;]*m/g, '').trim());
    if (!m) continue;
    const [, host = '', ok, changed, unreachable, failed, skipped] = m;
    recap.set(host, {
      ok: Number(ok),
      changed: Number(changed),
      unreachable: Number(unreachable),
      failed: Number(failed),
      skipped: Number(skipped),
    });
  }
  return recap;
}

/** Hosts that failed or were unreachable, or are missing from the recap. */
export function recapProblems(recap: Recap, hosts: readonly string[]): string[] {
  const problems: string[] = [];
  for (const h of hosts) {
    const c = recap.get(h);
    if (!c) problems.push(`${h}: not in the recap`);
    else if (c.failed || c.unreachable)
      problems.push(`${h}: failed=${c.failed} unreachable=${c.unreachable}`);
  }
  return problems;
}
