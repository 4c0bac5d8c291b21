// Developer CLI: `node scripts/testhosts.mjs up 3 | down | inventory | status | clean | base`.
// `up` hands the hosts to a detached `serve` process that owns them (and brings rebooted hosts
// back) until `down` sends it SIGTERM; its pid is in cli.json, so a dead owner is cleaned like any
// other killed run.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ensureBase } from './base-image.js';
import { bootTestHosts } from './index.js';
import { withLock } from './lock.js';
import { CLI_DIR, STATE_DIR, STATE_LOCK } from './paths.js';
import { isAlive, startTimeOf } from './procs.js';
import { sleep } from './run.js';
import { cleanStale, ownerAlive, readRecords } from './state.js';
import { testHostSupport } from './support.js';

interface CliState {
  pid: number;
  start: string;
  runId: string;
  inventoryFile: string;
  knownHostsFile: string;
  privateKeyFile: string;
  hosts: Array<{ name: string; address: string }>;
}

const STATE_FILE = `${CLI_DIR}/cli.json`;
const INVENTORY_FILE = `${CLI_DIR}/inventory.yml`;
const KNOWN_HOSTS_FILE = `${CLI_DIR}/known_hosts`;
const SERVE_LOG = `${CLI_DIR}/serve.log`;

const USAGE = `usage: node scripts/testhosts.mjs COMMAND
  up N [--prefix P]  boot N test hosts that keep running; prints the inventory YAML
  down               tear down what 'up' started
  inventory          print the inventory of the hosts 'up' started
  status             list harness instances (tests and 'up') and whether their owner lives
  clean              remove leftovers of dead instances (killed test runs)
  base               build the cached Debian base root now (CI can do this up front)`;

function readCliState(): CliState | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as CliState;
  } catch {
    return undefined;
  }
}

function liveCliState(): CliState | undefined {
  const s = readCliState();
  return s && isAlive(s.pid, s.start) ? s : undefined;
}

function removeCliFiles(): void {
  for (const f of [STATE_FILE, INVENTORY_FILE, KNOWN_HOSTS_FILE]) rmSync(f, { force: true });
}

async function up(args: string[]): Promise<number> {
  const n = Number(args[0]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(USAGE);
    return 2;
  }
  const support = testHostSupport();
  if (!support.ok) {
    console.error(`test hosts unavailable: ${support.why}`);
    return 1;
  }
  const running = liveCliState();
  if (running) {
    console.error(`test hosts are already up (owner pid ${running.pid}); run 'down' first`);
    return 1;
  }
  mkdirSync(CLI_DIR, { recursive: true });
  const log = openSync(SERVE_LOG, 'w');
  const child = spawn(process.execPath, [process.argv[1]!, 'serve', ...args], {
    detached: true, // own session: survives this command and the terminal closing
    stdio: ['ignore', log, log, 'ipc'],
  });
  const result = await new Promise<{ ok: boolean; message?: string }>((resolve) => {
    child.once('message', (m) => resolve(m as { ok: boolean; message?: string }));
    child.once('exit', (code) =>
      resolve({ ok: false, message: `serve exited with ${code}; see ${SERVE_LOG}` }),
    );
  });
  child.removeAllListeners();
  if (child.connected) child.disconnect();
  child.unref();
  if (!result.ok) {
    console.error(`up failed: ${result.message}`);
    return 1;
  }
  process.stdout.write(readFileSync(INVENTORY_FILE, 'utf8'));
  console.error(
    `inventory:   ${INVENTORY_FILE}\nknown_hosts: ${KNOWN_HOSTS_FILE}\nprivate key: ${readCliState()?.privateKeyFile}\nlog:         ${SERVE_LOG}`,
  );
  return 0;
}

/** The detached owner of the hosts `up` boots. */
async function serve(args: string[]): Promise<number> {
  const n = Number(args[0]);
  const p = args.indexOf('--prefix');
  const prefix = p >= 0 ? args[p + 1] : undefined;
  try {
    const started = Date.now();
    const th = await bootTestHosts(n, { prefix, log: (l) => console.error(l) });
    writeFileSync(INVENTORY_FILE, th.inventoryYaml());
    writeFileSync(KNOWN_HOSTS_FILE, th.knownHosts());
    const state: CliState = {
      pid: process.pid,
      start: startTimeOf(process.pid) ?? '',
      runId: th.runId,
      inventoryFile: INVENTORY_FILE,
      knownHostsFile: KNOWN_HOSTS_FILE,
      privateKeyFile: th.privateKeyFile,
      hosts: th.hosts.map((h) => ({ name: h.name, address: h.address })),
    };
    writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
    console.error(`serving ${n} host(s), up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await th.teardown();
      removeCliFiles();
      process.exit(0);
    };
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void stop());
    process.on('disconnect', () => {}); // `up` leaving is expected
    process.send?.({ ok: true });
    setInterval(() => {}, 1 << 30); // stay alive until a signal
    return await new Promise<number>(() => {});
  } catch (e) {
    console.error((e as Error).stack ?? String(e));
    process.send?.({ ok: false, message: (e as Error).message });
    return 1;
  }
}

async function down(): Promise<number> {
  const s = readCliState();
  if (s && isAlive(s.pid, s.start)) {
    process.kill(s.pid, 'SIGTERM');
    for (let i = 0; i < 600 && isAlive(s.pid, s.start); i++) await sleep(100);
    if (isAlive(s.pid, s.start)) {
      console.error(`owner pid ${s.pid} did not stop; killing it and cleaning up`);
      process.kill(s.pid, 'SIGKILL');
      await sleep(200);
    }
  } else if (!s) {
    console.error('nothing is up');
  }
  if (s) await clean(); // whatever a dead owner left
  removeCliFiles();
  return 0;
}

async function clean(): Promise<number> {
  const removed = await withLock(STATE_LOCK, () => cleanStale());
  for (const r of removed) console.error(`removed ${r}`);
  if (!liveCliState()) removeCliFiles();
  return 0;
}

function status(): number {
  const records = readRecords();
  if (!records.length) console.log('no harness instances');
  const cli = readCliState();
  for (const r of records) {
    const who = cli?.runId === r.runId ? " (the CLI's 'up')" : '';
    const alive = ownerAlive(r) ? 'alive' : 'DEAD (run clean)';
    console.log(`${r.runId}: owner pid ${r.ownerPid} ${alive}${who}, since ${r.createdAt}`);
    for (const h of r.hosts) console.log(`  ${h.name} ${h.address} ${h.nspawnPid ? 'running' : 'stopped'}`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  if (cmd !== undefined && cmd !== 'help' && process.getuid?.() !== 0) {
    console.error('test hosts need root');
    return 1;
  }
  if (cmd !== undefined) mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
  switch (cmd) {
    case 'up':
      return up(args);
    case 'serve':
      return serve(args);
    case 'down':
      return down();
    case 'inventory': {
      if (!liveCliState() || !existsSync(INVENTORY_FILE)) {
        console.error("nothing is up (run 'up N')");
        return 1;
      }
      process.stdout.write(readFileSync(INVENTORY_FILE, 'utf8'));
      return 0;
    }
    case 'status':
      return status();
    case 'clean':
      return clean();
    case 'base': {
      const t = Date.now();
      await ensureBase((l) => console.error(l));
      console.error(`base root current (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      return 0;
    }
    default:
      console.error(USAGE);
      return cmd === undefined || cmd === 'help' ? 0 : 2;
  }
}
