/**
 * The fast service's OpenAPI document follows from the declarations and the ORM metadata: types,
 * nullability, enums, formats and lengths of each exposed field, the filterable fields as list
 * parameters, the scope in each operation's security, a WebSocket change schema per collection, and
 * examples taken from the declaration's seed record.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineEntity } from '@mikro-orm/core';
import { Category, defineModel, entities, openOrm, registry, type Orm } from '../src/index.js';
import { openApiDocument, type OpenApiDocument } from '../src/openapi/index.js';

const p = defineEntity.properties;
const Store = defineEntity({
  name: 'Store',
  tableName: 'stores',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(120),
    kind: p.enum(['shop', 'outlet']).default('shop'),
    rating: p.double().nullable(),
    active: p.boolean().default(true),
    category: () => p.manyToOne(Category).nullable(),
    opensAt: p.datetime(),
  },
});
const storeModel = defineModel(Store, {
  hot: {
    collection: 'stores',
    fields: {
      id: 'id',
      name: 'name',
      kind: 'kind',
      rating: 'rating',
      active: 'active',
      categoryId: 'category',
      opensAt: 'opensAt',
    },
    scope: 'stores:read',
    filterable: ['kind', 'categoryId'],
    schema: { name: { minLength: 1 } },
  },
  example: {
    id: 7,
    name: 'Harbor',
    kind: 'outlet',
    rating: null,
    active: true,
    category: 3,
    opensAt: new Date('2026-01-01T08:00:00Z'),
  },
});

let orm: Orm;
let doc: OpenApiDocument;
before(async () => {
  orm = await openOrm(
    { dialect: 'sqlite', path: ':memory:', url: 'sqlite::memory:' },
    { connect: false, entities: [...entities, Store] },
  );
  doc = openApiDocument({
    registry: [...registry, storeModel],
    metadata: (name) => orm.getMetadata().find(name) ?? undefined,
  });
});
after(() => orm.close(true));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reading the generated JSON
const json = (value: unknown): any => value;

test('field schemas come from the ORM metadata, with the declaration’s keywords on top', () => {
  const store = json(doc.components.schemas.Store);
  assert.deepEqual(store.required, ['id', 'name', 'kind', 'rating', 'active', 'categoryId', 'opensAt']);
  assert.equal(store.additionalProperties, false);
  assert.deepEqual(store.properties.id, { type: 'integer' });
  assert.deepEqual(store.properties.name, { type: 'string', maxLength: 120, minLength: 1 });
  assert.deepEqual(store.properties.kind, { type: 'string', enum: ['shop', 'outlet'] });
  assert.deepEqual(store.properties.rating, { type: ['number', 'null'] });
  assert.deepEqual(store.properties.active, { type: 'boolean' });
  assert.deepEqual(store.properties.categoryId, {
    type: ['integer', 'null'],
    description: 'Id of the related Category.',
  });
  assert.deepEqual(store.properties.opensAt, { type: 'string', format: 'date-time' });
});

test('the example is the declaration’s seed record, in the JSON the service serves', () => {
  assert.deepEqual(json(doc.components.schemas.Store).examples, [
    {
      id: 7,
      name: 'Harbor',
      kind: 'outlet',
      rating: null,
      active: true,
      categoryId: 3,
      opensAt: '2026-01-01T08:00:00.000Z',
    },
  ]);
});

test('list and record paths: parameters, cursor, scope and errors', () => {
  const list = json(doc.paths['/v1/stores']).get;
  assert.deepEqual(list.security, [{ bearer: ['stores:read'] }]);
  assert.deepEqual(
    list.parameters.map((parameter: { name?: string; $ref?: string }) => parameter.name ?? parameter.$ref),
    ['#/components/parameters/limit', '#/components/parameters/after', 'kind', 'categoryId'],
  );
  assert.deepEqual(list.parameters[2].schema, { type: 'string', enum: ['shop', 'outlet'] });
  assert.deepEqual(list.parameters[3].schema, { type: 'integer' });
  assert.deepEqual(Object.keys(list.responses).sort(), ['200', '400', '401', '403', '414', '431', '503']);
  assert.deepEqual(json(doc.components.schemas.StorePage).properties.next.type, ['string', 'null']);
  const record = json(doc.paths['/v1/stores/{id}']).get;
  assert.ok(record.responses['304'] && record.responses['404'] && record.responses['200'].headers.ETag);
});

test('WebSocket messages: a change schema per collection, referenced from /v1/live', () => {
  const live = json(doc.paths['/v1/live']).get['x-websocket'];
  assert.deepEqual(live.serverMessages, { $ref: '#/components/schemas/LiveServerMessage' });
  assert.deepEqual(json(doc.components.schemas.StoreChange).properties.data, {
    oneOf: [{ $ref: '#/components/schemas/Store' }, { type: 'null' }],
  });
  assert.ok(
    json(doc.components.schemas.LiveChange).oneOf.some(
      (schema: { $ref: string }) => schema.$ref === '#/components/schemas/StoreChange',
    ),
  );
});

test('a model without a hot declaration is not in the document', () => {
  assert.equal(doc.paths['/v1/users'], undefined);
  assert.equal(doc.components.schemas.User, undefined);
});
