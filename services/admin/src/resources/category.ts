import type { ResourceWithOptions } from 'adminjs';
import { modelAdmin, type ResourceDeps } from './common.js';

export function categoryResource(deps: ResourceDeps): ResourceWithOptions {
  return modelAdmin(
    deps,
    {
      name: 'Category',
      label: 'category',
      searchFields: ['name', 'slug'],
      readOnly: ['createdAt', 'updatedAt'],
      unique: { slug: 'slug' },
      defaultSort: { sortBy: 'name', direction: 'asc' },
    },
    'category',
    {
      navigation: { name: 'Catalog', icon: 'ShoppingBag' },
      titleProperty: 'name',
      listProperties: ['id', 'name', 'slug', 'updatedAt'],
      filterProperties: ['q', 'name', 'slug', 'createdAt'],
      editProperties: ['name', 'slug'],
      showProperties: ['id', 'name', 'slug', 'createdAt', 'updatedAt', 'history'],
    },
  );
}
