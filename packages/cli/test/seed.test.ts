import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Category, Product, Role } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { tandem } from './helpers.js';

let db: MigratedTestDatabase;
let env: NodeJS.ProcessEnv;
before(async () => {
  db = await createMigratedDatabase();
  env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
});
after(() => db.close());

test(`seed on ${testDialect()} creates categories, products and the reader role`, async () => {
  const result = await tandem(['seed', '--products', '1200', '--categories', '5'], env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /1,200\/1,200 \(100%/, 'progress is shown');
  assert.match(result.stdout, /Products: 1,200 created/);

  const em = db.orm.em.fork();
  assert.equal(await em.count(Category), 5);
  assert.equal(await em.count(Product), 1200);
  const reader = await em.findOneOrFail(Role, { name: 'reader' });
  assert.deepEqual(reader.scopes, ['catalog:read']);

  // The rows read back through the ORM as valid products (dates, booleans and JSON stored the ORM's way).
  const products = await em.find(Product, {}, { orderBy: { sku: 'asc' }, limit: 50, populate: ['category'] });
  assert.equal(products[0]?.sku, 'DEMO-00000001');
  for (const product of products) {
    assert.ok(product.name.length > 0);
    assert.ok(product.priceCents >= 0);
    assert.match(product.currency, /^[A-Z]{3}$/);
    assert.ok(Array.isArray(product.tags) && product.tags.length > 0);
    assert.equal(typeof product.published, 'boolean');
    assert.ok(product.createdAt instanceof Date && !Number.isNaN(product.createdAt.getTime()));
    assert.ok(product.updatedAt.getTime() >= product.createdAt.getTime());
    assert.ok(product.category.name.length > 0);
    const size = JSON.stringify(product).length;
    assert.ok(size > 600 && size < 1600, `about 1 KB of JSON per product, got ${size}`);
  }
  const published = await em.count(Product, { published: true });
  assert.ok(published > 600 && published < 1200, `mostly published: ${published}`);
});

test('seed again keeps one reader role and the categories, and continues the SKUs', async () => {
  // A hand-made product whose SKU merely starts like a demo one does not disturb the numbering.
  const em0 = db.orm.em.fork();
  const category = await em0.findOneOrFail(Category, { slug: 'kitchen' });
  em0.create(Product, {
    sku: 'DEMO-special',
    name: 'Special',
    priceCents: 100,
    currency: 'EUR',
    stock: 1,
    category,
    tags: [],
  });
  await em0.flush();
  const result = await tandem(['seed', '--products', '30', '--categories', '5'], env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /reader .*already there/);
  const em = db.orm.em.fork();
  assert.equal(await em.count(Role, { name: 'reader' }), 1);
  assert.equal(await em.count(Category), 5);
  assert.equal(await em.count(Product), 1231);
  const last = await em.findOneOrFail(Product, { sku: { $like: 'DEMO-0%' } }, { orderBy: { sku: 'desc' } });
  assert.equal(last.sku, 'DEMO-00001230');
});

test('seed restores the catalog:read scope on an edited reader role without dropping other scopes', async () => {
  const em = db.orm.em.fork();
  const reader = await em.findOneOrFail(Role, { name: 'reader' });
  reader.scopes = ['catalog:write'];
  await em.flush();
  const result = await tandem(['seed', '--products', '0'], env);
  assert.equal(result.code, 0, result.stderr);
  const again = await db.orm.em.fork().findOneOrFail(Role, { name: 'reader' });
  assert.deepEqual(again.scopes, ['catalog:write', 'catalog:read']);
});

test('seed rejects a bad or missing --products value as a usage error', async () => {
  for (const argv of [
    ['seed'],
    ['seed', '--products', 'many'],
    ['seed', '--products', '-5'],
    ['seed', '--products', '1.5'],
    ['seed', '--products', '10', '--categories', '0'],
    ['seed', '--products', '10', '--colour', 'red'],
  ]) {
    const result = await tandem(argv, env);
    assert.equal(result.code, 2, `${argv.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /Usage: tandem seed --products N/);
  }
  assert.equal(await db.orm.em.fork().count(Product), 1231);
});
