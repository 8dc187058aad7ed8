import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { timestamps } from './timestamps.js';
import { isBlank, isSlug, throwIfInvalid, type FieldErrors } from '../validation.js';
import { defineModel } from '../model.js';
import { SEED_EXAMPLE_TIME, demoCategories } from '../seed/demo-catalog.js';

const p = defineEntity.properties;

export const Category = defineEntity({
  name: 'Category',
  tableName: 'categories',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(120),
    slug: p.string().length(120).unique(),
    ...timestamps,
  },
  hooks: {
    beforeCreate: [({ entity }) => validateCategory(entity)],
    beforeUpdate: [({ entity }) => validateCategory(entity)],
  },
});

export type Category = InferEntity<typeof Category>;

/** Categories: served as `categories`; products are filterable by their category's id. */
export const categoryModel = defineModel(Category, {
  hot: {
    collection: 'categories',
    fields: { id: 'id', name: 'name', slug: 'slug', updatedAt: 'updatedAt' },
    scope: 'catalog:read',
    schema: { slug: { pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' } },
  },
  admin: {
    navigation: 'Catalog',
    icon: 'ShoppingBag',
    filterProperties: ['q', 'name', 'slug', 'createdAt'],
    defaultSort: { sortBy: 'name', direction: 'asc' },
  },
  // What `tandem seed` writes as the first category, for the OpenAPI document's examples.
  example: {
    id: 1,
    name: demoCategories(1)[0]!.name,
    slug: demoCategories(1)[0]!.slug,
    createdAt: SEED_EXAMPLE_TIME,
    updatedAt: SEED_EXAMPLE_TIME,
  },
});

export function validateCategory(category: { name?: unknown; slug?: unknown }): void {
  const errors: FieldErrors = {};
  if (isBlank(category.name)) errors.name = 'Name is required.';
  if (!isSlug(category.slug))
    errors.slug = 'Use lowercase letters, digits and single hyphens (e.g. "garden-tools").';
  throwIfInvalid(errors);
}
