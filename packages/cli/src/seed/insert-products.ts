import { demoProduct, type DemoCategory, type DemoProduct, type Orm } from '@tandem/models';

/** Rows per INSERT statement: 11 columns × 500 rows stays far below SQLite's and PostgreSQL's parameter limits. */
const ROWS_PER_STATEMENT = 500;
/** Rows per transaction: big enough to amortize the commit, small enough to report progress often. */
const ROWS_PER_TRANSACTION = 10_000;

export interface ProductBatchPlan {
  readonly dialect: 'sqlite' | 'postgresql';
  /** Product number of the first new product (its SKU suffix). */
  readonly firstNumber: number;
  readonly count: number;
  readonly categories: readonly { readonly id: number; readonly demo: DemoCategory }[];
  /** Called after each committed transaction with the number of products inserted so far. */
  readonly onProgress?: (inserted: number) => void;
}

/**
 * Inserts demo products with multi-row INSERTs through the ORM's knex, bypassing the unit of work:
 * creating 100,000 entities one by one would spend minutes in change tracking. The rows are the same
 * ones the entity would write, converted the way each dialect stores them.
 */
export async function insertDemoProducts(orm: Orm, plan: ProductBatchPlan): Promise<void> {
  const knex = orm.em.getKnex();
  const toRow = rowConverter(plan.dialect);
  const now = new Date();
  let inserted = 0;
  while (inserted < plan.count) {
    const size = Math.min(ROWS_PER_TRANSACTION, plan.count - inserted);
    await knex.transaction(async (trx) => {
      for (let offset = 0; offset < size; offset += ROWS_PER_STATEMENT) {
        const rows = [];
        for (let i = offset; i < Math.min(size, offset + ROWS_PER_STATEMENT); i++) {
          const number = plan.firstNumber + inserted + i;
          const category = plan.categories[number % plan.categories.length]!;
          rows.push(toRow(demoProduct(number, category.demo, now), category.id));
        }
        await trx.insert(rows).into('products');
      }
    });
    inserted += size;
    plan.onProgress?.(inserted);
  }
}

type Row = Record<string, string | number | boolean | Date>;

/** SQLite (as MikroORM stores it) keeps dates as epoch milliseconds and booleans as 0/1; PostgreSQL takes them as is. */
function rowConverter(dialect: 'sqlite' | 'postgresql'): (product: DemoProduct, categoryId: number) => Row {
  const date = dialect === 'sqlite' ? (value: Date) => value.getTime() : (value: Date) => value;
  const bool = dialect === 'sqlite' ? (value: boolean) => (value ? 1 : 0) : (value: boolean) => value;
  return (product, categoryId) => ({
    sku: product.sku,
    name: product.name,
    description: product.description,
    price_cents: product.priceCents,
    currency: product.currency,
    stock: product.stock,
    category_id: categoryId,
    tags: JSON.stringify(product.tags),
    published: bool(product.published),
    created_at: date(product.createdAt),
    updated_at: date(product.updatedAt),
  });
}
