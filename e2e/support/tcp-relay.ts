/**
 * A TCP relay on a fixed loopback port that forwards every connection to whatever port `target` names
 * now, like a load balancer in front of a service that restarts. The fast service cannot listen on
 * its old port again right after it stopped (uSockets binds without SO_REUSEADDR, so the connections
 * it closed, in TIME_WAIT, hold the port for a minute); behind the relay a restarted service takes a
 * new port and clients keep one address. A connection made while the target is down is closed at once.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpRelay {
  /** http://127.0.0.1:<relay port> */
  readonly url: string;
  /** Points new connections at another port (e.g. the restarted service's). */
  retarget(port: number): void;
  close(): Promise<void>;
}

export async function startTcpRelay(targetPort: number): Promise<TcpRelay> {
  let target = targetPort;
  const sockets = new Set<Socket>();
  const server = createServer((downstream) => {
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    downstream.on('error', () => upstream.destroy());
    upstream.on('error', () => downstream.destroy());
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the relay has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    retarget(port) {
      target = port;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
