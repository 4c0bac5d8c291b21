/**
 * Installs and starts the stand-in backend on a test host's loopback. The host has python3 but no
 * node: the machine's own node binary (dynamically linked against libc/libstdc++, both in the
 * host's Debian 12 base) and the `ws` package are copied into the host's root, and the server runs
 * there as a transient systemd service — a real process on the gateway's 127.0.0.1, as the
 * Guacamole webapp would be, reached only through nginx.
 */
import { cpSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestHosts } from '../harness/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '..', '..');

export async function startStandin(
  hosts: TestHosts,
  name: string,
  port: number,
  path: string,
): Promise<void> {
  const root = hosts.host(name).rootDir;
  mkdirSync(join(root, 'opt/standin/node_modules'), { recursive: true });
  copyFileSync(process.execPath, join(root, 'opt/standin/node'));
  cpSync(join(repo, 'node_modules/ws'), join(root, 'opt/standin/node_modules/ws'), { recursive: true });
  copyFileSync(join(here, 'standin-server.mjs'), join(root, 'opt/standin/server.mjs'));
  // Started, then waited for until it listens (bash: /dev/tcp).
  const r = await hosts.exec(
    name,
    `systemd-run --unit=guacamole-standin --quiet /opt/standin/node /opt/standin/server.mjs ${port} ${path} && ` +
      `bash -c 'for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/${port}) 2>/dev/null && exit 0; sleep 0.1; done; exit 1'`,
  );
  if (r.exitCode !== 0) throw new Error(`stand-in backend did not start: ${r.stderr}`);
}
