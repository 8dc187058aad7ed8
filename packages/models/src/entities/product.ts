import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { Category } from './category.js';
import { timestamps } from './timestamps.js';
import {
  isBlank,
  isCurrencyCode,
  isNonNegativeInteger,
  isStringList,
  throwIfInvalid,
  type FieldErrors,
} from '../validation.js';
import { defineModel } from '../model.js';
import { SEED_EXAMPLE_TIME, demoCategories, demoProduct } from '../seed/demo-catalog.js';

const p = defineEntity.properties;

export const Product = defineEntity({
  name: 'Product',
  tableName: 'products',
  properties: {
    id: p.integer().primary().autoincrement(),
    sku: p.string().length(64).unique(),
    name: p.string().length(200),
    description: p.text().default(''),
    /** Minor units (cents) to keep money exact; never negative. */
    priceCents: p.integer(),
    /** ISO 4217 alphabetic code, e.g. EUR. */
    currency: p.string().length(3),
    stock: p.integer().default(0),
    category: () => p.manyToOne(Category).deleteRule('restrict').index(),
    /**
     * `json`, not `jsonb`, on PostgreSQL: it keeps the compact text the ORM writes, which the change feed
     * embeds verbatim in the prepared bytes (jsonb would re-render it as `["a", "b"]`).
     */
    tags: p.json<string[]>().columnType('json').default('[]'),
    published: p.boolean().default(false),
    ...timestamps,
  },
  hooks: {
    beforeCreate: [({ entity }) => validateProduct(entity)],
    beforeUpdate: [({ entity }) => validateProduct(entity)],
  },
});

export type Product = InferEntity<typeof Product>;

/** The exposed fields a machine client may write (all but the id and the timestamp). */
const PRODUCT_WRITABLE = [
  'sku',
  'name',
  'description',
  'priceCents',
  'currency',
  'stock',
  'categoryId',
  'tags',
] as const;

/** Products: the catalog the fast service serves (published ones only) as `products`. */
export const productModel = defineModel(Product, {
  hot: {
    collection: 'products',
    fields: {
      id: 'id',
      sku: 'sku',
      name: 'name',
      description: 'description',
      priceCents: 'priceCents',
      currency: 'currency',
      stock: 'stock',
      categoryId: 'category',
      tags: 'tags',
      updatedAt: 'updatedAt',
    },
    scope: 'catalog:read',
    where: { published: true },
    filterable: ['categoryId'],
    schema: {
      priceCents: { minimum: 0, description: 'Minor units (cents): 1999 is 19.99.' },
      currency: { pattern: '^[A-Z]{3}$', description: 'ISO 4217 code.' },
      stock: { minimum: 0 },
      tags: { type: 'array', items: { type: 'string' }, uniqueItems: true },
    },
    // Machine clients (a catalog sync) write the catalog through the fast service, applied by the
    // generic handler with validateProduct. `published` is not exposed, so a product created here
    // stays unpublished (outside the collection) until staff publish it in the admin.
    writes: {
      scope: 'products:write',
      create: {
        fields: PRODUCT_WRITABLE,
        required: ['sku', 'name', 'priceCents', 'currency', 'categoryId'],
      },
      update: { fields: PRODUCT_WRITABLE },
      delete: true,
      schema: { sku: { minLength: 1 }, name: { minLength: 1 } },
    },
  },
  admin: {
    navigation: 'Catalog',
    icon: 'ShoppingBag',
    stringLists: ['tags'],
    propertyLabels: { priceCents: 'Price', updatedAt: 'Updated', createdAt: 'Created' },
    money: { priceCents: { currencyProperty: 'currency' } },
  },
  // What `tandem seed` writes as the first product, for the OpenAPI document's examples.
  example: { id: 1, ...demoProduct(1, demoCategories(1)[0]!, SEED_EXAMPLE_TIME), category: 1 },
});

interface ProductFields {
  sku?: unknown;
  name?: unknown;
  priceCents?: unknown;
  currency?: unknown;
  stock?: unknown;
  tags?: unknown;
}

export function validateProduct(product: ProductFields): void {
  const errors: FieldErrors = {};
  if (isBlank(product.sku)) errors.sku = 'SKU is required.';
  if (isBlank(product.name)) errors.name = 'Name is required.';
  if (!isNonNegativeInteger(product.priceCents))
    errors.priceCents = 'Price must be a whole number of cents, 0 or more.';
  if (!isCurrencyCode(product.currency))
    errors.currency = 'Use an ISO 4217 currency code such as EUR or USD.';
  // stock and tags have database defaults: absent means "use the default", not invalid.
  if (product.stock !== undefined && !isNonNegativeInteger(product.stock))
    errors.stock = 'Stock must be a whole number, 0 or more.';
  const { tags } = product;
  if (tags !== undefined && !isStringList(tags)) errors.tags = 'Tags must be a list of words.';
  const repeated = isStringList(tags) ? tags.find((tag, i) => tags.indexOf(tag) !== i) : undefined;
  if (repeated !== undefined) errors.tags = `Each tag once: ${JSON.stringify(repeated)} is listed twice.`;
  throwIfInvalid(errors);
}
