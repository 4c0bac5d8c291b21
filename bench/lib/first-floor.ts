/**
 * The first-run floor (issue 21): the changes NovaStation's first run made on each host, made
 * again on fresh hosts by a plain shell script over one SSH session per host (bench/floor-first.mjs)
 * — the least a first run of the role can take. The script is built from what the first run wrote
 * (its overlay upper dir, as the sameness check lists it): folders, files (content written by
 * bash's printf, no process), symlinks, removals, then owners and modes in one `chown`/`chmod`
 * per value, then what the run did to services: `systemctl daemon-reload`, start the agent,
 * reload ssh. Account changes arrive as the files they are (/etc/passwd, /etc/group, …).
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { ansiCQuote } from '../../lib/transport/shell-script.js';
import { quotePosix } from '../../lib/shell/quote.js';

/** The shell script that makes `changes` (runChanges lines of one host; content from `upperDir`). */
export function firstRunScript(changes: readonly string[], upperDir: string): string {
  const make: string[] = [];
  const owners = new Map<string, string[]>();
  const modes = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: string, path: string) => {
    const list = map.get(key);
    if (list) list.push(path);
    else map.set(key, [path]);
  };
  for (const line of [...changes].sort()) {
    const [rel = '', type = '', mode = '', owner = ''] = line.split('\t');
    const path = quotePosix(`/${rel}`);
    if (type === 'gone' || type === 'whiteout') {
      make.push(`rm -rf -- ${path}`);
      continue;
    }
    if (type === 'dir') make.push(`[ -d ${path} ] || mkdir -p -- ${path}`);
    else if (type === 'file')
      make.push(`printf '%s' ${ansiCQuote(readFileSync(`${upperDir}/${rel}`))} > ${path}`);
    else if (type === 'symlink')
      make.push(`ln -sfn -- ${quotePosix(readlinkSync(`${upperDir}/${rel}`))} ${path}`);
    else continue;
    add(owners, owner, path);
    if (type !== 'symlink') add(modes, mode, path);
  }
  const own = [...owners].map(([o, paths]) => `chown -h ${o} -- ${paths.join(' ')}`);
  const mod = [...modes].map(([m, paths]) => `chmod ${m} -- ${paths.join(' ')}`);
  return [
    'set -e',
    ...make,
    ...own,
    ...mod,
    'systemctl daemon-reload',
    'systemctl start nova-agent.service',
    'systemctl reload ssh.service',
    '',
  ].join('\n');
}
