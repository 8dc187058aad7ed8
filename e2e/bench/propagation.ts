import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { openOrm } from '@tandem/models';
import type { DatabaseTarget } from '@tandem/config';

export interface Percentiles {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly count: number;
}

export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return { p50Ms: at(0.5), p99Ms: at(0.99), count: sorted.length };
}

/**
 * Commit in the database → change frame received by a WebSocket subscriber. One change at a time (each
 * waits for its frame), so the figure is propagation latency, not queueing. The clock starts when the
 * UPDATE (an autocommit statement) has returned, i.e. after the commit.
 */
export async function measurePropagation(
  target: DatabaseTarget,
  fastUrl: string,
  token: string,
  changes: number,
  maxId: number,
): Promise<Percentiles> {
  const orm = await openOrm(target);
  const socket = new WebSocket(`${fastUrl.replace(/^http/, 'ws')}/v1/live`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const waiting = new Map<string, (at: number) => void>();
  socket.on('message', (data) => {
    const at = performance.now();
    const frame = JSON.parse(String(data)) as { type: string; id?: number; data?: { stock: number } };
    if (frame.type !== 'change' || frame.data === undefined) return;
    waiting.get(`${frame.id}:${frame.data.stock}`)?.(at);
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ type: 'subscribe', topic: 'products' }));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const connection = orm.em.getConnection();
  const samples: number[] = [];
  try {
    for (let i = 0; i < changes; i++) {
      const id = 1 + (i % maxId);
      const [row] = (await connection.execute('select stock from products where id = ?', [id])) as {
        stock: number | string;
      }[];
      const next = Number(row!.stock) + 1;
      const received = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no change frame for product ${id} within 10 s`)),
          10_000,
        );
        waiting.set(`${id}:${next}`, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
      await connection.execute('update products set stock = ? where id = ?', [next, id]);
      const committed = performance.now();
      samples.push((await received) - committed);
      waiting.delete(`${id}:${next}`);
    }
  } finally {
    socket.close();
    await orm.close();
  }
  return percentiles(samples);
}
