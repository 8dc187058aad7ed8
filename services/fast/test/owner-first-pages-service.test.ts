/**
 * The attack on the first-page cache, through the running service: one user asking "my orders" with
 * every limit from 1 to 1000 made fast keep one page per limit (RSS from 121 MB to 842 MB, held until
 * one of their rows changed). Each answer is still the right page; what is kept stays a few pages.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { SIZES_PER_OWNER } from '../src/data/owner-first-pages.js';
import { eventually, startHarness, type Harness } from './support/fast.js';
import { bearer, get } from './support/http.js';
import { createOrder, createUsers, userToken } from './support/orders.js';

const ORDERS = 20;
let h: Harness;
let user: number;

before(async () => {
  h = await startHarness();
  [user] = (await createUsers(h, 'limits', 1)) as [number];
  for (let i = 0; i < ORDERS; i++) await createOrder(h, user, 100 + i);
  await eventually('the orders are served', () => h.fast.store.get('orders')!.size === ORDERS);
});
after(() => h?.close());

test(`one user asking for every limit leaves only a few pages cached (${testDialect()})`, async () => {
  const token = await userToken(h.issuer, user);
  const pages = h.fast.store.get('orders')!.firstPages!;
  let largest = 0;
  for (let limit = 1; limit <= 1000; limit++) {
    const reply = await get(`${h.fast.url}/v1/orders?limit=${limit}`, bearer(token));
    assert.equal(reply.status, 200);
    assert.equal(reply.json.items.length, Math.min(limit, ORDERS), `limit ${limit}`);
    largest = Math.max(largest, reply.text.length);
  }
  assert.equal(pages.sizesOf(String(user)), SIZES_PER_OWNER);
  assert.ok(
    pages.size <= SIZES_PER_OWNER * largest,
    `${pages.size} bytes kept for one user, at most ${SIZES_PER_OWNER} pages of ${largest}`,
  );
  // The newest size is kept, and served again.
  assert.ok(pages.get(String(user), 1000));
  const again = await get(`${h.fast.url}/v1/orders?limit=1000`, bearer(token));
  assert.equal(again.json.items.length, ORDERS);
});
