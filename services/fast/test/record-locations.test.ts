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

const rowJson = (id: number, userId: number, version: number, large: boolean) =>
  JSON.stringify({ id, userId, version, note: large ? 'x'.repeat(70_000) : `v${version}` });

async function* batches(rows: readonly { id: number; json: string }[]) {
  for (let i = 0; i < rows.length; i += 7) yield rows.slice(i, i + 7);
}

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

test('record GETs answer the current bytes and ETag of every record, to its owner only', async () => {
  const next = random(20261206);
  const store = new HotStore([PRODUCTS, ORDERS]);
  store.ready = true;
  const truth = { products: new Map<number, string>(), orders: new Map<number, string>() };
  const owners = new Map<number, number>();
  const reader = tokenOf('reader', ['catalog:read']);
  const users = Array.from({ length: USERS }, (_, u) => tokenOf(String(u + 1), ['orders:read']));
  let version = 0;
  const write = (collection: 'products' | 'orders', id: number) => {
    const userId = 1 + next(USERS);
    const json = rowJson(id, userId, ++version, next(25) === 0);
    truth[collection].set(id, json);
    if (collection === 'orders') owners.set(id, userId);
    return json;
  };
  const snapshot = async (collection: 'products' | 'orders') => {
    const rows = [];
    for (const id of IDS) if (next(4) !== 0) rows.push({ id, json: write(collection, id) });
    for (const id of [...truth[collection].keys()])
      if (!rows.some((r) => r.id === id)) truth[collection].delete(id);
    await store.get(collection)!.replaceAll(batches(rows), () => undefined);
  };
  const check = (step: number) => {
    for (const id of IDS) {
      const where = `step ${step}, id ${id}`;
      assertServes(recordReply(store, 'products', String(id), '', reader), truth.products.get(id), where);
      for (const user of users) {
        const mine = owners.get(id) === Number(user.sub) ? truth.orders.get(id) : undefined;
        assertServes(recordReply(store, 'orders', String(id), '', user), mine, `${where}, user ${user.sub}`);
      }
      // A conditional GET with the current ETag is still answered 304 by the record object's path.
      const json = truth.products.get(id);
      if (json !== undefined) {
        const etag = recordEtag(Buffer.from(json));
        assert.equal(recordReply(store, 'products', String(id), etag, reader).status, 304, where);
      }
    }
  };

  await snapshot('products');
  await snapshot('orders');
  check(0);
  for (let step = 1; step <= 400; step++) {
    const collection = next(2) === 0 ? 'products' : 'orders';
    const id = IDS[next(IDS.length)]!;
    const action = next(20);
    if (action === 0) await snapshot(collection);
    else if (action < 6) {
      store.get(collection)!.delete(id);
      truth[collection].delete(id);
    } else store.get(collection)!.upsert(id, write(collection, id));
    check(step);
  }
});
