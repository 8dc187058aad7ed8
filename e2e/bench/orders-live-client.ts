/**
 * The subscribers of the live orders bench (orders-live.ts), one process pinned to core 1: one
 * WebSocket per user, each subscribed to `orders`. Forked with IPC. Messages:
 *   in  {type:'open', url, users: [{id, token}]}  → out {type:'open'} once every socket is subscribed
 *   in  {type:'start'}                             → starts counting frames and this process's CPU time
 *   in  {type:'count'}                             → out {type:'count', deliveries} (frames so far)
 *   in  {type:'stop'}                              → out {type:'report', ...ClientReport}, then closes
 * Every change frame is recorded with the user whose socket received it, so the orchestrator can check
 * each change reached its owner and nobody else.
 */
import WebSocket from 'ws';

export interface ClientUser {
  readonly id: string;
  readonly token: string;
}

export interface Delivery {
  /** The change's sequence number (the order's total, set by the writer). */
  readonly seq: number;
  /** The user whose socket received the frame. */
  readonly socketUser: string;
  /** The `userId` the frame's row carried. */
  readonly rowUser: string;
  /** process.hrtime in ms when the frame was handled. */
  readonly receivedAt: number;
}

export interface ClientReport {
  readonly deliveries: readonly Delivery[];
  /** Frames that were not an `orders` change (errors, other topics). */
  readonly otherFrames: number;
  /** This process's CPU time ÷ wall time between start and stop (it is pinned to one core). */
  readonly busyShare: number;
  /** This process's resident memory at stop, with every socket open. */
  readonly rssBytes: number;
}

type Incoming =
  | { type: 'open'; url: string; users: ClientUser[] }
  | { type: 'start' }
  | { type: 'count' }
  | { type: 'stop' };

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sockets: WebSocket[] = [];
const deliveries: Delivery[] = [];
let counting = false;
let otherFrames = 0;
let startedAt = 0;
let cpuAtStart = process.cpuUsage();

/** Opens one socket, waits for `subscribed` to `orders`, then records what it receives. */
function subscribe(url: string, user: ClientUser): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/live`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    sockets.push(socket);
    socket.once('error', reject);
    socket.once('close', (code) => reject(new Error(`user ${user.id}'s socket closed (${code})`)));
    socket.once('open', () => socket.send('{"type":"subscribe","topic":"orders"}'));
    socket.on('message', (raw) => {
      const receivedAt = nowMs();
      const frame = JSON.parse(String(raw)) as {
        type: string;
        topic?: string;
        data?: { userId?: unknown; totalCents?: number };
      };
      if (frame.type === 'subscribed') return resolve();
      // Before `subscribed`, an error (no orders:read, say) would otherwise leave the bench waiting forever.
      if (frame.type === 'error' && !counting)
        return reject(new Error(`user ${user.id} could not subscribe: ${String(raw)}`));
      if (!counting) return;
      if (frame.type !== 'change' || frame.topic !== 'orders' || !frame.data) {
        otherFrames += 1;
        return;
      }
      deliveries.push({
        seq: Number(frame.data.totalCents),
        socketUser: user.id,
        rowUser: String(frame.data.userId),
        receivedAt,
      });
    });
  });
}

async function open(url: string, users: readonly ClientUser[]): Promise<void> {
  // A few hundred handshakes at a time: the server's accept queue, not ours, would drop the rest.
  for (let i = 0; i < users.length; i += 200)
    await Promise.all(users.slice(i, i + 200).map((user) => subscribe(url, user)));
}

process.on('message', (message: Incoming) => {
  if (message.type === 'open') {
    open(message.url, message.users).then(
      () => process.send!({ type: 'open' }),
      (error: unknown) => {
        process.stderr.write(`orders live client: ${String(error)}\n`);
        process.exit(1);
      },
    );
  } else if (message.type === 'count') {
    process.send!({ type: 'count', deliveries: deliveries.length });
  } else if (message.type === 'start') {
    counting = true;
    startedAt = nowMs();
    cpuAtStart = process.cpuUsage();
  } else {
    counting = false;
    const cpu = process.cpuUsage(cpuAtStart);
    const busyShare = (cpu.user + cpu.system) / 1000 / (nowMs() - startedAt);
    const report: ClientReport = {
      deliveries,
      otherFrames,
      busyShare,
      rssBytes: process.memoryUsage().rss,
    };
    process.send!({ type: 'report', ...report }, () => {
      for (const socket of sockets) socket.terminate();
      process.exit(0);
    });
  }
});
