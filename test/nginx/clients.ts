/**
 * Real clients on the machine, talking to the gateway by the certificate's name (SNI and Host) at
 * the test host's address, trusting only the test CA: Node's https and `ws`, openssl s_client,
 * testssl.sh.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import WebSocket from 'ws';

const exec = promisify(execFile);

export interface Site {
  ip: string;
  name: string;
  /** PEM of the CA(s) to trust. */
  ca: string;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function request(
  site: Site,
  path: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: Buffer;
    port?: number;
    plain?: boolean;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const common = {
      host: site.ip,
      port: options.port ?? (options.plain ? 80 : 443),
      path,
      method: options.method ?? 'GET',
      headers: { host: site.name, ...options.headers },
    };
    const req = options.plain
      ? http.request(common)
      : https.request({ ...common, servername: site.name, ca: site.ca, agent: false });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** openssl s_client to the site (its name as SNI), stdin closed at once; exit code and output. */
export async function sClient(
  target: { ip: string; port?: number; name: string },
  args: string[],
): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout, stderr } = await exec(
      'sh',
      [
        '-c',
        'echo | exec openssl s_client "$@"',
        'probe',
        '-connect',
        `${target.ip}:${target.port ?? 443}`,
        '-servername',
        target.name,
        ...args,
      ],
      { timeout: 20_000 },
    );
    return { ok: true, out: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/**
 * One TLS handshake at exactly this version, with every cipher and security level 0 allowed;
 * `-brief` prints the negotiated "Protocol version:" once the handshake is done.
 */
export function handshake(
  target: { ip: string; port?: number; name: string },
  version: 'tls1' | 'tls1_1' | 'tls1_2' | 'tls1_3',
): Promise<{ ok: boolean; out: string }> {
  return sClient(target, ['-brief', `-${version}`, '-cipher', 'DEFAULT:@SECLEVEL=0']);
}

export interface WsTranscript {
  received: string[];
}

/**
 * A WebSocket through nginx: greeting, an echo, then silence both ways for `idleMs`, broken by the
 * server's own push, then another echo — on the same connection.
 */
export function websocketSession(site: Site, path: string, idleMs: number): Promise<WsTranscript> {
  return new Promise((resolve, reject) => {
    const received: string[] = [];
    const ws = new WebSocket(`wss://${site.ip}${path}websocket-tunnel`, {
      ca: site.ca,
      servername: site.name,
      headers: { host: site.name },
    } as WebSocket.ClientOptions);
    const next = (text: string) => {
      received.push(text);
      if (text.startsWith('hello ')) ws.send('before-idle');
      else if (text === 'echo:before-idle') ws.send(`push-in:${idleMs}`);
      else if (text === 'push') ws.send('after-idle');
      else if (text === 'echo:after-idle') ws.close(1000);
    };
    ws.on('message', (data) => next(data.toString()));
    ws.on('close', (code) =>
      code === 1000
        ? resolve({ received })
        : reject(new Error(`closed ${code} after ${JSON.stringify(received)}`)),
    );
    ws.on('error', reject);
  });
}

export interface TestsslFinding {
  id: string;
  severity: string;
  finding: string;
}

/** testssl.sh's findings (its flat JSON file) for the site's name at its address. */
export async function testssl(site: Site, caFile: string, jsonFile: string): Promise<TestsslFinding[]> {
  await exec(
    'testssl',
    [
      '-p',
      '-E',
      '-P',
      '-S',
      '-h',
      '-U',
      '--add-ca',
      caFile,
      '--ip',
      site.ip,
      '--quiet',
      '--color',
      '0',
      '--warnings',
      'off',
      '--jsonfile',
      jsonFile,
      `${site.name}:443`,
    ],
    { timeout: 600_000, maxBuffer: 64 << 20 },
  ).catch((error: { code?: number }) => {
    // testssl exits non-zero when it found something; the JSON file is what counts.
    if (typeof error.code !== 'number') throw error;
  });
  return JSON.parse(readFileSync(jsonFile, 'utf8')) as TestsslFinding[];
}
