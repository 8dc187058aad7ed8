import WebSocket from 'ws';

export interface LiveClient {
  readonly socket: WebSocket;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- frames under test
  readonly frames: any[];
  closed: { code: number; reason: string } | undefined;
  send(message: unknown): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- frames under test
  next(predicate: (frame: any) => boolean, what: string): Promise<any>;
  close(): void;
}

/** Opens /v1/live; resolves when open, rejects with the HTTP status when the upgrade is refused. */
export function openLive(
  baseUrl: string,
  options: { token?: string; queryToken?: string } = {},
): Promise<LiveClient> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/v1/live${options.queryToken ? `?access_token=${encodeURIComponent(options.queryToken)}` : ''}`;
  const socket = new WebSocket(url, {
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
  });
  const client: LiveClient = {
    socket,
    frames: [],
    closed: undefined,
    send: (message) =>
      socket.send(
        typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message),
      ),
    async next(predicate, what) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const index = client.frames.findIndex(predicate);
        if (index >= 0) return client.frames.splice(index, 1)[0];
        if (Date.now() > deadline) throw new Error(`no frame: ${what}; got ${JSON.stringify(client.frames)}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    close: () => socket.terminate(),
  };
  socket.on('message', (data) => client.frames.push(JSON.parse(String(data))));
  socket.on('close', (code, reason) => {
    client.closed = { code, reason: String(reason) };
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }));
      socket.terminate();
    });
    socket.once('error', reject);
  });
}
