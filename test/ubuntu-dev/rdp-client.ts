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

/** How to connect: a Guacamole RDP connection's `port`, `security` and `ignore-cert`, mapped to FreeRDP's. */
export interface RdpOptions {
  port?: number;
  /** Guacamole's `security`: `tls`, `nla`, `rdp`, `vmconnect` or `any` (FreeRDP negotiates). Default tls. */
  security?: string;
  /** Default true. */
  ignoreCert?: boolean;
}

/** Connects to `address` as `user` (or, without a user, to xrdp's login screen). */
export function rdpConnect(
  ns: ClientNetns,
  display: Display,
  address: string,
  login?: { user: string; password: string },
  options: RdpOptions = {},
): RdpSession {
  const security = options.security ?? 'tls';
  const args = [
    `/v:${address}${options.port ? `:${options.port}` : ''}`,
    ...(security === 'any' ? [] : [`/sec:${security === 'vmconnect' ? 'nla' : security}`]),
    ...(options.ignoreCert === false ? [] : ['/cert:ignore']),
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

export interface DesktopLogin {
  /** xrdp's login screen (a connection without credentials). */
  loginShot: string;
  loginColours: number;
  /** sesman's log lines written during the login. */
  sesmanLog: string;
  /** `pgrep -u USER -x xfce4-session` on the host ('' if it never ran). */
  sessionPid: string;
  /** `xfce4-panel\nxfdesktop\n` once both run as the user. */
  parts: string;
  desktopShot: string;
  /** Pixels of the desktop shot unlike the login screen's, and its distinct colours. */
  differing: number;
  colours: number;
  /** FreeRDP's output, for messages. */
  clientOutput: string;
}

/**
 * A real RDP login to an xrdp host up to the user's XFCE desktop: a shot of xrdp's login screen,
 * then a login as `login.user`, waiting (each step up to ~30 s) for sesman's "created session",
 * xfce4-session, its panel and desktop as that user, and a screenshot that differs from the login
 * screen over a fifth of the display. It waits and measures; the caller judges the result.
 * `onHost` runs a shell command on the xrdp host (for its logs and processes).
 */
export async function loginToDesktop(o: {
  ns: ClientNetns;
  display: Display;
  address: string;
  login: { user: string; password: string };
  onHost: (cmd: string) => Promise<string>;
  loginShot: string;
  desktopShot: string;
  options?: RdpOptions;
}): Promise<DesktopLogin> {
  const { ns, display, address, login: user, onHost } = o;
  const screen = rdpConnect(ns, display, address, undefined, o.options);
  let loginColours = 0;
  for (let i = 0; i < 100 && loginColours <= 8; i++) {
    await sleep(200);
    await screenshot(ns, display, o.loginShot);
    loginColours = await colours(o.loginShot);
  }
  await screen.stop();

  const logBefore = Number(await onHost('wc -l < /var/log/xrdp-sesman.log'));
  const session = rdpConnect(ns, display, address, user, o.options);
  const created = new RegExp(`created session.*username ${user.user}\\b`);
  try {
    let sesmanLog = '';
    for (let i = 0; i < 300 && !created.test(sesmanLog); i++) {
      await sleep(100);
      sesmanLog = await onHost(`tail -n +${logBefore + 1} /var/log/xrdp-sesman.log`);
    }
    let sessionPid = '';
    for (let i = 0; i < 300 && !sessionPid; i++) {
      await sleep(100);
      sessionPid = (await onHost(`pgrep -u ${user.user} -x xfce4-session || true`)).trim();
    }
    // Its desktop and panel started: what the screenshot should show.
    let parts = '';
    for (let i = 0; i < 300 && parts !== 'xfce4-panel\nxfdesktop\n'; i++) {
      if (i) await sleep(100);
      parts = await onHost(
        `pgrep -u ${user.user} -x xfce4-panel >/dev/null && echo xfce4-panel; pgrep -u ${user.user} -x xfdesktop >/dev/null && echo xfdesktop; true`,
      );
    }
    let differing = 0;
    let shotColours = 0;
    for (let i = 0; i < 150; i++) {
      await sleep(200);
      await screenshot(ns, display, o.desktopShot);
      differing = await differingPixels(o.loginShot, o.desktopShot);
      shotColours = await colours(o.desktopShot);
      // The panel and desktop drawn: most of the screen differs from the login dialog.
      if (differing > 1024 * 768 * 0.2 && shotColours > 8) break;
    }
    return {
      loginShot: o.loginShot,
      loginColours,
      sesmanLog,
      sessionPid,
      parts,
      desktopShot: o.desktopShot,
      differing,
      colours: shotColours,
      clientOutput: session.output(),
    };
  } finally {
    await session.stop();
  }
}
