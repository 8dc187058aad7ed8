/**
 * @tandem/client's collection reads against the real auth and fast services: `get` reuses its cached
 * answer on a 304 (If-None-Match with the ETag it was served), sees a change once the record changed,
 * and `list`/`iterate` follow the `next` cursors across pages, with filters.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, type Product, type TandemClient } from '@tandem/client';
import { Category, Product as ProductEntity } from '@tandem/models';
import { eventually, sqlitePassOnly, testDialect } from '@tandem/models/testing';
import { READER_EMAIL, READER_PASSWORD } from '../support/catalog.js';
import { useClientServices } from '../support/client-services.js';
import type { RecordingFetch } from '../support/recording-fetch.js';

const skip = sqlitePassOnly(
  'ETags, cursors, filters and pages are the fast service’s in-memory store and the client’s code; ' +
    'the one database write reaches fast through the change feed as admin-to-fast’s do on both databases',
);
let gardenId = 0;
const services = useClientServices({
  products: 10,
  skip,
  seed: async (db) => {
    const em = db.orm.em.fork();
    const garden = em.create(Category, { name: 'Garden', slug: 'garden' });
    for (const sku of ['G-1', 'G-2', 'G-3'])
      em.create(ProductEntity, {
        sku,
        name: `Garden ${sku}`,
        priceCents: 500,
        currency: 'EUR',
        category: garden,
        published: true,
      });
    em.create(ProductEntity, {
      sku: 'G-HIDDEN',
      name: 'Unpublished',
      priceCents: 1,
      currency: 'EUR',
      category: garden,
    });
    await em.flush();
    gardenId = garden.id;
  },
});
let tandemClient: TandemClient;
let recording: RecordingFetch;

before(async () => {
  if (skip) return;
  await services.ready;
  ({ client: tandemClient, recording } = services.recordedClient());
  await tandemClient.tokens.password({ username: READER_EMAIL, password: READER_PASSWORD });
});

const reads = (path: string) =>
  recording.exchanges.filter(
    (exchange) => new URL(exchange.url).pathname + new URL(exchange.url).search === path,
  );

test(
  `get: the second read is a 304 served from the client's cache; a change is seen (${testDialect()})`,
  { skip },
  async () => {
    const first = await tandemClient.collections.products.get(3);
    assert.equal(first.sku, 'SKU-3');
    assert.equal(typeof first.updatedAt, 'string');
    const second = await tandemClient.collections.products.get(3);
    assert.deepEqual(second, first);
    assert.notEqual(second, first, 'each read gets its own object: callers may change it freely');
    const [served, revalidated] = reads('/v1/products/3');
    assert.equal(served!.status, 200);
    assert.equal(served!.requestHeaders.get('if-none-match'), null);
    assert.equal(revalidated!.status, 304, 'the server answered 304 and the client used its copy');
    assert.match(revalidated!.requestHeaders.get('if-none-match') ?? '', /^(W\/)?"/);

    const em = services.db.orm.em.fork();
    await em.nativeUpdate(ProductEntity, { id: 3 }, { name: 'Renamed tool', updatedAt: new Date() });
    let seen: Product | undefined;
    await eventually('the renamed product is served', async () => {
      seen = await tandemClient.collections.products.get(3);
      return seen.name === 'Renamed tool';
    });
    assert.equal(reads('/v1/products/3').at(-1)!.status, 200, 'a changed record is sent again, not a 304');
  },
);

test('get: an absent record is an ApiError 404 not_found', { skip }, async () => {
  const error = await tandemClient.collections.products.get(999_999).then(
    () => assert.fail('a missing record was returned'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof ApiError, String(error));
  assert.equal(error.status, 404);
  assert.equal(error.code, 'not_found');
});

test('list returns one page and its cursor; iterate follows next across every page', { skip }, async () => {
  const page = await tandemClient.collections.products.list({ limit: 4 });
  assert.deepEqual(
    page.items.map((product) => product.id),
    [1, 2, 3, 4],
  );
  assert.ok(page.next);
  const following = await tandemClient.collections.products.list({ limit: 4, after: page.next });
  assert.equal(following.items[0]!.id, 5);

  const before = recording.exchanges.length;
  const all: Product[] = [];
  for await (const product of tandemClient.collections.products.iterate({ limit: 4 })) all.push(product);
  assert.equal(all.length, 13, 'ten tools and three published garden products, not the unpublished one');
  assert.deepEqual(
    all.map((product) => product.id),
    [...all.map((product) => product.id)].sort((a, b) => a - b),
  );
  assert.equal(new Set(all.map((product) => product.id)).size, 13);
  const pages = recording.exchanges
    .slice(before)
    .filter((exchange) => exchange.url.includes('/v1/products?'));
  assert.equal(pages.length, 4, '13 records at 4 per page');

  const garden: string[] = [];
  for await (const product of tandemClient.collections.products.iterate({ categoryId: gardenId, limit: 2 }))
    garden.push(product.sku);
  assert.deepEqual(garden, ['G-1', 'G-2', 'G-3']);
});

test('iterate stops early when the caller breaks out, without reading further pages', { skip }, async () => {
  const before = recording.exchanges.length;
  for await (const product of tandemClient.collections.products.iterate({ limit: 2 })) {
    if (product.id === 1) break;
  }
  assert.equal(recording.exchanges.length - before, 1);
});

test('a list request the service refuses is an ApiError with its code', { skip }, async () => {
  await assert.rejects(
    tandemClient.collections.products.list({ limit: 5000 }),
    (error: unknown) => error instanceof ApiError && error.status === 400 && error.code === 'invalid_limit',
  );
});
