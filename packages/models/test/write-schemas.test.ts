/**
 * The JSON Schemas of write bodies (issue 15) follow from the write declaration and the ORM metadata,
 * and validate as the fast service validates them (Ajv, JSON Schema 2020-12): the fields a body may
 * hold and no others, required ones, types, nullability, enums, lengths and integer ranges, the
 * declaration's shapes (order lines of product id and quantity only), and JSON Merge Patch for PATCH.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineEntity } from '@mikro-orm/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  Category,
  entities,
  hotProjections,
  openOrm,
  writeBodySchemas,
  type HotProjection,
  type JsonSchema,
  type Orm,
} from '../src/index.js';

const p = defineEntity.properties;
// A model with a nullable column, a nullable relation, an enum and a JSON column without a declared type.
const Note = defineEntity({
  name: 'Note',
  tableName: 'notes',
  properties: {
    id: p.integer().primary().autoincrement(),
    title: p.string().length(20),
    body: p.text().nullable(),
    kind: p.enum(['memo', 'todo']).default('memo'),
    category: () => p.manyToOne(Category).nullable(),
    extra: p.json<unknown>(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
const notes: HotProjection = {
  collection: 'notes',
  entity: 'Note',
  table: 'notes',
  fields: { id: 'id', title: 'title', body: 'body', kind: 'kind', categoryId: 'category', extra: 'extra' },
  scope: 'notes:read',
  writes: {
    scope: 'notes:write',
    create: { fields: ['title', 'body', 'kind', 'categoryId', 'extra'], required: ['title'] },
    update: { fields: ['title', 'body', 'kind', 'categoryId', 'extra'] },
    delete: true,
  },
};

let orm: Orm;
// One validator, as the fast service makes it: every error, union types allowed, nothing coerced.
const ajv = new Ajv2020({ allErrors: true, strictTypes: false, coerceTypes: false });
const metadata = (name: string) => orm.getMetadata().find(name) ?? undefined;

before(async () => {
  orm = await openOrm(
    { dialect: 'sqlite', path: ':memory:', url: 'sqlite::memory:' },
    { connect: false, entities: [...entities, Note] },
  );
});
after(() => orm.close(true));

const collection = (name: string) => hotProjections.find((hot) => hot.collection === name)!;

function validator(schema: JsonSchema | undefined) {
  assert.ok(schema, 'a schema');
  const validate = ajv.compile(schema);
  return {
    accepts(body: unknown) {
      assert.equal(validate(body), true, `${JSON.stringify(body)}: ${JSON.stringify(validate.errors)}`);
    },
    refuses(body: unknown, keyword?: string) {
      assert.equal(validate(body), false, `${JSON.stringify(body)} was accepted`);
      if (keyword)
        assert.ok(
          validate.errors?.some((error) => error.keyword === keyword),
          `${JSON.stringify(body)}: expected a ${keyword} error, got ${JSON.stringify(validate.errors)}`,
        );
    },
  };
}

test('order create: lines of product id and quantity only, 1 to 100 of them, nothing else', () => {
  const schemas = writeBodySchemas(collection('orders'), metadata);
  assert.deepEqual(schemas.create?.required, ['lines']);
  assert.equal(schemas.create?.additionalProperties, false);
  const create = validator(schemas.create);
  const line = { productId: 7, quantity: 2 };
  create.accepts({ lines: [line] });
  create.accepts({ lines: Array.from({ length: 100 }, (_, i) => ({ productId: i + 1, quantity: 10_000 })) });
  create.refuses({}, 'required');
  create.refuses({ lines: [] }, 'minItems');
  create.refuses({ lines: Array.from({ length: 101 }, () => line) }, 'maxItems');
  create.refuses({ lines: null }, 'type');
  create.refuses({ lines: line }, 'type');
  create.refuses([line], 'type');
  create.refuses('lines', 'type');
  // The owner and the prices are never the client's to say.
  create.refuses({ lines: [line], userId: 2 }, 'additionalProperties');
  create.refuses({ lines: [line], totalCents: 0 }, 'additionalProperties');
  create.refuses({ lines: [line], status: 'paid' }, 'additionalProperties');
  create.refuses({ lines: [{ ...line, unitPriceCents: 0 }] }, 'additionalProperties');
  create.refuses({ lines: [{ productId: 7 }] }, 'required');
  for (const quantity of [0, -1, 10_001, 1.5, '2', null, true])
    create.refuses({ lines: [{ productId: 7, quantity }] });
  for (const productId of [0, 2 ** 31, '7', '<script>alert(1)</script>', 7.5, null, { id: 7 }])
    create.refuses({ lines: [{ productId, quantity: 1 }] });
  // Keys that mean something to JavaScript objects are just unknown fields.
  create.refuses(JSON.parse('{"lines":[{"productId":1,"quantity":1}],"__proto__":{"userId":2}}'));
  create.refuses(JSON.parse('{"lines":[{"productId":1,"quantity":1,"__proto__":{"x":1}}]}'));
  create.refuses({ 'lines.0.productId': 1, lines: [line] }, 'additionalProperties');
});

test('order update: a merge patch that may only cancel', () => {
  const schemas = writeBodySchemas(collection('orders'), metadata);
  assert.equal(schemas.update?.required, undefined, 'a patch requires nothing');
  assert.equal(schemas.update?.minProperties, 1);
  const update = validator(schemas.update);
  update.accepts({ status: 'cancelled' });
  for (const status of ['paid', 'shipped', 'pending', 'CANCELLED', null, 1])
    update.refuses({ status }, 'enum');
  update.refuses({}, 'minProperties');
  update.refuses({ status: 'cancelled', userId: 3 }, 'additionalProperties');
  update.refuses({ lines: [{ productId: 1, quantity: 1 }] }, 'additionalProperties');
  update.refuses(null, 'type');
});

test('product create and update: types, lengths, ranges and the required fields from the metadata', () => {
  const schemas = writeBodySchemas(collection('products'), metadata);
  const create = validator(schemas.create);
  const product = {
    sku: 'SKU-1',
    name: 'Spade',
    priceCents: 1999,
    currency: 'EUR',
    categoryId: 1,
  };
  create.accepts(product);
  create.accepts({ ...product, description: '', stock: 0, tags: ['garden'] });
  create.accepts({ ...product, name: '<script>alert(1)</script>' });
  for (const field of ['sku', 'name', 'priceCents', 'currency', 'categoryId']) {
    const without: Record<string, unknown> = { ...product };
    delete without[field];
    create.refuses(without, 'required');
  }
  create.refuses({ ...product, sku: 'x'.repeat(65) }, 'maxLength');
  create.refuses({ ...product, sku: '' }, 'minLength');
  create.refuses({ ...product, name: 'Spade\u0000' }, 'pattern');
  create.refuses({ ...product, currency: 'eur' }, 'pattern');
  create.refuses({ ...product, priceCents: -1 }, 'minimum');
  create.refuses({ ...product, priceCents: 2 ** 31 }, 'maximum');
  create.refuses({ ...product, priceCents: 19.99 }, 'type');
  create.refuses({ ...product, priceCents: '1999' }, 'type');
  create.refuses({ ...product, stock: -1 }, 'minimum');
  create.refuses({ ...product, categoryId: 0 }, 'minimum');
  create.refuses({ ...product, categoryId: null }, 'type');
  create.refuses({ ...product, tags: null }, 'type');
  create.refuses({ ...product, tags: [1] }, 'type');
  // PostgreSQL cannot hold a NUL in JSON either: fast answers 422 instead of queueing a failing write.
  create.refuses({ ...product, tags: ['garden', 'a\u0000b'] }, 'pattern');
  create.refuses({ ...product, description: null }, 'type');
  create.refuses({ ...product, published: true }, 'additionalProperties');
  create.refuses({ ...product, id: 5 }, 'additionalProperties');
  create.refuses({ ...product, updatedAt: '2026-01-01T00:00:00Z' }, 'additionalProperties');

  const update = validator(schemas.update);
  update.accepts({ stock: 5 });
  update.accepts({ tags: [], description: 'New' });
  update.refuses({ stock: -1 }, 'minimum');
  update.refuses({ tags: ['\u0000'] }, 'pattern');
  update.refuses({ sku: null }, 'type');
  update.refuses({ name: '' }, 'minLength');
  update.refuses({}, 'minProperties');
});

test('merge patch: null (clear) only for nullable columns; JSON columns refuse null unless nullable', () => {
  const schemas = writeBodySchemas(notes, metadata);
  const create = validator(schemas.create);
  create.accepts({ title: 'A', body: null, categoryId: null, extra: { any: ['json'] } });
  create.refuses({ title: 'A', extra: null }, 'not');
  create.refuses({ title: 'A', kind: 'memo-2' }, 'enum');
  create.refuses({ title: 'x'.repeat(21) }, 'maxLength');
  const update = validator(schemas.update);
  update.accepts({ body: null });
  update.accepts({ categoryId: null });
  update.accepts({ extra: [1, 2] });
  update.refuses({ title: null }, 'type');
  update.refuses({ kind: null }, 'enum');
  update.refuses({ extra: null }, 'not');
});

test('strings a JSON declaration describes inside arrays and objects refuse NUL; the rest keep their rules', () => {
  const declared: HotProjection = {
    ...notes,
    schema: {
      extra: {
        type: 'object',
        properties: {
          labels: { type: 'array', items: { type: ['string', 'null'] } },
          pair: {
            type: 'array',
            prefixItems: [{ type: 'string' }, { type: 'integer' }],
            minItems: 2,
            items: false,
          },
          code: { type: 'string', pattern: '^[A-Z]+$' },
          kind: { type: 'string', enum: ['a', 'b'] },
        },
        additionalProperties: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
      },
    },
  };
  const schemas = writeBodySchemas(declared, metadata);
  const create = validator(schemas.create);
  const fine = { labels: ['x', null], pair: ['y', 1], code: 'AB', kind: 'a', other: 'free text', count: 2 };
  create.accepts({ title: 'A', extra: fine });
  create.refuses({ title: 'A', extra: { ...fine, labels: ['x\u0000'] } }, 'pattern');
  create.refuses({ title: 'A', extra: { ...fine, pair: ['\u0000', 1] } }, 'pattern');
  create.refuses({ title: 'A', extra: { ...fine, other: 'a\u0000' } }, 'pattern');
  create.refuses({ title: 'A', extra: { ...fine, code: 'a' } }, 'pattern');
  create.refuses({ title: 'A', extra: { ...fine, kind: 'c' } }, 'enum');
  const properties = (schemas.create?.properties ?? {}) as Record<string, JsonSchema>;
  const extra = properties.extra as { properties: Record<string, JsonSchema> };
  assert.equal(extra.properties.code?.pattern, '^[A-Z]+$', 'a declared pattern is kept');
  assert.equal(extra.properties.kind?.pattern, undefined, 'listed values need no pattern');
  // An undescribed JSON value is not walked: StorableValues refuses its NUL when the write is applied.
  validator(writeBodySchemas(notes, metadata).create).accepts({ title: 'A', extra: ['\u0000'] });
});

test('no writes, no schemas; delete only, no body schema', () => {
  assert.deepEqual(writeBodySchemas(collection('categories'), metadata), {});
  assert.deepEqual(
    writeBodySchemas({ ...notes, writes: { scope: 'notes:write', delete: true } }, metadata),
    {},
  );
  assert.throws(
    () => writeBodySchemas({ ...notes, entity: 'Nowhere' }, metadata),
    /the ORM metadata has no entity Nowhere/,
  );
});
