/**
 * A record GET answers a snapshot's records from where the snapshot put their bytes (SlabLocations),
 * not from the record objects. After any sequence of snapshot loads, changes from the feed, deletes,
 * owner changes, ids past the dense range and records too large for a slab, every GET must answer
 * exactly the bytes and ETag the record object holds, to its owner only: never a previous version,
 * never a deleted record, never another user's row.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordEtag, type CompiledProjection } from '@tandem/changefeed';
import { AccessTokenVerifier, type VerifiedAccessToken } from '@tandem/tokens';
import { HotStore } from '../src/data/store.js';
import { recordReply } from '../src/http/record.js';
import type { Reply } from '../src/http/respond.js';
import { random } from './support/orders.js';

const projection = (collection: string, scope: string, rowAccess?: CompiledProjection['rowAccess']) =>
  ({
    collection,
    table: collection,
    scope,
    filterable: [],
    rowAccess,
    fields: [],
    snapshotSql: '',
    rereadSql: '',
    lookupSql: '',
  }) satisfies CompiledProjection;

const PRODUCTS = projection('products', 'catalog:read');
const ORDERS = projection('orders', 'orders:read', { field: 'userId', claim: 'sub', anyScope: undefined });

function tokenOf(sub: string, scopes: readonly string[]): VerifiedAccessToken {
  let scopeMask = 0;
  for (const scope of scopes) scopeMask |= AccessTokenVerifier.scopeBit(scope);
  return {
    sub,
    sid: 's',
    jti: 'j',
    scopes: new Set(scopes),
    scopeMask,
    expiresAtMs: Date.now() + 60_000,
    rowClaims: { sub },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/**
 * Ids in the dense range, around the points where the locations' cells grow (6 per id, in powers of
 * two from 1,024: ids 170 and 341 straddle a boundary), and past the dense range (2^20 and more are
 * kept in a Map only).
 */
const IDS = [
  ...range(1, 40),
  ...range(166, 174),
  ...range(338, 344),
  2 ** 20 - 1,
  2 ** 20,
  2 ** 20 + 7,
  2 ** 40,
];
const USERS = 6;

/** A row's JSON; `userId` null: an order without an owner, which no user reads. */
const rowJson = (id: number, userId: number | null, version: number, large: boolean) =>
  JSON.stringify({ id, userId, version, note: large ? 'x'.repeat(70_000) : `v${version}` });

const text = (bytes: Uint8Array | string | undefined) =>
  typeof bytes === 'string' ? bytes : bytes && Buffer.from(bytes).toString('utf8');

function assertServes(reply: Reply, json: string | undefined, where: string): void {
  if (json === undefined) {
    assert.equal(reply.status, 404, where);
    return;
  }
  assert.equal(reply.status, 200, where);
  assert.equal(text(reply.body), json, where);
  assert.equal(text(reply.etag), recordEtag(Buffer.from(json)), where);
}

type Collection = 'products' | 'orders';
interface Row {
  readonly id: number;
  readonly json: string;
  readonly userId: number | null;
}

test('record GETs answer the current bytes and ETag of every record, to its owner only', async () => {
  const next = random(20261206);
  const store = new HotStore([PRODUCTS, ORDERS]);
  store.ready = true;
  /** What each GET must answer: the rows as the store has been told of them so far, with their owners. */
  const truth = { products: new Map<number, Row>(), orders: new Map<number, Row>() };
  const reader = tokenOf('reader', ['catalog:read']);
  const users = Array.from({ length: USERS }, (_, u) => tokenOf(String(u + 1), ['orders:read']));
  let version = 0;
  const newRow = (id: number): Row => {
    const userId = next(8) === 0 ? null : 1 + next(USERS);
    return { id, userId, json: rowJson(id, userId, ++version, next(25) === 0) };
  };
  const check = (where: string) => {
    for (const id of IDS) {
      const at = `${where}, id ${id}`;
      const product = truth.products.get(id);
      assertServes(recordReply(store, 'products', String(id), '', reader), product?.json, at);
      const order = truth.orders.get(id);
      for (const user of users) {
        const mine = order !== undefined && order.userId === Number(user.sub) ? order.json : undefined;
        assertServes(recordReply(store, 'orders', String(id), '', user), mine, `${at}, user ${user.sub}`);
      }
      // A conditional GET with the current ETag is still answered 304 by the record object's path.
      if (product !== undefined) {
        const etag = recordEtag(Buffer.from(product.json));
        assert.equal(recordReply(store, 'products', String(id), etag, reader).status, 304, at);
      }
    }
  };
  /** A snapshot load, with every record GET checked between its batches (old or new, never other bytes). */
  const snapshot = async (collection: Collection, step: number) => {
    const rows = IDS.filter(() => next(4) !== 0).map(newRow);
    async function* batches() {
      for (let i = 0; i < rows.length; i += 7) {
        check(`step ${step}, reloading ${collection} before row ${i}`);
        yield rows.slice(i, i + 7);
        for (const row of rows.slice(i, i + 7)) truth[collection].set(row.id, row);
      }
    }
    await store.get(collection)!.replaceAll(batches(), () => undefined);
    for (const id of [...truth[collection].keys()])
      if (!rows.some((r) => r.id === id)) truth[collection].delete(id);
  };

  await snapshot('products', 0);
  await snapshot('orders', 0);
  check('step 0');
  for (let step = 1; step <= 400; step++) {
    const collection = next(2) === 0 ? 'products' : 'orders';
    const id = IDS[next(IDS.length)]!;
    const action = next(20);
    if (action === 0) await snapshot(collection, step);
    else if (action < 6) {
      store.get(collection)!.delete(id);
      truth[collection].delete(id);
    } else {
      const row = newRow(id);
      store.get(collection)!.upsert(id, row.json);
      truth[collection].set(id, row);
    }
    check(`step ${step}`);
  }
});

test('a slab is held for GETs only while a located record lies in it', async () => {
  const store = new HotStore([PRODUCTS]);
  store.ready = true;
  const products = store.get('products')!;
  // ~2,000 records of ~1 KB: two 1 MB record slabs and one ETag slab.
  const rows = range(1, 2000).map((id) => ({ id, json: rowJson(id, 1, 0, false).padEnd(1000, ' ') }));
  const load = async () => {
    async function* batches() {
      yield rows;
    }
    await products.replaceAll(batches(), () => undefined);
  };
  await load();
  assert.equal(products.located.slabsHeld, 3);
  // Every record changed by the feed (buffers of its own) or deleted: nothing of the snapshot is read.
  for (const { id } of rows) {
    if (id % 2 === 0) products.delete(id);
    else products.upsert(id, rowJson(id, 1, 1, false));
    assert.equal(products.located.has(id), false);
  }
  assert.equal(products.located.slabsHeld, 0);
  for (const { id } of rows.filter((r) => r.id % 2 === 1)) {
    const reply = recordReply(store, 'products', String(id), '', tokenOf('reader', ['catalog:read']));
    assert.equal(text(reply.body), rowJson(id, 1, 1, false));
  }
  await load();
  assert.equal(products.located.slabsHeld, 3);
});

test('rows of a hot window are answered from their records, and not once they have aged out', async () => {
  const store = new HotStore([{ ...projection('recent', 'catalog:read'), hotWindowMs: 60_000 }]);
  store.ready = true;
  const recent = store.get('recent')!;
  async function* batches() {
    yield range(1, 50).map((id) => ({ id, json: rowJson(id, 1, 0, false) }));
  }
  await recent.replaceAll(batches(), () => undefined);
  const reader = tokenOf('reader', ['catalog:read']);
  for (const id of range(1, 50)) {
    assert.equal(recent.located.has(id), false);
    assert.equal(text(recordReply(store, 'recent', String(id), '', reader).body), rowJson(id, 1, 0, false));
  }
  recent.sweep(Date.now() + 120_000);
  for (const id of range(1, 50))
    assert.equal(recordReply(store, 'recent', String(id), '', reader).status, 404);
});
