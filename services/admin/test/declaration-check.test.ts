/**
 * A hot declaration fast would refuse stops the admin's start-up too, naming it: a `schema` fragment
 * that is not valid JSON Schema would otherwise pass until the first save of that model, a 500.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  entities,
  hotProjections,
  openOrm,
  ProjectionError,
  type HotProjection,
  type Orm,
} from '@tandem/models';
import { adminOptions } from '../src/admin-options.js';
import { createComponents } from '../src/components.js';

let orm: Orm;
before(async () => {
  orm = await openOrm(
    { dialect: 'sqlite', path: ':memory:', url: 'sqlite::memory:' },
    { connect: false, entities },
  );
});
after(() => orm.close(true));

test("the registry's declarations start the admin; one with a schema Ajv cannot compile stops it, named", () => {
  assert.ok(adminOptions(orm, createComponents()).resources?.length);
  const products = hotProjections.find((projection) => projection.collection === 'products')!;
  const broken: HotProjection = { ...products, schema: { ...products.schema, name: { pattern: '[' } } };
  assert.throws(
    () => adminOptions(orm, createComponents(), { projections: [broken] }),
    (error: unknown) =>
      error instanceof ProjectionError && /products/.test(error.message) && /name/.test(error.message),
  );
});
