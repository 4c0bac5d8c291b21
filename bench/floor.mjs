#!/usr/bin/env node
// The floor NovaStation's no-op run is measured against (issues 4 and 21): the least a no-op run
// of the host-prep role must do, written directly on node-ssh. One process (timed from start to
// exit like the tools): connect to every host in parallel (host keys checked against
// known_hosts), open ONE long-lived bash per host over one exec channel, send one read per task
// (the role's 30 paths) one after another, each answer cut out by an end marker, then disconnect.
// The reads start NO process on the host (issue 21): bash's own tests give the type, its `read`
// builtin the content of a regular file, which is hashed (SHA-256) here on the controller. Mode
// and owner cannot be read without a process (bash has no stat builtin), so the floor does not
// read them: it is a lower bound.
//
//   node bench/floor.mjs --key KEY --known-hosts FILE ADDRESS…
//
// Prints `{"hosts":N,"probes":P,"bytes":B,"seconds":S}`.
import { readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';

const { NodeSSH } = await import('node-ssh');

/** The paths the host-prep role manages: one probe each, as one read per task. */
const PATHS = [
  '/etc/novastation',
  '/etc/novastation/site',
  '/etc/motd',
  '/etc/novastation/host.conf',
  '/etc/update-motd.d/10-uname',
  '/etc/group',
  '/etc/gshadow',
  '/etc/passwd',
  '/etc/shadow',
  '/home/deploy/.ssh/authorized_keys',
  '/root/.ssh/authorized_keys',
  '/etc/sudoers.d/deploy',
  '/etc/sudoers.d/ops',
  '/etc/sysctl.d/60-novastation.conf',
  '/etc/modules-load.d/novastation.conf',
  '/etc/ssh/sshd_config',
  '/etc/ssh/sshd_config',
  '/etc/environment',
  '/etc/hosts',
  '/etc/novastation/agent.ini',
  '/etc/novastation/agent.ini',
  '/etc/novastation/agent.ini',
  '/opt/novastation/bin',
  '/opt/novastation/bin/nova-agent',
  '/opt/novastation/bin/healthcheck',
  '/usr/local/bin/nova-health',
  '/var/lib/novastation',
  '/etc/systemd/system/nova-agent.service',
  '/var/lib/novastation/initialized',
  '/etc/systemd/system/multi-user.target.wants/nova-agent.service',
];

function parseArgs(argv) {
  const o = { key: '', knownHosts: '', hosts: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--key') o.key = argv[++i];
    else if (argv[i] === '--known-hosts') o.knownHosts = argv[++i];
    else o.hosts.push(argv[i]);
  }
  if (!o.key || !o.knownHosts || !o.hosts.length)
    throw new Error('usage: node bench/floor.mjs --key KEY --known-hosts FILE ADDRESS…');
  return o;
}

function execChannel(ssh, command) {
  return new Promise((resolve, reject) =>
    ssh.connection.exec(command, (err, channel) => (err ? reject(err) : resolve(channel))),
  );
}

async function probeAll(address, privateKey, knownKeys) {
  const ssh = new NodeSSH();
  await ssh.connect({
    host: address,
    username: 'root',
    privateKey,
    hostVerifier: (key) => knownKeys.get(address) === Buffer.from(key).toString('base64'),
  });
  const channel = await execChannel(ssh, 'bash --noprofile --norc');
  const token = randomBytes(8).toString('hex');
  let buffer = '';
  let waiting;
  channel.on('data', (d) => {
    buffer += d.toString('latin1');
    if (waiting && buffer.includes(waiting.marker)) {
      const w = waiting;
      waiting = undefined;
      const out = buffer.slice(0, buffer.indexOf(w.marker));
      buffer = buffer.slice(buffer.indexOf(w.marker) + w.marker.length);
      w.resolve(out);
    }
  });
  const run = (cmd, seq) =>
    new Promise((resolve) => {
      const marker = `<<${token}.${seq}>>`;
      waiting = { marker, resolve };
      channel.write(`${cmd}\nprintf '%s\\n' '${marker}'\n`);
    });
  let n = 0;
  // Builtins only: `[ -L/-d/-f ]`, and `read -d ''` (to EOF) for a file's bytes, in the C locale.
  channel.write('export LC_ALL=C\n');
  let bytes = 0;
  for (const path of PATHS) {
    const out = await run(
      `p='${path}'; if [ -L "$p" ]; then echo link; elif [ -d "$p" ]; then echo dir; elif [ -f "$p" ]; then c=; { IFS= read -r -d '' c; } < "$p"; printf 'file %d\\n%s' "\${#c}" "$c"; else echo absent; fi`,
      ++n,
    );
    if (out.startsWith('file ')) {
      const body = out.slice(out.indexOf('\n') + 1);
      createHash('sha256').update(body, 'latin1').digest('hex');
      bytes += body.length;
    }
  }
  totalBytes += bytes;
  channel.end('exit 0\n');
  ssh.dispose();
  return n;
}

const o = parseArgs(process.argv.slice(2));
const privateKey = readFileSync(o.key, 'utf8');
const knownKeys = new Map(
  readFileSync(o.knownHosts, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .map(([addr, , key]) => [addr, key]),
);
let totalBytes = 0;
const counts = await Promise.all(o.hosts.map((h) => probeAll(h, privateKey, knownKeys)));
console.log(
  JSON.stringify({
    hosts: o.hosts.length,
    probes: counts.reduce((a, b) => a + b, 0),
    bytes: totalBytes,
    seconds: process.uptime(),
  }),
);
