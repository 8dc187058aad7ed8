/**
 * "My list"'s first page is served from bytes kept per owner (OwnerFirstPages): whatever changes
 * between two reads (new rows, edits, rows changing hands, deletes, a reloaded snapshot), the bytes
 * served are exactly the page assembled afresh from the store at that moment.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompiledProjection } from '@tandem/changefeed';
import { AccessTokenVerifier, type VerifiedAccessToken } from '@tandem/tokens';
import { OwnerFirstPages, SIZES_PER_OWNER } from '../src/data/owner-first-pages.js';
import { HotStore } from '../src/data/store.js';
import { listBody } from '../src/http/list-body.js';
import { listReply } from '../src/http/list.js';
import { random } from './support/orders.js';

const projection: CompiledProjection = {
  collection: 'orders',
  table: 'orders',
  scope: 'orders:read',
  filterable: ['status'],
  rowAccess: { field: 'userId', claim: 'sub', anyScope: 'orders:read:any' },
  fields: [],
  snapshotSql: '',
  rereadSql: '',
  lookupSql: '',
};

const tokenOf = (owner: number): VerifiedAccessToken => ({
  sub: String(owner),
  sid: 's',
  jti: 'j',
  scopes: new Set(['orders:read']),
  scopeMask: AccessTokenVerifier.scopeBit('orders:read'),
  expiresAtMs: Number.MAX_SAFE_INTEGER,
  rowClaims: { sub: String(owner) },
});

const json = (id: number, userId: number, version: number) =>
  JSON.stringify({ id, userId, status: 'pending', version });

async function* batches(rows: { id: number; json: string }[]) {
  yield rows;
}

function reply(store: HotStore, owner: number, limit: number): Buffer {
  const answer = listReply(store, 'orders', `limit=${limit}`, tokenOf(owner));
  assert.equal(answer.status, 200);
  return answer.body as Buffer;
}

const served = (store: HotStore, owner: number, limit: number) => reply(store, owner, limit).toString();

function assembled(store: HotStore, owner: number, limit: number): string {
  const page = store.get('orders')!.page(undefined, limit, [], String(owner));
  return Buffer.from(listBody(page)).toString();
}

test('a cached first page always equals the page assembled afresh, through random changes', async () => {
  const next = random(20261202);
  const store = new HotStore([projection]);
  const orders = store.get('orders')!;
  let version = 0;
  const initial = [];
  for (let id = 1; id <= 200; id++) initial.push({ id, json: json(id, 1 + next(8), version) });
  await orders.replaceAll(batches(initial), () => undefined);
  store.ready = true;
  for (let step = 0; step < 2000; step++) {
    // Read first (filling the cache), then change something, then read again.
    const owner = 1 + next(9); // owner 9 starts with no rows
    const limit = [1, 5, 50][next(3)]!;
    // Read twice without a change in between: the second read is the very buffer the first kept.
    const first = reply(store, owner, limit);
    assert.equal(reply(store, owner, limit), first, 'served from the cache');
    const id = 1 + next(260);
    const roll = next(10);
    if (roll === 0) orders.delete(id);
    else if (roll === 1)
      await orders.replaceAll(
        batches(initial.map((r) => ({ id: r.id, json: json(r.id, 1 + next(9), ++version) }))),
        () => undefined,
      );
    else orders.upsert(id, json(id, 1 + next(9), ++version));
    for (let o = 1; o <= 9; o++)
      assert.equal(served(store, o, limit), assembled(store, o, limit), `step ${step}, owner ${o}`);
  }
  assert.ok(orders.firstPages!.size > 0);
});

test('the cache stays within its byte budget, dropping the owners cached longest ago', () => {
  const pages = new OwnerFirstPages(100);
  pages.remember('1', 50, Buffer.alloc(40));
  pages.remember('2', 50, Buffer.alloc(40));
  pages.remember('3', 50, Buffer.alloc(40));
  assert.equal(pages.get('1', 50), undefined, 'the oldest owner went');
  assert.equal(pages.get('2', 50)?.length, 40);
  assert.equal(pages.get('3', 50)?.length, 40);
  assert.equal(pages.size, 80);
  // Owner 2 caches again: now owner 3 cached longest ago, and goes first.
  pages.remember('2', 10, Buffer.alloc(10));
  pages.remember('4', 50, Buffer.alloc(40));
  assert.equal(pages.get('3', 50), undefined, 'owner 3 cached longest ago');
  assert.equal(pages.get('2', 50)?.length, 40);
  assert.equal(pages.get('2', 10)?.length, 10);
  assert.equal(pages.get('4', 50)?.length, 40);
  assert.equal(pages.size, 90);
});

test('a page larger than the whole budget is returned and not kept, and evicts nobody', () => {
  const pages = new OwnerFirstPages(100);
  pages.remember('1', 50, Buffer.alloc(40));
  pages.remember('2', 50, Buffer.alloc(40));
  // Served to its owner all the same (never an empty answer).
  const big = pages.remember('3', 50, Buffer.alloc(500, 7));
  assert.equal(big.length, 500);
  assert.equal(big[499], 7);
  assert.equal(pages.get('3', 50), undefined);
  assert.equal(pages.size, 80);
  assert.equal(pages.get('1', 50)?.length, 40, 'nobody was evicted for it');
  // One exactly the budget's size is kept, alone.
  pages.remember('3', 5, Buffer.alloc(100));
  assert.equal(pages.size, 100);
  assert.equal(pages.get('3', 5)?.length, 100);
  pages.forget('3');
  assert.equal(pages.size, 0);
});

test('one owner asking for every limit holds a few sizes, within the budget, the oldest size going first', () => {
  const budget = 10_000;
  const pages = new OwnerFirstPages(budget);
  pages.remember('other', 50, Buffer.alloc(100));
  for (let limit = 1; limit <= 1000; limit++) {
    // Pages past limit 909 are larger than the whole budget.
    const page = pages.remember('greedy', limit, Buffer.alloc(11 * limit));
    assert.equal(page.length, 11 * limit, 'the caller always gets its page');
    assert.ok(pages.size <= budget, `limit ${limit}: ${pages.size} bytes held`);
    assert.ok(pages.sizesOf('greedy') <= SIZES_PER_OWNER);
  }
  assert.equal(pages.get('greedy', 1000), undefined, 'larger than the budget: not kept');
  assert.equal(pages.get('greedy', 909)?.length, 9999, 'the last page that fits, alone');
  assert.equal(pages.sizesOf('greedy'), 1);
  assert.equal(pages.get('other', 50), undefined, 'the other owner went for the greedy one');
  // At most SIZES_PER_OWNER sizes, the newest: earlier limits were dropped first.
  const fresh = new OwnerFirstPages(1_000_000);
  for (let limit = 1; limit <= 1000; limit++) fresh.remember('greedy', limit, Buffer.alloc(limit));
  assert.equal(fresh.sizesOf('greedy'), SIZES_PER_OWNER);
  for (let limit = 1; limit <= 1000 - SIZES_PER_OWNER; limit++)
    assert.equal(fresh.get('greedy', limit), undefined, `limit ${limit}`);
  for (let limit = 1001 - SIZES_PER_OWNER; limit <= 1000; limit++)
    assert.equal(fresh.get('greedy', limit)?.length, limit);
  assert.equal(fresh.size, 1000 + 999 + 998 + 997);
});

test("when only its own pages are left over the budget, an owner's older sizes go, not the new one", () => {
  const pages = new OwnerFirstPages(100);
  pages.remember('other', 50, Buffer.alloc(30));
  pages.remember('1', 1, Buffer.alloc(30));
  pages.remember('1', 2, Buffer.alloc(30));
  assert.equal(pages.size, 90);
  pages.remember('1', 3, Buffer.alloc(60));
  // The other owner went first (cached longest ago), then owner 1's oldest size.
  assert.equal(pages.get('other', 50), undefined);
  assert.equal(pages.get('1', 1), undefined);
  assert.equal(pages.get('1', 2)?.length, 30);
  assert.equal(pages.get('1', 3)?.length, 60);
  assert.equal(pages.size, 90);
});

test('a remembered page is a copy: reusing the response buffer does not change it', () => {
  const pages = new OwnerFirstPages(1024);
  const scratch = Buffer.from('{"items":[1]}');
  const kept = pages.remember('1', 50, scratch.subarray(0, 13));
  scratch.fill(0);
  assert.equal(kept.toString(), '{"items":[1]}');
  assert.equal(pages.get('1', 50), kept);
});
