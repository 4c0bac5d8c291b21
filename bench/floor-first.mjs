#!/usr/bin/env node
// The first-run floor (issue 21): a plain shell script per host (bench/lib/first-floor.ts builds
// it from what NovaStation's first run wrote), run over ONE SSH session per host, all hosts in
// parallel. One process, timed from start to exit like the tools: connect (host keys checked
// against known_hosts), one exec of `bash -s` with the script on stdin, wait for its exit.
//
//   node bench/floor-first.mjs --key KEY --known-hosts FILE --scripts DIR ADDRESS…
//
// DIR/<ADDRESS>.sh is each host's script. Prints `{"hosts":N,"seconds":S}`; exits 1 when a
// script failed (its stderr is printed).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const { NodeSSH } = await import('node-ssh');

const o = { key: '', knownHosts: '', scripts: '', hosts: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--key') o.key = argv[++i];
  else if (argv[i] === '--known-hosts') o.knownHosts = argv[++i];
  else if (argv[i] === '--scripts') o.scripts = argv[++i];
  else o.hosts.push(argv[i]);
}
if (!o.key || !o.knownHosts || !o.scripts || !o.hosts.length)
  throw new Error('usage: node bench/floor-first.mjs --key KEY --known-hosts FILE --scripts DIR ADDRESS…');
const privateKey = readFileSync(o.key, 'utf8');
const knownKeys = new Map(
  readFileSync(o.knownHosts, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .map(([addr, , key]) => [addr, key]),
);

async function apply(address) {
  const ssh = new NodeSSH();
  await ssh.connect({
    host: address,
    username: 'root',
    privateKey,
    hostVerifier: (key) => knownKeys.get(address) === Buffer.from(key).toString('base64'),
  });
  const r = await ssh.execCommand('bash --noprofile --norc -s', {
    stdin: readFileSync(join(o.scripts, `${address}.sh`), 'utf8'),
  });
  ssh.dispose();
  if (r.code !== 0) throw new Error(`${address}: the script exited ${r.code}: ${r.stderr}`);
}

try {
  await Promise.all(o.hosts.map(apply));
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
console.log(JSON.stringify({ hosts: o.hosts.length, seconds: process.uptime() }));
