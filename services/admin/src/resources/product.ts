import type { ResourceWithOptions } from 'adminjs';
import { bulkSetAction } from '../actions/bulk-set.js';
import { modelAdmin, type ResourceDeps } from './common.js';

/** The form's fields, in the order the show page lists them too. */
const EDITABLE = [
  'sku',
  'name',
  'description',
  'category',
  'priceCents',
  'currency',
  'stock',
  'tags',
  'published',
];

/** Products: the catalog the fast service serves. Category by autocomplete, tags as a list. */
export function productResource(deps: ResourceDeps): ResourceWithOptions {
  return modelAdmin(
    deps,
    {
      name: 'Product',
      label: 'product',
      searchFields: ['sku', 'name', 'tags'],
      stringLists: ['tags'],
      readOnly: ['createdAt', 'updatedAt'],
      unique: { sku: 'sku' },
      defaultSort: { sortBy: 'sku', direction: 'asc' },
    },
    'product',
    {
      navigation: { name: 'Catalog', icon: 'ShoppingBag' },
      titleProperty: 'name',
      listProperties: [
        'id',
        'sku',
        'name',
        'category',
        'priceCents',
        'currency',
        'stock',
        'published',
        'updatedAt',
      ],
      filterProperties: ['q', 'category', 'published', 'currency', 'stock', 'createdAt', 'updatedAt'],
      editProperties: [...EDITABLE],
      showProperties: ['id', ...EDITABLE, 'createdAt', 'updatedAt', 'history'],
      properties: {
        tags: { type: 'string', isArray: true },
        description: { type: 'textarea' },
        priceCents: { type: 'number', description: 'In minor units: 1999 is 19.99.' },
        currency: { description: 'ISO 4217 code, e.g. EUR' },
      },
      extraActions: ['publish', 'unpublish'],
      actions: {
        publish: bulkSetAction(deps, { published: true }, { label: 'Publish', icon: 'Eye' }),
        unpublish: bulkSetAction(deps, { published: false }, { label: 'Unpublish', icon: 'EyeOff' }),
      },
    },
  );
}
