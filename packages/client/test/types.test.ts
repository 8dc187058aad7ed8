/**
 * The generated types at work: this file must compile (each `@ts-expect-error` must find its error),
 * so a regression in the typing of collections, filters or live topics fails the build. At run time
 * it checks that every generated collection has its client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  collections,
  createTandemClient,
  type ChangeOf,
  type ListQuery,
  type LiveChange,
  type Product,
  type TandemClient,
  type Topic,
} from '../src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <T extends true>(): T | undefined => undefined;

same<Equal<ChangeOf<'products/42'>, LiveChange<Product>>>();
same<Equal<ChangeOf<'products'>, LiveChange<Product>>>();
const recordTopic: Topic = 'products/42';
// @ts-expect-error: not a hot collection
const unknownTopic: Topic = 'nothing';
const productQuery: ListQuery<'products'> = { categoryId: 3, limit: 10 };
// @ts-expect-error: categories lists take no filters
const categoryQuery: ListQuery<'categories'> = { categoryId: 3 };
// @ts-expect-error: a filter takes the field's type
const wrongFilter: ListQuery<'products'> = { categoryId: 'three' };

/** Never called: only type-checked. */
export async function typedReads(client: TandemClient): Promise<string[]> {
  const product = await client.collections.products.get(1);
  // @ts-expect-error: not a field of Product
  void product.colour;
  const tags: string[] = product.tags;
  client.live.subscribe('categories/1', (change) => {
    if (change.op === 'upsert') tags.push(change.data.slug);
    // @ts-expect-error: data is null on a delete
    else void change.data.slug;
  });
  return tags;
}

/** Never called: only type-checked. */
export async function typedWrites(client: TandemClient): Promise<number> {
  const placed = await client.collections.orders.create({ lines: [{ productId: 1, quantity: 2 }] });
  // @ts-expect-error: an order's body holds its lines; the total is the source's to compute
  await client.collections.orders.create({ lines: [], totalCents: 5 });
  await client.collections.orders.update(7, { status: 'cancelled' }, { ifMatch: '"v1"' });
  // @ts-expect-error: a client may only cancel an order
  await client.collections.orders.update(7, { status: 'paid' });
  // @ts-expect-error: categories take no writes
  await client.collections.categories.create({ name: 'Garden', slug: 'garden' });
  await client.collections.products.update(3, { stock: 4 });
  if (placed.state === 'queued') return placed.writeId;
  if (placed.state === 'applied') return placed.record?.totalCents ?? placed.outcome?.id ?? 0;
  // @ts-expect-error: a deleted record has no record
  return placed.record;
}

test('every generated collection has a typed client', () => {
  void [recordTopic, unknownTopic, productQuery, categoryQuery, wrongFilter, typedWrites];
  const client = createTandemClient({ authUrl: 'http://127.0.0.1:1', fastUrl: 'http://127.0.0.1:1' });
  assert.deepEqual(Object.keys(client.collections).sort(), Object.keys(collections).sort());
  for (const [name, collection] of Object.entries(client.collections)) assert.equal(collection.name, name);
  client.close();
});
