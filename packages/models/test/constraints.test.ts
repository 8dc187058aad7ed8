import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '../src/test-database.js';
import { Category, ModelValidationError, Product, Role, User } from '../src/index.js';

const dialect = testDialect();

describe(`constraints hold in the database (${dialect})`, () => {
  let db: MigratedTestDatabase;
  let categoryId: number;

  before(async () => {
    db = await createMigratedDatabase();
    const em = db.orm.em.fork();
    const category = em.create(Category, { name: 'Tools', slug: 'tools' });
    await em.flush();
    categoryId = category.id;
  });
  after(() => db.close());

  const insertProduct = (columns: Record<string, unknown>) => {
    const row = {
      sku: `SKU-${Math.random().toString(36).slice(2)}`,
      name: 'Hammer',
      price_cents: 100,
      currency: 'EUR',
      stock: 1,
      category_id: categoryId,
      tags: '[]',
      ...columns,
    };
    return db.orm.em.getKnex().table('products').insert(row);
  };

  test('a valid raw row is accepted', async () => {
    await insertProduct({});
  });

  for (const [label, columns] of Object.entries({
    'negative price': { price_cents: -1 },
    'negative stock': { stock: -5 },
    'lowercase currency': { currency: 'eur' },
    'four-letter currency': { currency: 'EURO' },
    'blank sku': { sku: '  ' },
    'tags that are not a list': { tags: '{"a":1}' },
    'missing category': { category_id: 999999 },
    'null name': { name: null },
  })) {
    test(`raw SQL with ${label} is refused`, async () => {
      await assert.rejects(insertProduct(columns));
    });
  }

  test('sku is unique', async () => {
    await insertProduct({ sku: 'DUP-1' });
    await assert.rejects(insertProduct({ sku: 'DUP-1' }));
  });

  test('email is unique regardless of case', async () => {
    const knex = db.orm.em.getKnex();
    await knex.table('users').insert({ email: 'ann@example.com', password_hash: 'x' });
    await assert.rejects(knex.table('users').insert({ email: 'Ann@Example.COM', password_hash: 'x' }));
  });

  test('category slug and role name are unique', async () => {
    const knex = db.orm.em.getKnex();
    await assert.rejects(knex.table('categories').insert({ name: 'Again', slug: 'tools' }));
    await knex.table('roles').insert({ name: 'reader' });
    await assert.rejects(knex.table('roles').insert({ name: 'reader' }));
  });

  test('a category with products cannot be deleted', async () => {
    await assert.rejects(db.orm.em.getKnex().table('categories').where({ id: categoryId }).delete());
  });
});

describe(`model validation through the ORM (${dialect})`, () => {
  let db: MigratedTestDatabase;
  before(async () => {
    db = await createMigratedDatabase();
  });
  after(() => db.close());

  test('bad product fields are reported per field and nothing is written', async () => {
    const em = db.orm.em.fork();
    const category = em.create(Category, { name: 'Garden', slug: 'garden' });
    await em.flush();
    em.create(Product, {
      sku: 'P-1',
      name: 'Rake',
      priceCents: -3,
      currency: 'XYZ',
      stock: -1,
      category,
      tags: [],
    });
    await assert.rejects(em.flush(), (error: unknown) => {
      assert.ok(error instanceof ModelValidationError);
      assert.deepEqual(Object.keys(error.errors).sort(), ['currency', 'priceCents', 'stock']);
      return true;
    });
    assert.equal(await db.orm.em.fork().count(Product, {}), 0);
  });

  test('emails are stored lower-cased and roles reject unknown permissions', async () => {
    const em = db.orm.em.fork();
    const user = em.create(User, { email: '  Bob@Example.com ', passwordHash: 'x' });
    await em.flush();
    assert.equal(user.email, 'bob@example.com');
    em.create(Role, { name: 'weird', scopes: [], permissions: ['fly_product'] });
    await assert.rejects(em.flush(), ModelValidationError);
  });

  test('a product created without stock or tags gets the database defaults', async () => {
    const em = db.orm.em.fork();
    const category = em.create(Category, { name: 'Defaults', slug: 'defaults' });
    const product = em.create(Product, {
      sku: 'D-1',
      name: 'Plain',
      priceCents: 1,
      currency: 'USD',
      category,
    });
    await em.flush();
    const loaded = await db.orm.em.fork().findOneOrFail(Product, { id: product.id });
    assert.equal(loaded.stock, 0);
    assert.deepEqual(loaded.tags, []);
    assert.equal(loaded.published, false);
  });

  test('a product round-trips with its tags and category', async () => {
    const em = db.orm.em.fork();
    const category = em.create(Category, { name: 'Kitchen', slug: 'kitchen' });
    em.create(Product, {
      sku: 'K-1',
      name: 'Pan',
      priceCents: 2599,
      currency: 'EUR',
      stock: 3,
      category,
      tags: ['iron', 'pan'],
      published: true,
    });
    await em.flush();
    const loaded = await db.orm.em.fork().findOneOrFail(Product, { sku: 'K-1' }, { populate: ['category'] });
    assert.deepEqual(loaded.tags, ['iron', 'pan']);
    assert.equal(loaded.category.slug, 'kitchen');
    assert.equal(loaded.published, true);
    assert.ok(loaded.createdAt instanceof Date);
  });
});
