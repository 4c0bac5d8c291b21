/**
 * Servers the test runs on the machine (not on the test host): pebble (Debian's ACME test CA)
 * with pebble-challtestsrv as its DNS (every name resolves to the test host), the test CA's OCSP
 * responder (`openssl ocsp`), and the positive control for the TLS version probes — an
 * `openssl s_server` that does offer TLS 1.0 and 1.1.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A TCP connection opened and closed at once: the server accepts connections. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const c = connect(port, host, () => (c.end(), resolve(true)));
    c.on('error', () => resolve(false));
  });

async function listening(
  child: ChildProcess,
  what: string,
  ready: () => Promise<boolean>,
  where: string,
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode})`);
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not answer on ${where}`);
}

export class MachineServices {
  readonly #children: ChildProcess[] = [];
  readonly logs = new Map<string, string>();

  async start(
    what: string,
    host: string,
    port: number,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv = {},
    ready: () => Promise<boolean> = () => accepts(host, port),
  ): Promise<void> {
    // Its own process group, so stop() also ends anything it forks.
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.#children.push(child);
    this.logs.set(what, '');
    const log = (d: Buffer) => this.logs.set(what, (this.logs.get(what) ?? '') + d.toString());
    child.stdout!.on('data', log);
    child.stderr!.on('data', log);
    await listening(child, what, ready, `${host}:${port}`).catch((e: Error) => {
      throw new Error(`${e.message}\n${this.logs.get(what)}`);
    });
  }

  /**
   * The test CA's OCSP responder, signing with the intermediate (on every address of the
   * machine). It is ready when it answers a real OCSP request with `good`: a bare connect and
   * close, as the other servers are probed, wedges OpenSSL 3.0's single-process responder for
   * good — it spins on the closed connection and answers nobody again (openssl/openssl#31129,
   * #23934), so nginx's OCSP request timed out, nginx waited 5 minutes before asking again, and
   * nothing was stapled.
   */
  ocspResponder(
    port: number,
    pki: {
      ocspIndexFile: string;
      intermediateFile: string;
      intermediateKeyFile: string;
      rootFile: string;
      leafFile: string;
    },
  ) {
    const ready = () =>
      new Promise<boolean>((resolve) => {
        execFile(
          'openssl',
          [
            'ocsp',
            '-url',
            `http://127.0.0.1:${port}`,
            '-issuer',
            pki.intermediateFile,
            '-cert',
            pki.leafFile,
            '-CAfile',
            pki.rootFile,
            '-timeout',
            '5',
          ],
          { timeout: 10_000 },
          (error, stdout) => resolve(!error && /: good\n/.test(stdout)),
        );
      });
    // No bare-connect probe of it anywhere: one would wedge it (above).
    return this.start(
      'ocsp',
      '127.0.0.1',
      port,
      'openssl',
      [
        'ocsp',
        '-port',
        String(port),
        '-index',
        pki.ocspIndexFile,
        '-CA',
        pki.intermediateFile,
        '-rsigner',
        pki.intermediateFile,
        '-rkey',
        pki.intermediateKeyFile,
        '-nmin',
        '10',
        // One process: -multi refused connections here. -timeout bounds a slow client, but not one
        // that closed without a request (above).
        '-timeout',
        '5',
      ],
      {},
      ready,
    );
  }

  /** A TLS server that offers TLS 1.0 to 1.3: proves the version probe can succeed. */
  tls10Control(port: number, certFile: string, keyFile: string) {
    return this.start('tls1.0 control', '127.0.0.1', port, 'openssl', [
      's_server',
      '-accept',
      `127.0.0.1:${port}`,
      '-cert',
      certFile,
      '-key',
      keyFile,
      '-min_protocol',
      'TLSv1',
      '-cipher',
      'DEFAULT:@SECLEVEL=0',
      '-www',
      '-quiet',
    ]);
  }

  /** pebble at https://<bridge>:<port>/dir, validating http-01 on port 80 of `targetIp` for any name. */
  async pebble(
    dir: string,
    bridgeIp: string,
    targetIp: string,
    cert: { certFile: string; keyFile: string },
  ): Promise<string> {
    const [port, mgmt, dns, dnsMgmt] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    await this.start('challtestsrv', '127.0.0.1', dnsMgmt, 'pebble-challtestsrv', [
      '-dns01',
      `127.0.0.1:${dns}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${dnsMgmt}`,
      '-defaultIPv4',
      targetIp,
      '-defaultIPv6',
      '',
    ]);
    const config = join(dir, 'pebble.json');
    writeFileSync(
      config,
      JSON.stringify({
        pebble: {
          listenAddress: `${bridgeIp}:${port}`,
          managementListenAddress: `127.0.0.1:${mgmt}`,
          certificate: cert.certFile,
          privateKey: cert.keyFile,
          httpPort: 80,
          tlsPort: 443,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
        },
      }),
    );
    // No random validation delays; no nonce rejections to retry through.
    await this.start(
      'pebble',
      bridgeIp,
      port,
      'pebble',
      ['-config', config, '-dnsserver', `127.0.0.1:${dns}`],
      {
        PEBBLE_VA_NOSLEEP: '1',
        PEBBLE_WFE_NONCEREJECT: '0',
      },
    );
    return `https://${bridgeIp}:${port}/dir`;
  }

  stop(): void {
    for (const c of this.#children) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
