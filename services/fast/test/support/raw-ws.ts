import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

/** A frame the server sent (servers never mask). */
export interface ServerFrame {
  readonly opcode: number;
  readonly payload: Buffer;
}

/**
 * A WebSocket client on a bare TCP socket, to send frames no WebSocket library would (unmasked,
 * oversized) and to see exactly what the server answers: its frames, and whether the TCP connection
 * ended with or without a close frame.
 */
export class RawWebSocket {
  readonly frames: ServerFrame[] = [];
  /** Set when the TCP connection is closed; `frames` then holds everything the server sent. */
  ended = false;
  private buffered = Buffer.alloc(0);

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.parse();
    });
    socket.on('close', () => (this.ended = true));
    socket.on('error', () => undefined);
  }

  /** Opens /v1/live with `token`; resolves after the 101 answer. */
  static open(port: number, token: string): Promise<RawWebSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const status = head.subarray(0, end).toString('latin1');
        if (!status.startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade refused: ${status}`));
        const client = new RawWebSocket(socket);
        socket.unshift(head.subarray(end + 4));
        resolve(client);
      };
      socket.on('data', onData);
      socket.on('error', reject);
      socket.write(
        'GET /v1/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
          `Authorization: Bearer ${token}\r\n\r\n`,
      );
    });
  }

  /** A text frame as a client must send it (masked) unless `masked` is false. */
  static textFrame(payload: Buffer, masked = true): Buffer {
    const length = payload.length;
    const head =
      length < 126
        ? Buffer.from([0x81, length])
        : length < 65536
          ? Buffer.from([0x81, 126, length >> 8, length & 0xff])
          : Buffer.concat([Buffer.from([0x81, 127]), bigEndian64(length)]);
    if (!masked) return Buffer.concat([head, payload]);
    head[1]! |= 0x80;
    const key = randomBytes(4);
    const body = Buffer.from(payload);
    for (let i = 0; i < body.length; i++) body[i]! ^= key[i % 4]!;
    return Buffer.concat([head, key, body]);
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** The close frame's code, if the server sent one. */
  closeCode(): number | undefined {
    const close = this.frames.find((f) => f.opcode === 0x8);
    return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
  }

  private parse(): void {
    for (;;) {
      const b = this.buffered;
      if (b.length < 2) return;
      let length = b[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + length) return;
      this.frames.push({ opcode: b[0]! & 0x0f, payload: b.subarray(offset, offset + length) });
      this.buffered = b.subarray(offset + length);
    }
  }
}

function bigEndian64(n: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(n));
  return bytes;
}
