import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '../src/test-database.js';
import { Category, ModelValidationError, Product, Role, User } from '../src/index.js';

const dialect = testDialect();

/** How each database reports one specific constraint violation (so a refusal for another reason fails). */
interface Violation {
  readonly postgresql: { readonly code: string; readonly constraint?: string; readonly column?: string };
  readonly sqlite: { readonly code: string; readonly message: RegExp };
}

const check = (constraint: string, sqlite: RegExp): Violation => ({
  postgresql: { code: '23514', constraint },
  sqlite: { code: 'SQLITE_CONSTRAINT_CHECK', message: sqlite },
});
const unique = (constraint: string, sqlite: RegExp): Violation => ({
  postgresql: { code: '23505', constraint },
  sqlite: { code: 'SQLITE_CONSTRAINT_UNIQUE', message: sqlite },
});
const productCategoryForeignKey: Violation = {
  postgresql: { code: '23503', constraint: 'products_category_id_foreign' },
  sqlite: { code: 'SQLITE_CONSTRAINT_FOREIGNKEY', message: /FOREIGN KEY constraint failed/ },
};

/** An assert.rejects validator: the error is exactly `expected` in the dialect under test. */
function violates(expected: Violation) {
  return (error: unknown): true => {
    const e = error as { code?: string; constraint?: string; column?: string; message?: string };
    if (dialect === 'postgresql') {
      const { code, constraint, column } = expected.postgresql;
      assert.equal(e.code, code, e.message);
      if (constraint !== undefined) assert.equal(e.constraint, constraint, e.message);
      if (column !== undefined) assert.equal(e.column, column, e.message);
    } else {
      assert.equal(e.code, expected.sqlite.code, e.message);
      assert.match(e.message ?? '', expected.sqlite.message);
    }
    return true;
  };
}

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

  const refusedRows: [label: string, columns: Record<string, unknown>, violation: Violation][] = [
    [
      'negative price',
      { price_cents: -1 },
      check('products_price_cents_check', /CHECK constraint failed: price_cents\b/),
    ],
    ['negative stock', { stock: -5 }, check('products_stock_check', /CHECK constraint failed: stock\b/)],
    ['lowercase currency', { currency: 'eur' }, check('products_currency_check', /`currency` glob '\[A-Z\]/)],
    [
      'four-letter currency',
      { currency: 'EURO' },
      // PostgreSQL refuses it by the column type, varchar(3), before the check runs.
      {
        postgresql: { code: '22001' },
        sqlite: { code: 'SQLITE_CONSTRAINT_CHECK', message: /length\(`currency`\) = 3/ },
      },
    ],
    ['blank sku', { sku: '  ' }, check('products_sku_check', /length\(trim\(`sku`\)\) > 0/)],
    [
      'tags that are not a list',
      { tags: '{"a":1}' },
      check('products_tags_check', /json_type\(`tags`\) = 'array'/),
    ],
    ['missing category', { category_id: 999999 }, productCategoryForeignKey],
    [
      'null name',
      { name: null },
      {
        postgresql: { code: '23502', column: 'name' },
        sqlite: { code: 'SQLITE_CONSTRAINT_NOTNULL', message: /products\.name/ },
      },
    ],
  ];
  for (const [label, columns, violation] of refusedRows) {
    test(`raw SQL with ${label} is refused`, async () => {
      await assert.rejects(insertProduct(columns), violates(violation));
    });
  }

  test('sku is unique', async () => {
    await insertProduct({ sku: 'DUP-1' });
    await assert.rejects(
      insertProduct({ sku: 'DUP-1' }),
      violates(unique('products_sku_unique', /products\.sku/)),
    );
  });

  test('email is unique regardless of case', async () => {
    const knex = db.orm.em.getKnex();
    await knex.table('users').insert({ email: 'ann@example.com', password_hash: 'x' });
    await assert.rejects(
      knex.table('users').insert({ email: 'Ann@Example.COM', password_hash: 'y' }),
      violates(unique('users_email_lower_unique', /users_email_lower_unique/)),
    );
  });

  test('category slug and role name are unique', async () => {
    const knex = db.orm.em.getKnex();
    await assert.rejects(
      knex.table('categories').insert({ name: 'Again', slug: 'tools' }),
      violates(unique('categories_slug_unique', /categories\.slug/)),
    );
    await knex.table('roles').insert({ name: 'reader' });
    await assert.rejects(
      knex.table('roles').insert({ name: 'reader' }),
      violates(unique('roles_name_unique', /roles\.name/)),
    );
  });

  test('a category with products cannot be deleted', async () => {
    await assert.rejects(
      db.orm.em.getKnex().table('categories').where({ id: categoryId }).delete(),
      // SQLite runs ON DELETE RESTRICT as an internal trigger, so it reports SQLITE_CONSTRAINT_TRIGGER.
      violates({
        postgresql: productCategoryForeignKey.postgresql,
        sqlite: { code: 'SQLITE_CONSTRAINT_TRIGGER', message: /FOREIGN KEY constraint failed/ },
      }),
    );
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

  test('a tag listed twice is refused with the tag named, and nothing is written', async () => {
    const em = db.orm.em.fork();
    const category = em.create(Category, { name: 'Pans', slug: 'pans' });
    await em.flush();
    const product = { sku: 'P-2', name: 'Pan', priceCents: 100, currency: 'EUR', category };
    em.create(Product, { ...product, tags: ['iron', 'pan', 'iron'] });
    await assert.rejects(em.flush(), (error: unknown) => {
      assert.ok(error instanceof ModelValidationError);
      assert.deepEqual(error.errors, { tags: 'Each tag once: "iron" is listed twice.' });
      return true;
    });
    assert.equal(await db.orm.em.fork().count(Product, {}), 0);
    const fresh = db.orm.em.fork();
    const saved = fresh.create(Product, { ...product, tags: ['iron', 'Iron'] });
    await fresh.flush();
    saved.tags = ['pan', 'pan'];
    await assert.rejects(fresh.flush(), ModelValidationError);
    assert.deepEqual((await db.orm.em.fork().findOneOrFail(Product, saved.id)).tags, ['iron', 'Iron']);
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
