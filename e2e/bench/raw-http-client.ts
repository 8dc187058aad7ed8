/**
 * A minimal HTTP/1.1 client for load generators that share the machine with the server they measure:
 * requests are bytes the caller formats, each kept-alive connection carries one request at a time,
 * and an answer is read as far as a bench needs it (status, Location, a Content-Length body). It
 * refuses what it does not read (a chunked answer, a malformed head) instead of guessing. node:http
 * cost the writes latency client ~0.2-0.3 ms of CPU per write on the two cores it shares with fast,
 * the appliers and PostgreSQL; this is a fraction of that, and wrk cannot hold a response open for
 * `Prefer: wait` while timing WebSocket frames beside it.
 */
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  readonly status: number;
  readonly location: string | undefined;
  readonly body: Buffer;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.1 (\d{3}) /;

/** An error carrying a code, like the socket errors it stands beside in a report. */
function failure(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** Parses one answer at the start of `data`: the answer and its length in bytes, or undefined if incomplete. */
export function parseAnswer(data: Buffer): { answer: RawAnswer; length: number } | undefined {
  const headEnd = data.indexOf(HEAD_END);
  if (headEnd < 0) return undefined;
  const lines = data.toString('latin1', 0, headEnd).split('\r\n');
  const status = STATUS_LINE.exec(lines[0] ?? '');
  if (!status) throw failure('EBADANSWER', `not an HTTP/1.1 status line: ${JSON.stringify(lines[0])}`);
  let contentLength = 0;
  let location: string | undefined;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') contentLength = Number(value);
    else if (name === 'location') location = value;
    else if (name === 'transfer-encoding')
      throw failure('EBADANSWER', `a ${value} answer: this client reads Content-Length bodies only`);
  }
  if (!Number.isSafeInteger(contentLength) || contentLength < 0)
    throw failure('EBADANSWER', `Content-Length ${contentLength}`);
  const length = headEnd + HEAD_END.length + contentLength;
  if (data.length < length) return undefined;
  return {
    answer: {
      status: Number(status[1]),
      location,
      body: data.subarray(headEnd + HEAD_END.length, length),
    },
    length,
  };
}

/** One kept-alive connection; one request at a time. */
class Connection {
  private received: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (answer: RawAnswer) => void; reject: (error: Error) => void } | undefined;
  alive = true;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(failure('ECONNRESET', 'the server closed the connection')));
  }

  request(bytes: Buffer | string): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.alive = false;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    let parsed;
    try {
      parsed = parseAnswer(this.received);
    } catch (error) {
      this.fail(error as Error);
      this.close();
      return;
    }
    if (!parsed) return;
    if (parsed.length !== this.received.length || !this.waiting) {
      this.fail(failure('EBADANSWER', 'bytes after the answer, or an answer nobody asked for'));
      this.close();
      return;
    }
    this.received = Buffer.alloc(0);
    const { resolve } = this.waiting;
    this.waiting = undefined;
    resolve(parsed.answer);
  }

  private fail(error: Error): void {
    this.alive = false;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }
}

/** Connections to one server, opened as requests need them (no cap) and reused once answered. */
export class RawHttpPool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  async request(bytes: Buffer | string): Promise<RawAnswer> {
    let connection = this.idle.pop();
    // An idle connection the server closed meanwhile is dropped, not handed a request to fail.
    while (connection !== undefined && !connection.alive) {
      this.all.delete(connection);
      connection = this.idle.pop();
    }
    connection ??= await this.open();
    try {
      return await connection.request(bytes);
    } finally {
      if (connection.alive) this.idle.push(connection);
      else this.all.delete(connection);
    }
  }

  close(): void {
    for (const connection of this.all) connection.close();
    this.all.clear();
    this.idle.length = 0;
  }

  private open(): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.port, this.host);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const connection = new Connection(socket);
        this.all.add(connection);
        resolve(connection);
      });
    });
  }
}
