/**
 * A hot declaration's `writes` (issue 15) is checked at start-up like the rest of it: the row owner is
 * never writable (the applier takes it from the token), nor the id or the timestamps the database and
 * the ORM fill; only exposed fields are writable; the write scope is one scope token of its own.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ProjectionError,
  ROW_ACCESS_CLAIMS,
  checkHotProjections,
  hotProjections,
  openOrm,
  writeHandlerOf,
  type HotProjection,
  type MetadataLookup,
  type Orm,
  type WriteDeclaration,
} from '../src/index.js';

let orm: Orm;
let lookup: MetadataLookup;

before(async () => {
  // Metadata only: no database is opened.
  orm = await openOrm({ dialect: 'sqlite', path: ':memory:', url: 'sqlite::memory:' }, { connect: false });
  lookup = (name) => orm.getMetadata().find(name) ?? undefined;
});
after(() => orm.close(true));

const projection = (collection: string) => hotProjections.find((hot) => hot.collection === collection)!;
const orders = () => projection('orders');
const products = () => projection('products');

const withWrites = (hot: HotProjection, writes: WriteDeclaration): HotProjection => ({ ...hot, writes });

const problemOf = (hot: HotProjection): string => {
  try {
    checkHotProjections([hot], lookup);
  } catch (error) {
    assert.ok(error instanceof ProjectionError);
    return error.message;
  }
  assert.fail(`${hot.collection} was accepted`);
};

test('the registry’s write declarations are served: orders, products and the writes collection', () => {
  assert.doesNotThrow(() => checkHotProjections(hotProjections, lookup));
  assert.deepEqual(orders().writes?.create, { fields: ['lines'], required: ['lines'] });
  assert.deepEqual(orders().writes?.update, { fields: ['status'] });
  assert.equal(orders().writes?.scope, 'orders:write');
  assert.equal(writeHandlerOf(orders().writes!), 'orders');
  assert.equal(products().writes?.scope, 'products:write');
  assert.equal(products().writes?.delete, true);
  assert.equal(writeHandlerOf(products().writes!), 'generic');
  const writes = projection('writes');
  assert.equal(writes.entity, 'Write');
  assert.equal(writes.scope, 'writes:read');
  assert.deepEqual(writes.rowAccess, { field: 'subject', claim: 'subject' });
  assert.equal(writes.writes, undefined, 'outcomes are written by the applier only');
  assert.ok(!projection('categories').writes, 'categories stay read-only');
});

test('the row owner is never writable, on create or on update', () => {
  const create = problemOf(
    withWrites(orders(), { scope: 'orders:write', create: { fields: ['lines', 'userId'] } }),
  );
  assert.match(create, /hot declaration of Order \(defineModel\(Order, \{ hot: \{ collection: "orders"/);
  assert.match(create, /writes\.create: field "userId" is the row owner \(rowAccess\.field\)/);
  assert.match(
    problemOf(withWrites(orders(), { scope: 'orders:write', update: { fields: ['userId'] } })),
    /writes\.update: field "userId" is the row owner/,
  );
  // The owner exposed under a second name is the owner all the same.
  const renamed = { ...orders(), fields: { ...orders().fields, buyer: orders().fields.userId! } };
  assert.match(
    problemOf(withWrites(renamed, { scope: 'orders:write', create: { fields: ['lines', 'buyer'] } })),
    /writes\.create: field "buyer" is the row owner \(rowAccess\.field "userId", exposed again\)/,
  );
  // The writes collection's owner (subject) likewise, were it ever declared writable.
  assert.match(
    problemOf(withWrites(projection('writes'), { scope: 'writes:write', update: { fields: ['subject'] } })),
    /writes\.update: field "subject" is the row owner/,
  );
});

test('unknown fields, the id and the timestamps are refused', () => {
  const message = problemOf(
    withWrites(orders(), {
      scope: 'orders:write',
      create: { fields: ['lines', 'unitPrice', 'id', 'createdAt'] },
      update: { fields: ['updatedAt', 'published'] },
    }),
  );
  assert.match(message, /writes\.create: field "unitPrice" is not one of the exposed fields/);
  assert.match(message, /writes\.create: field "id" is set by the database or the ORM \(id\)/);
  assert.match(message, /writes\.create: field "createdAt" is set by the database or the ORM/);
  assert.match(message, /writes\.update: field "updatedAt" is set by the database or the ORM/);
  // A property the collection does not expose is not writable either.
  assert.match(message, /writes\.update: field "published" is not one of the exposed fields/);
  // An inherited name is not an exposed field either.
  assert.match(
    problemOf(withWrites(orders(), { scope: 'orders:write', create: { fields: ['constructor'] } })),
    /field "constructor" is not one of the exposed fields/,
  );
});

test('a write scope that is not one scope token, or is a read scope, is refused', () => {
  for (const scope of ['orders write', 'orders:write "x"', '', 'écrire'])
    assert.match(
      problemOf(withWrites(orders(), { scope, create: { fields: ['lines'] } })),
      /writes: scope .* must be one OAuth scope token, without spaces/,
      scope,
    );
  assert.match(
    problemOf(withWrites(orders(), { scope: 'orders:read', create: { fields: ['lines'] } })),
    /must differ from the read scopes/,
  );
  assert.match(
    problemOf(withWrites(orders(), { scope: 'orders:read:any', create: { fields: ['lines'] } })),
    /must differ from the read scopes/,
  );
});

test('required fields, schema keys and the handler must fit the declaration', () => {
  const message = problemOf(
    withWrites(products(), {
      scope: 'products:write',
      create: { fields: ['name', 'name'], required: ['sku'] },
      update: { fields: [] },
      schema: { tags: { maxItems: 3 } },
      handler: 'Products Handler',
    }),
  );
  assert.match(message, /writes\.create: field "name" is listed twice/);
  assert.match(message, /writes\.create: required field "sku" is not one of create\.fields/);
  assert.match(message, /writes\.update: lists no field/);
  assert.match(message, /writes\.schema: field "tags" is not writable/);
  assert.match(message, /writes: handler "Products Handler" must be a lowercase name/);
  assert.match(
    problemOf(withWrites(products(), { scope: 'products:write' })),
    /writes: declares no operation/,
  );
  assert.doesNotThrow(() =>
    checkHotProjections([withWrites(products(), { scope: 'products:write', delete: true })], lookup),
  );
});

test('the subject claim compares with a string column; the sub claim still needs an integer', () => {
  assert.equal(ROW_ACCESS_CLAIMS.subject.fieldType, 'string');
  const writes = projection('writes');
  assert.match(
    problemOf({ ...writes, rowAccess: { field: 'httpStatus', claim: 'subject' } }),
    /rowAccess: field "httpStatus" \(integer\) must hold a string to compare with the subject claim/,
  );
  assert.match(
    problemOf({ ...writes, rowAccess: { field: 'subject', claim: 'sub' } }),
    /rowAccess: field "subject" \(.*\) must hold an integer or a relation to compare with the sub claim/,
  );
  // The owner of an order is a relation to User: compared with `sub`, never with the verbatim subject.
  assert.match(
    problemOf({ ...orders(), rowAccess: { field: 'userId', claim: 'subject' } }),
    /rowAccess: field "userId" \(User\) must hold a string to compare with the subject claim/,
  );
});
