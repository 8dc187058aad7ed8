/**
 * The registry is the one list of models: permissions and hot collections follow from it, and a hot
 * declaration that cannot be served stops start-up with a message naming it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_PERMISSION_CODENAMES,
  PERMISSION_MODELS,
  ProjectionError,
  checkHotProjections,
  hotProjections,
  openOrm,
  registry,
  type HotProjection,
  type MetadataLookup,
  type Orm,
} from '../src/index.js';

let orm: Orm;
let lookup: MetadataLookup;

before(async () => {
  // Metadata only: no database is opened.
  orm = await openOrm({ dialect: 'sqlite', path: ':memory:', url: 'sqlite::memory:' }, { connect: false });
  lookup = (name) => orm.getMetadata().find(name) ?? undefined;
});

after(() => orm.close(true));

const products = hotProjections.find((projection) => projection.collection === 'products')!;
const problemOf = (projection: HotProjection): string => {
  try {
    checkHotProjections([projection], lookup);
  } catch (error) {
    assert.ok(error instanceof ProjectionError);
    return error.message;
  }
  assert.fail(`${projection.collection} was accepted`);
};

test('every registered model with an admin page has the four permission codenames', () => {
  for (const model of registry.filter((m) => m.admin)) {
    const suffix = model.name.toLowerCase();
    assert.ok(PERMISSION_MODELS.includes(suffix), model.name);
    for (const action of ['view', 'add', 'change', 'delete'])
      assert.ok(ALL_PERMISSION_CODENAMES.includes(`${action}_${suffix}`), `${action}_${suffix}`);
  }
  assert.ok(!PERMISSION_MODELS.includes('changeevent'), 'internal tables get no permissions');
});

test('hot projections come from the model declarations, with their entity and table names', () => {
  assert.deepEqual(
    hotProjections.map(({ collection, entity, table }) => ({ collection, entity, table })),
    [
      { collection: 'products', entity: 'Product', table: 'products' },
      { collection: 'categories', entity: 'Category', table: 'categories' },
      { collection: 'orders', entity: 'Order', table: 'orders' },
      { collection: 'writes', entity: 'Write', table: 'writes' },
    ],
  );
  assert.doesNotThrow(() => checkHotProjections(hotProjections, lookup));
});

test('a field naming a missing property is refused, naming the declaration and the property', () => {
  const message = problemOf({ ...products, fields: { ...products.fields, price: 'priceInCents' } });
  assert.match(
    message,
    /hot declaration of Product \(defineModel\(Product, \{ hot: \{ collection: "products"/,
  );
  assert.match(message, /field "price": Product has no property "priceInCents"/);
});

test('a row filter or filterable field that does not exist is refused', () => {
  assert.match(
    problemOf({ ...products, where: { visible: true } }),
    /row filter: Product has no property "visible"/,
  );
  assert.match(
    problemOf({ ...products, filterable: ['city'] }),
    /filterable field "city" is not one of the exposed fields/,
  );
});

test('a JSON field is refused as filterable: a filter compares one value, not an array or an object', () => {
  // Product.tags is a JSON array: ['a', 'b'] and "a,b" would have been one filter value.
  const message = problemOf({ ...products, filterable: ['categoryId', 'tags'] });
  assert.match(
    message,
    /hot declaration of Product \(defineModel\(Product, \{ hot: \{ collection: "products"/,
  );
  assert.match(message, /filterable field "tags" \(\w+\) must hold one string, number or boolean/);
  assert.doesNotMatch(message, /"categoryId"/);
});

test('a hot window on a missing or non-datetime property, or of under a minute, is refused', () => {
  assert.match(
    problemOf({ ...products, hotWindow: { property: 'publishedAt', seconds: 900 } }),
    /hotWindow: Product has no property "publishedAt"/,
  );
  assert.match(
    problemOf({ ...products, hotWindow: { property: 'stock', seconds: 900 } }),
    /hotWindow: property "stock" \(\w+\) must be a datetime/,
  );
  assert.match(
    problemOf({ ...products, hotWindow: { property: 'updatedAt', seconds: 5 } }),
    /hotWindow: seconds \(5\) must be a whole number of at least 60/,
  );
  checkHotProjections([{ ...products, hotWindow: { property: 'updatedAt', seconds: 60 } }], lookup);
});

test('a non-integer primary key is refused (list cursors are integers)', () => {
  const sessions: HotProjection = {
    collection: 'sessions',
    entity: 'Session',
    table: 'sessions',
    fields: { id: 'id', grantType: 'grantType' },
    scope: 'admin:read',
  };
  const message = problemOf(sessions);
  assert.match(
    message,
    /hot declaration of Session \(defineModel\(Session, \{ hot: \{ collection: "sessions"/,
  );
  assert.match(message, /primary key must be an integer property "id".*Session\.id is string/);
});

test('a scope with spaces is refused (it could never be granted as one scope)', () => {
  assert.match(
    problemOf({ ...products, scope: 'catalog read' }),
    /scope "catalog read" must be one OAuth scope token, without spaces/,
  );
});

test('an unknown entity, a bad collection name and a duplicate collection are refused', () => {
  assert.match(problemOf({ ...products, entity: 'Store' }), /the ORM knows no entity Store/);
  assert.match(problemOf({ ...products, collection: 'Products!' }), /lowercase URL segment/);
  assert.throws(
    () => checkHotProjections([products, { ...products, entity: 'Category', fields: { id: 'id' } }], lookup),
    /another model declares the same collection/,
  );
});

test('a schema for a field that is not exposed, or that Ajv cannot compile, is refused at start-up', () => {
  // A misspelt key was ignored (its constraint neither published nor enforced); a bad fragment first
  // failed on the first save (an admin 500) or with Ajv's own error, naming no declaration.
  const withSchema = (schema: HotProjection['schema']) => ({
    ...products,
    schema: { ...products.schema, ...schema },
  });
  const misspelt = problemOf(withSchema({ pricecents: { minimum: 0 } }));
  assert.match(
    misspelt,
    /hot declaration of Product \(defineModel\(Product, \{ hot: \{ collection: "products"/,
  );
  assert.match(
    misspelt,
    /schema: field "pricecents" is not one of the exposed fields \(id, sku, .*priceCents/,
  );
  assert.match(
    problemOf(withSchema({ name: { pattern: '[' } })),
    /schema: field "name" is not a valid JSON Schema: Invalid regular expression/,
  );
  assert.match(
    problemOf(withSchema({ stock: { minimum: 'zero' } })),
    /schema: field "stock" is not a valid JSON Schema: .*minimum must be number/,
  );
  // A write's own schema is compiled alike.
  const writes = products.writes!;
  assert.match(
    problemOf({ ...products, writes: { ...writes, schema: { name: { maxLength: -1 } } } }),
    /writes\.schema: field "name" is not a valid JSON Schema: .*maxLength must be >= 0/,
  );
  checkHotProjections([withSchema({ name: { pattern: '^[A-Z]' }, stock: { minimum: 0 } })], lookup);
});

test('names Object.prototype holds (constructor, toString) are not fields or properties', () => {
  // They passed the check, then compileProjection died on them with a TypeError naming no declaration.
  assert.match(
    problemOf({ ...products, filterable: ['constructor'] }),
    /filterable field "constructor" is not one of the exposed fields/,
  );
  assert.match(
    problemOf({ ...products, fields: { ...products.fields, extra: 'constructor' } }),
    /field "extra": Product has no property "constructor"/,
  );
  assert.match(
    problemOf({ ...products, where: { constructor: 1 } }),
    /row filter: Product has no property "constructor"/,
  );
  assert.match(
    problemOf({ ...products, hotWindow: { property: 'toString', seconds: 60 } }),
    /hotWindow: Product has no property "toString"/,
  );
  const orders = hotProjections.find((projection) => projection.collection === 'orders')!;
  assert.match(
    problemOf({ ...orders, rowAccess: { field: 'toString', claim: 'sub' } }),
    /rowAccess: field "toString" is not one of the exposed fields/,
  );
});
