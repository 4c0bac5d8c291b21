/**
 * A real RDP client on the machine: FreeRDP 2 (`xfreerdp`, the library guacd uses) drawing into
 * an Xvfb display, both inside a client network namespace, and screenshots of that display
 * (ImageMagick). The password goes on FreeRDP's stdin (`/from-stdin:force`), never in argv.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { run, sleep } from '../harness/run.js';
import type { ClientNetns } from './client-netns.js';

export interface Display {
  number: number;
  stop(): Promise<void>;
}

export async function startDisplay(ns: ClientNetns): Promise<Display> {
  let number = 0;
  for (let n = 200 + (process.pid % 500); ; n++) {
    if (!existsSync(`/tmp/.X${n}-lock`) && !existsSync(`/tmp/.X11-unix/X${n}`)) {
      number = n;
      break;
    }
  }
  const proc = spawn(
    ns.exec[0]!,
    [...ns.exec.slice(1), 'Xvfb', `:${number}`, '-screen', '0', '1024x768x24', '-nolisten', 'tcp'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100 && !existsSync(`/tmp/.X11-unix/X${number}`); i++) await sleep(50);
  if (!existsSync(`/tmp/.X11-unix/X${number}`)) throw new Error(`Xvfb :${number} did not start`);
  return {
    number,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r).once('error', r));
    },
  };
}

export interface RdpSession {
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Connects to `address` as `user` (or, without a user, to xrdp's login screen). */
export function rdpConnect(
  ns: ClientNetns,
  display: Display,
  address: string,
  login?: { user: string; password: string },
): RdpSession {
  const args = [
    `/v:${address}`,
    '/sec:tls',
    '/cert:ignore',
    '/size:1024x768',
    '/bpp:24',
    '-wallpaper',
    '/log-level:INFO',
    ...(login ? [`/u:${login.user}`, '/from-stdin:force'] : []),
  ];
  const proc = spawn(ns.exec[0]!, [...ns.exec.slice(1), 'xfreerdp', ...args], {
    env: { ...process.env, DISPLAY: `:${display.number}` },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  proc.stdin!.end(login ? `${login.password}\n` : '');
  return {
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await new Promise((r) => proc.once('exit', r));
      }
    },
  };
}

export async function screenshot(ns: ClientNetns, display: Display, file: string): Promise<void> {
  await run(ns.exec[0]!, [
    ...ns.exec.slice(1),
    'import',
    '-display',
    `:${display.number}`,
    '-window',
    'root',
    file,
  ]);
}

/** Distinct colours in an image (1: blank). */
export async function colours(file: string): Promise<number> {
  return Number((await run('identify', ['-format', '%k', file])).stdout.trim());
}

/** Pixels that differ between two images of the same size (a 5% fuzz ignores anti-aliasing noise). */
export async function differingPixels(a: string, b: string): Promise<number> {
  const r = await run('compare', ['-metric', 'AE', '-fuzz', '5%', a, b, 'null:'], { allowFail: true });
  return Number.parseFloat(r.stderr.trim());
}
