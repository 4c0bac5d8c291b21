// "The host is up" means what a client needs: port 22 accepts and sshd sends its banner.
import { connect } from 'node:net';
import { sleep } from './run.js';

function bannerOnce(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: address, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('data', (b: Buffer) => done(b.toString('latin1').startsWith('SSH-')));
    sock.once('error', () => done(false));
    sock.once('close', () => done(false));
  });
}

/** Polls until sshd answers with a banner; `alive` aborts early when the host died meanwhile. */
export async function waitForSsh(
  address: string,
  port: number,
  timeoutMs: number,
  alive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`${address}: the host stopped while waiting for sshd`);
    if (await bannerOnce(address, port, 2000)) return;
    await sleep(50);
  }
  throw new Error(`${address}:${port}: no SSH banner after ${timeoutMs / 1000} s`);
}
