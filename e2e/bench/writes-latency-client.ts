/**
 * The client of the writes latency bench (writes.ts), one process pinned to core 1, forked with IPC:
 * one WebSocket per writer subscribed to `orders` (each receives its own orders), and a steady stream
 * of `POST /v1/orders` with `Prefer: wait=10` at the planned rate, writers in turn. A 201 comes back
 * once the order is applied and in fast's store (its bytes as GET serves them); every tenth is checked
 * with a GET at once. Times are wall-clock milliseconds (performance.timeOrigin + now(): the applier's
 * `applied_at` is wall clock too), so the orchestrator can put commit → frame next to them.
 *   in  {type:'run', plan: LatencyPlan}  → out {type:'report', ...LatencyReport}
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { RawHttpPool } from './raw-http-client.js';

export interface LatencyPlan {
  readonly url: string;
  readonly writers: readonly { readonly token: string }[];
  readonly products: number;
  readonly writesPerSecond: number;
  readonly seconds: number;
}

export interface LatencyReport {
  readonly sent: number;
  /** From the first write sent to the last (the rate achieved is sent ÷ this). */
  readonly sendingSeconds: number;
  /** Until the last answer came. */
  readonly wallSeconds: number;
  /** Answers by status (201 is an applied order, visible to GET). */
  readonly statuses: Readonly<Record<string, number>>;
  /** Per 201: order id, when the POST was sent and when its answer arrived (wall ms). */
  readonly created: readonly (readonly [orderId: number, sentAt: number, answeredAt: number])[];
  /** First `orders` change frame per order id, and when it arrived (wall ms). */
  readonly frames: readonly (readonly [orderId: number, receivedAt: number])[];
  /** GETs right after a 201 (every tenth) and how many of them were not 200. */
  readonly getChecks: number;
  readonly getMisses: number;
  /** This process's CPU time ÷ wall time while it sent (pinned to one core). */
  readonly busyShare: number;
}

const wallMs = () => performance.timeOrigin + performance.now();
const TICK_MS = 5;

/**
 * Requests are formatted here and sent on raw kept-alive connections (RawHttpPool), not with fetch
 * (~0.5 ms of this process's CPU per write: it sent 64-87% of the plan) nor node:http (~0.2-0.3 ms:
 * about a quarter of the machine's second core at 1,000 writes/s, taken from the pipeline being
 * measured). Each waiting write holds a connection until its answer (Prefer: wait), so connections
 * are not capped: with a cap of 2,048, once answers took over ~2 s at 1,000/s more writes were due than
 * connections, and the rest waited in this process (a wait counted as the server's). At most rate x
 * seconds of writes are in flight; the open-files limit bounds them either way.
 */
function post(host: string, token: string, body: string): string {
  return (
    `POST /v1/orders HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nPrefer: wait=10\r\n\r\n${body}`
  );
}

function get(host: string, token: string, path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\n\r\n`;
}

function subscribe(url: string, token: string, frames: Map<number, number>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/live`, {
      headers: { authorization: `Bearer ${token}` },
    });
    socket.once('error', reject);
    // A socket closed before it was subscribed fails the run with the server's reason, not a hang.
    socket.once('close', (code, reason) =>
      reject(new Error(`the orders socket closed before it was subscribed: ${code} ${String(reason)}`)),
    );
    socket.once('open', () => socket.send('{"type":"subscribe","topic":"orders"}'));
    socket.on('message', (raw) => {
      const receivedAt = wallMs();
      const frame = JSON.parse(String(raw)) as { type: string; topic?: string; op?: string; id?: number };
      if (frame.type === 'subscribed') return resolve(socket);
      if (frame.type === 'error') return reject(new Error(`subscribe: ${String(raw)}`));
      if (
        frame.type === 'change' &&
        frame.topic === 'orders' &&
        frame.op === 'upsert' &&
        frame.id !== undefined
      )
        if (!frames.has(frame.id)) frames.set(frame.id, receivedAt);
    });
  });
}

async function run(plan: LatencyPlan): Promise<LatencyReport> {
  const frames = new Map<number, number>();
  const sockets = await Promise.all(plan.writers.map((w) => subscribe(plan.url, w.token, frames)));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const statuses: Record<string, number> = {};
  const created: [number, number, number][] = [];
  let getChecks = 0;
  let getMisses = 0;
  const inFlight = new Set<Promise<void>>();
  const server = new URL(plan.url);
  const pool = new RawHttpPool(server.hostname, Number(server.port));
  const write = async (seq: number) => {
    const writer = plan.writers[seq % plan.writers.length]!;
    const sentAt = wallMs();
    const body = `{"lines":[{"productId":${1 + (seq % plan.products)},"quantity":1}]}`;
    const response = await pool.request(post(server.host, writer.token, body));
    const answeredAt = wallMs();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    if (response.status !== 201) return;
    // The created record's Location (the body is the order's bytes, or the write's outcome row when fast
    // no longer holds the order as created).
    const orderId = Number(/\/v1\/orders\/(\d+)$/.exec(response.location ?? '')?.[1]);
    if (!Number.isSafeInteger(orderId) || response.body.length === 0)
      throw new Error(`201 without an order: ${response.body.toString('utf8')}`);
    created.push([orderId, sentAt, answeredAt]);
    if (seq % 10 === 0) {
      getChecks += 1;
      const read = await pool.request(get(server.host, writer.token, `/v1/orders/${orderId}`));
      if (read.status !== 200) getMisses += 1;
    }
  };
  const total = Math.round(plan.writesPerSecond * plan.seconds);
  const cpuAtStart = process.cpuUsage();
  const started = wallMs();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((wallMs() - started) / 1000) * plan.writesPerSecond));
    for (; sent < due; sent++) {
      const pending = write(sent)
        .catch((error: unknown) => {
          // Named by its code (ECONNRESET, ...) so the report says what failed, not just how often.
          const key = `error ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
          statuses[key] = (statuses[key] ?? 0) + 1;
        })
        .finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  const sendingSeconds = (wallMs() - started) / 1000;
  await Promise.all(inFlight);
  const wallSeconds = (wallMs() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  // Frames still on their way: until every created order has one, or none came for 2 s.
  let last = -1;
  let stableSince = wallMs();
  while (frames.size < created.length && wallMs() - stableSince < 2000) {
    if (frames.size !== last) [last, stableSince] = [frames.size, wallMs()];
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const socket of sockets) socket.terminate();
  pool.close();
  return {
    sent,
    sendingSeconds,
    wallSeconds,
    statuses,
    created,
    frames: [...frames],
    getChecks,
    getMisses,
    busyShare: (cpu.user + cpu.system) / 1000 / (wallSeconds * 1000),
  };
}

process.once('message', (message: { type: 'run'; plan: LatencyPlan }) => {
  run(message.plan).then(
    (report) => process.send!({ type: 'report', ...report }, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`writes latency client: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
