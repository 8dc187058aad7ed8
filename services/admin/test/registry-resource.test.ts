/**
 * A model added to the registry gets an admin page without a hand-written resource: columns, filters,
 * search, read-only fields and labels derived from the ORM metadata, the declaration's keys over them,
 * and Django's four permissions guarding every action.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineEntity } from '@mikro-orm/core';
import type { ActionContext, CurrentAdmin } from 'adminjs';
import { Category, defineModel, entities, openOrm, type Orm } from '@tandem/models';
import { createComponents } from '../src/components.js';
import { deriveAdmin, registryResource } from '../src/resources/derived.js';
import { Stall } from './column-kinds-support.js';

const p = defineEntity.properties;

// The README tutorial's model: what a team adds for its own data.
const Store = defineEntity({
  name: 'Store',
  tableName: 'stores',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(120),
    city: p.string().length(80),
    notes: p.text().default(''),
    kind: p.enum(['shop', 'outlet', 'warehouse']).default('shop'),
    opensAt: p.string().length(5),
    active: p.boolean().default(true),
    category: () => p.manyToOne(Category).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
const storeModel = defineModel(Store, { admin: { navigation: 'Shops', descriptions: { opensAt: 'HH:MM' } } });

let orm: Orm;
before(async () => {
  orm = await openOrm(
    { dialect: 'sqlite', path: ':memory:', url: 'sqlite::memory:' },
    { connect: false, entities: [...entities, Store, Stall] },
  );
});
after(() => orm.close(true));

const derived = () => deriveAdmin(orm.getMetadata().get('Store'), storeModel);

test('the search box covers text columns only, not dates, times or decimals', () => {
  const { spec } = deriveAdmin(orm.getMetadata().get('Stall'), defineModel(Stall, { admin: {} }));
  assert.deepEqual(spec.searchFields, ['name']);
});

test('list columns, search, filters and read-only fields come from the metadata', () => {
  const { spec, options } = derived();
  assert.deepEqual(options.listProperties, [
    'id',
    'name',
    'city',
    'kind',
    'opensAt',
    'active',
    'category',
    'createdAt',
  ]);
  assert.deepEqual(spec.searchFields, ['name', 'city', 'opensAt'], 'short strings, not text or enums');
  assert.deepEqual(options.filterProperties, ['q', 'kind', 'active', 'category']);
  assert.deepEqual(spec.readOnly, ['id', 'createdAt', 'updatedAt']);
  assert.deepEqual(options.editProperties, [
    'name',
    'city',
    'notes',
    'kind',
    'opensAt',
    'active',
    'category',
  ]);
  assert.equal(options.titleProperty, 'name');
  assert.deepEqual(spec.defaultSort, { sortBy: 'id', direction: 'desc' }, 'newest first, as Django lists');
  assert.deepEqual(
    options.properties?.kind?.availableValues?.map((v) => v.value),
    ['shop', 'outlet', 'warehouse'],
  );
  assert.equal(options.properties?.opensAt?.description, 'HH:MM');
  assert.deepEqual(options.navigation, { name: 'Shops', icon: 'Database' });
});

test('labels come from the names', () => {
  const { label, propertyLabels } = derived();
  assert.equal(label, 'Stores');
  assert.equal(propertyLabels.opensAt, 'Opens at');
  assert.equal(propertyLabels.createdAt, 'Created at');
  assert.equal(deriveAdmin(orm.getMetadata().get('Category'), defineModel(Category)).label, 'Categories');
});

test('a key in the declaration replaces the derived default', () => {
  const custom = defineModel(Store, {
    admin: {
      listProperties: ['id', 'name'],
      searchFields: ['city'],
      propertyLabels: { opensAt: 'Opening time' },
    },
  });
  const { spec, options, propertyLabels } = deriveAdmin(orm.getMetadata().get('Store'), custom);
  assert.deepEqual(options.listProperties, ['id', 'name']);
  assert.deepEqual(spec.searchFields, ['city']);
  assert.equal(propertyLabels.opensAt, 'Opening time');
});

test('every action of a derived page needs its Django permission (view_store, add_store...)', () => {
  const resource = registryResource({ orm, components: createComponents() }, storeModel);
  const actions = resource.options.actions as Record<string, { isAccessible: (c: ActionContext) => boolean }>;
  const as = (permissions: string[]) =>
    ({ currentAdmin: { email: 'x', permissions, isSuperuser: false } as CurrentAdmin }) as ActionContext;
  const needs: Record<string, string> = {
    list: 'view_store',
    show: 'view_store',
    search: 'view_store',
    new: 'add_store',
    edit: 'change_store',
    delete: 'delete_store',
    bulkDelete: 'delete_store',
  };
  for (const [action, codename] of Object.entries(needs)) {
    assert.equal(actions[action]!.isAccessible(as([codename])), true, `${action} with ${codename}`);
    assert.equal(actions[action]!.isAccessible(as(['view_product'])), false, `${action} without ${codename}`);
  }
});
