import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder to a real Redis whose connections can stall: once stall() is called, the bytes of
 * the connections that have sent `marker` (e.g. a command only one of a client's connections sends)
 * are held back, so their commands get no reply, while the client's other connections go on working.
 * A real network fault on one connection, not a stand-in for Redis.
 */
export class StallingProxy {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private stalled = false;

  private constructor(
    private readonly target: URL,
    private readonly marker: RegExp,
  ) {
    this.server = createServer((client) => this.forward(client));
  }

  /** A proxy to `target` (a redis:// URL), listening; its own URL is `url`. */
  static async start(target: string, marker: RegExp): Promise<StallingProxy> {
    const proxy = new StallingProxy(new URL(target), marker);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The target's URL with the proxy's address. */
  get url(): string {
    const url = new URL(this.target);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as AddressInfo).port);
    return url.toString();
  }

  private forward(client: Socket): void {
    const upstream = connect(Number(this.target.port || 6379), this.target.hostname);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    let marked = false;
    client.on('data', (chunk: Buffer) => {
      if (!marked && this.marker.test(chunk.toString('latin1'))) marked = true;
      if (!(marked && this.stalled)) upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** From now on, what the marked connections send is dropped: their commands are never answered. */
  stall(): void {
    this.stalled = true;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
