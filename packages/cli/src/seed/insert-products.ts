import { demoProduct, type DemoCategory, type Orm } from '@tandem/models';
import { insertInBatches, storedValues } from './batches.js';

export interface ProductBatchPlan {
  readonly dialect: 'sqlite' | 'postgresql';
  /** Product number of the first new product (its SKU suffix). */
  readonly firstNumber: number;
  readonly count: number;
  readonly categories: readonly { readonly id: number; readonly demo: DemoCategory }[];
  /** Called after each committed transaction with the number of products inserted so far. */
  readonly onProgress?: (inserted: number) => void;
}

/** Inserts demo products in batches; the rows are the ones the entity would write, stored the dialect's way. */
export async function insertDemoProducts(orm: Orm, plan: ProductBatchPlan): Promise<void> {
  const { date, bool } = storedValues(plan.dialect);
  const now = new Date();
  await insertInBatches(orm.em.getKnex(), {
    count: plan.count,
    onProgress: plan.onProgress,
    insert: (trx, rows) => trx.insert(rows).into('products'),
    row: (index) => {
      const number = plan.firstNumber + index;
      const category = plan.categories[number % plan.categories.length]!;
      const product = demoProduct(number, category.demo, now);
      return {
        sku: product.sku,
        name: product.name,
        description: product.description,
        price_cents: product.priceCents,
        currency: product.currency,
        stock: product.stock,
        category_id: category.id,
        tags: JSON.stringify(product.tags),
        published: bool(product.published),
        created_at: date(product.createdAt),
        updated_at: date(product.updatedAt),
      };
    },
  });
}
