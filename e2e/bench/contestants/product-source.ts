import { loadConfig } from '@tandem/config';
import type { Product as ClientProduct } from '@tandem/client';
import { openOrm, Product, type Orm } from '@tandem/models';

/**
 * The JSON every contestant serves for a product: the `products` hot projection's fields, as the
 * generated client types them.
 */
export type ProductJson = ClientProduct;

/** How a straightforward handler turns an ORM entity into the response object. */
export function productJson(product: Product): ProductJson {
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    priceCents: product.priceCents,
    currency: product.currency,
    stock: product.stock,
    categoryId: product.category.id,
    tags: product.tags,
    updatedAt: product.updatedAt.toISOString(),
  };
}

export async function openContestantOrm(): Promise<Orm> {
  return openOrm(loadConfig().database);
}

export async function loadHotProducts(): Promise<ProductJson[]> {
  const orm = await openContestantOrm();
  try {
    const rows = await orm.em.fork().find(Product, { published: true }, { orderBy: { id: 'asc' } });
    return rows.map(productJson);
  } finally {
    await orm.close();
  }
}
