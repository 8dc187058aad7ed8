import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyPassword } from '@tandem/accounts';
import { Category, Order, Product, Role, User, validateOrder } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { DEFAULT_SEED_PASSWORD } from '../src/commands/seed.js';
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
  assert.deepEqual(reader.scopes, ['catalog:read', 'orders:read', 'orders:write', 'writes:read']);

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

test('seed restores the reader scopes on an edited reader role without dropping other scopes', async () => {
  const em = db.orm.em.fork();
  const reader = await em.findOneOrFail(Role, { name: 'reader' });
  reader.scopes = ['catalog:write'];
  await em.flush();
  const result = await tandem(['seed', '--products', '0'], env);
  assert.equal(result.code, 0, result.stderr);
  const again = await db.orm.em.fork().findOneOrFail(Role, { name: 'reader' });
  assert.deepEqual(again.scopes, [
    'catalog:write',
    'catalog:read',
    'orders:read',
    'orders:write',
    'writes:read',
  ]);
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
    assert.match(result.stderr, /Usage: tandem seed \[--products N/);
  }
  assert.equal(await db.orm.em.fork().count(Product), 1231);
});

test(`seed --users --orders on ${testDialect()}: reader users, orders spread over them, one shared password`, async () => {
  const result = await tandem(['seed', '--users', '40', '--orders', '1000'], env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /Seeding users: 40\/40 \(100%/, 'progress is shown');
  assert.match(result.stderr, /Seeding orders: 1,000\/1,000 \(100%/);
  assert.match(
    result.stdout,
    /Users: 40 created .*seed-user-000001@example\.com to seed-user-000040@example\.com/,
  );
  assert.match(result.stdout, /Orders: 1,000 created .*\(25 to 25 per user\)/);

  const em = db.orm.em.fork();
  const users = await em.find(
    User,
    { email: { $like: 'seed-user-%' } },
    { populate: ['roles'], orderBy: { id: 'asc' } },
  );
  assert.equal(users.length, 40);
  for (const user of users) {
    assert.deepEqual(
      user.roles.getItems().map((role) => role.name),
      ['reader'],
    );
    assert.equal(user.isStaff, false);
    assert.equal(user.isActive, true);
  }
  // Every seeded user can sign in with the documented password (one hash, computed once).
  const hashes = await db.orm.em
    .getKnex()('users')
    .whereIn(
      'id',
      users.map((user) => user.id),
    )
    .distinct('password_hash');
  assert.equal(hashes.length, 1);
  assert.ok(await verifyPassword(String(hashes[0]!.password_hash), DEFAULT_SEED_PASSWORD));

  // Spread: every new user owns exactly 1000 / 40 orders; the rows read back as valid orders.
  const perOwner = (await db.orm.em
    .getKnex()('orders')
    .select('user_id')
    .count({ n: '*' })
    .groupBy('user_id')) as { user_id: number; n: number | string }[];
  assert.equal(perOwner.length, 40);
  assert.ok(perOwner.every((row) => Number(row.n) === 25));
  assert.deepEqual(
    new Set(perOwner.map((row) => Number(row.user_id))),
    new Set(users.map((user) => user.id)),
  );
  const orders = await em.find(Order, {}, { limit: 200, orderBy: { id: 'asc' } });
  for (const order of orders) {
    assert.doesNotThrow(() => validateOrder({ ...order, user: order.user.id }));
    assert.ok(order.createdAt instanceof Date && order.updatedAt.getTime() >= order.createdAt.getTime());
  }
  assert.ok(new Set(orders.map((order) => order.status)).size >= 3, 'the statuses vary');
});

test('seed --users again continues the numbering; --orders without --users and a bad --password are refused', async () => {
  const result = await tandem(
    ['seed', '--users', '3', '--orders', '4', '--password', 'another-password'],
    env,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /seed-user-000041@example\.com to seed-user-000043@example\.com/);
  assert.match(result.stdout, /password as given/, 'a given password is not echoed');
  assert.equal(await db.orm.em.fork().count(Order), 1004);

  for (const [argv, message] of [
    [['seed', '--orders', '10'], /Give --products N, --users U/],
    [['seed', '--users', '0', '--orders', '10'], /--orders N needs --users U/],
    [['seed', '--users', '5', '--password', '1234567890'], /--password: Password cannot be entirely numeric/],
    [['seed', '--users', '5', '--password', 'short'], /--password: Password must be at least 8/],
    [['seed', '--users', 'lots'], /--users must be a whole number/],
    [['seed', '--users', '5', '--orders', '1.5'], /--orders must be a whole number/],
  ] as const) {
    const refused = await tandem([...argv], env);
    assert.equal(refused.code, 2, `${argv.join(' ')}: ${refused.stderr}`);
    assert.match(refused.stderr, message);
  }
  assert.equal(await db.orm.em.fork().count(Order), 1004, 'a refused run writes nothing');
  assert.equal(await db.orm.em.fork().count(User, { email: { $like: 'seed-user-%' } }), 43);
});
