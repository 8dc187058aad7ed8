import { Order } from '@tandem/models';
import type { Harness } from './fast.js';
import type { TestIssuer } from './issuer.js';

/** One order as the fast service serves it (the fields these tests compare). */
export interface ServedOrder {
  readonly id: number;
  readonly userId: number;
  readonly status: string;
  readonly totalCents: number;
}

export const STATUSES = ['pending', 'paid', 'shipped', 'cancelled'] as const;

/** `count` users with the given email prefix; their ids, in order. */
export async function createUsers(h: Harness, prefix: string, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const email = `${prefix}-${i}@example.com`;
    await h.sql(`insert into users (email, password_hash) values (?, 'x')`, [email]);
    const [row] = await h.sql(`select id from users where email = ?`, [email]);
    ids.push(Number(row.id));
  }
  return ids;
}

/** A new order of `userId` through the ORM (validated, captured by the triggers); its id. */
export async function createOrder(h: Harness, userId: number, totalCents = 1000): Promise<number> {
  const em = h.db.orm.em.fork();
  const order = em.create(Order, {
    user: userId,
    status: 'pending',
    currency: 'EUR',
    totalCents,
    lines: [{ productId: 1, quantity: 1, unitPriceCents: totalCents }],
  });
  await em.flush();
  return order.id;
}

/** A raw UPDATE, as any writer might do it: the capture triggers see it like an ORM write. */
export async function updateOrder(
  h: Harness,
  id: number,
  change: { userId?: number; status?: string },
): Promise<void> {
  if (change.userId !== undefined)
    await h.sql(`update orders set user_id = ? where id = ?`, [change.userId, id]);
  if (change.status !== undefined)
    await h.sql(`update orders set status = ? where id = ?`, [change.status, id]);
}

export async function deleteOrder(h: Harness, id: number): Promise<void> {
  await h.sql(`delete from orders where id = ?`, [id]);
}

/** Every order in the database, as served fields, by id. */
export async function databaseOrders(h: Harness): Promise<Map<number, ServedOrder>> {
  const rows = await h.sql(`select id, user_id, status, total_cents from orders order by id`);
  return new Map(
    rows.map((r: { id: unknown; user_id: unknown; status: string; total_cents: unknown }) => [
      Number(r.id),
      { id: Number(r.id), userId: Number(r.user_id), status: r.status, totalCents: Number(r.total_cents) },
    ]),
  );
}

/** The served fields of an order as the API returns it. */
export function served(order: ServedOrder): ServedOrder {
  return { id: order.id, userId: order.userId, status: order.status, totalCents: order.totalCents };
}

/** A user's access token for orders (sub: the user id, like the auth service signs it). */
export function userToken(issuer: TestIssuer, userId: number, sid?: string): Promise<string> {
  return issuer.sign({ sub: String(userId), scope: 'orders:read', ...(sid ? { sid } : {}) });
}

/** A small seeded PRNG (mulberry32): a failing run prints its seed and can be replayed. */
export function random(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % below) | 0;
  };
}
