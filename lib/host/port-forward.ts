/**
 * A local port that leads to a port as seen from the host — `ssh -L 127.0.0.1:0:host:port` over the
 * connection the run already has. Used to reach services that listen only on a host's loopback
 * (the Guacamole webapp on the gateway) without publishing them: each TCP connection to the local
 * port becomes one `direct-tcpip` channel on the existing SSH login. The local port listens on
 * 127.0.0.1 only; it is closed with the forward (or the host).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Connection } from '../transport/types.js';

export interface PortForward {
  /** Where to connect on the controller: 127.0.0.1 and an ephemeral port (or, for a local host, the target itself). */
  host: string;
  port: number;
  /** Opens one connection to the target through the host and closes it: rejects with why it cannot. */
  probe(): Promise<void>;
  close(): Promise<void>;
}

export async function forwardPort(connection: Connection, host: string, port: number): Promise<PortForward> {
  const probeWith = (open: (h: string, p: number) => Promise<Duplex>) => async () => {
    (await open(host, port)).destroy();
  };
  // A local host's ports are the controller's own: nothing to forward.
  if (connection.kind === 'local' || !connection.openTcp)
    return { host, port, probe: probeWith(connectDirect), close: async () => {} };
  const open = connection.openTcp.bind(connection);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.pause();
    open(host, port).then(
      (stream) => {
        socket.pipe(stream).pipe(socket);
        stream.once('error', () => socket.destroy());
        stream.once('close', () => socket.destroy());
        socket.once('close', () => stream.destroy());
        socket.resume();
      },
      () => socket.destroy(),
    );
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const local = typeof address === 'object' && address ? address.port : 0;
  let closed: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port: local,
    probe: probeWith(open),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

function connectDirect(host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}
