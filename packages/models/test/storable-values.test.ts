/**
 * A value its column cannot hold is refused before any SQL, as field errors, alike on both databases:
 * PostgreSQL used to fail the statement (22001, 22003, 22021), which the admin answered with a 500,
 * while SQLite stored it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '../src/test-database.js';
import { Category, ModelValidationError, Product } from '../src/index.js';

const dialect = testDialect();

/** An assert.rejects validator: a ModelValidationError naming exactly these fields. */
const refusesFields =
  (...fields: string[]) =>
  (error: unknown): true => {
    assert.ok(error instanceof ModelValidationError, String(error));
    assert.deepEqual(Object.keys(error.errors).sort(), [...fields].sort(), JSON.stringify(error.errors));
    return true;
  };

describe(`values a column cannot hold are refused before the database sees them (${dialect})`, () => {
  let db: MigratedTestDatabase;
  let category: Category;

  before(async () => {
    db = await createMigratedDatabase();
    const em = db.orm.em.fork();
    category = em.create(Category, { name: 'Tools', slug: 'tools' });
    await em.flush();
  });
  after(() => db.close());

  const create = async (fields: Partial<Record<keyof Product, unknown>>) => {
    const em = db.orm.em.fork();
    const product = em.create(Product, {
      sku: `SKU-${Math.random().toString(36).slice(2)}`,
      name: 'Hammer',
      priceCents: 100,
      currency: 'EUR',
      stock: 1,
      category: em.getReference(Category, category.id),
      ...fields,
    } as never);
    await em.flush();
    return product.id;
  };
  const count = () => db.orm.em.fork().count(Product);

  test('the largest values each column holds are stored and read back', async () => {
    const name = '✓'.repeat(150) + '🔧'.repeat(50); // 200 characters, 250 UTF-16 code units
    const id = await create({ name, priceCents: 2 ** 31 - 1, stock: 2 ** 31 - 1, sku: 'S'.repeat(64) });
    const stored = await db.orm.em.fork().findOneOrFail(Product, id);
    assert.equal(stored.name, name);
    assert.equal(stored.priceCents, 2 ** 31 - 1);
  });

  const refused: [label: string, fields: Record<string, unknown>, errors: string[]][] = [
    ['a name past varchar(200)', { name: 'n'.repeat(201) }, ['name']],
    ['201 characters of which 50 are emoji', { name: '✓'.repeat(151) + '🔧'.repeat(50) }, ['name']],
    ['a name of 5 MB', { name: 'n'.repeat(5_000_000) }, ['name']],
    ['a sku past varchar(64)', { sku: 'S'.repeat(65) }, ['sku']],
    ['a price past a 32-bit integer', { priceCents: 2 ** 31 }, ['priceCents']],
    ['a stock far past it', { stock: 1e15 }, ['stock']],
    ['a NUL in a text column', { description: 'before\0after' }, ['description']],
    ['a NUL in a varchar', { name: 'Ham\0mer' }, ['name']],
    ['several at once', { name: 'n'.repeat(300), priceCents: 2 ** 40 }, ['name', 'priceCents']],
  ];
  for (const [label, fields, errors] of refused) {
    test(`creating a product with ${label} is refused, and nothing is written`, async () => {
      const before = await count();
      await assert.rejects(create(fields), refusesFields(...errors));
      assert.equal(await count(), before);
    });
  }

  test('an update is checked too, and leaves the row as it was', async () => {
    const id = await create({ name: 'Saw' });
    const em = db.orm.em.fork();
    const product = await em.findOneOrFail(Product, id);
    product.name = 'x'.repeat(201);
    product.priceCents = 2 ** 31;
    await assert.rejects(em.flush(), refusesFields('name', 'priceCents'));
    const stored = await db.orm.em.fork().findOneOrFail(Product, id);
    assert.equal(stored.name, 'Saw');
    assert.equal(stored.priceCents, 100);
  });
});
