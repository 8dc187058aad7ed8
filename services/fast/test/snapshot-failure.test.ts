import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompiledProjection, RecordRow, Snapshot } from '@tandem/changefeed';
import { HotStore } from '../src/data/store.js';
import { feedHandlers } from '../src/feed.js';
import type { LiveHub } from '../src/live.js';
import { RevokedSessions } from '../src/revocations.js';

/**
 * A snapshot whose rows stop with an error halfway (a FETCH failed: the change feed's cursor prefetches
 * the next batch while this one is stored) must not leave the node serving the half it got as a
 * complete catalog: the error reaches the feed, which retries, and the store stays not ready.
 */

const projection: CompiledProjection = {
  collection: 'products',
  table: 'products',
  scope: 'catalog:read',
  filterable: [],
  fields: [],
  snapshotSql: '',
  rereadSql: '',
  lookupSql: '',
};

async function* failingAfterOneBatch(): AsyncIterable<readonly RecordRow[]> {
  yield [
    { id: 1, json: '{"id":1}' },
    { id: 2, json: '{"id":2}' },
  ];
  throw new Error('division by zero');
}

test('a snapshot that fails halfway leaves the store not ready', async () => {
  const store = new HotStore([projection]);
  const published: string[] = [];
  const live = { publish: (name: string) => published.push(name) } as unknown as LiveHub;
  const handlers = feedHandlers(store, new RevokedSessions(() => undefined), live);
  const snapshot: Snapshot = {
    position: '1',
    collections: new Map([['products', failingAfterOneBatch()]]),
    revokedSessions: [],
  };
  await assert.rejects(Promise.resolve(handlers.snapshot(snapshot)), /division by zero/);
  assert.equal(store.ready, false);
  // What arrived before the error is held (the retry diffs against it), just not served as complete.
  assert.equal(store.get('products')?.size, 2);
});
