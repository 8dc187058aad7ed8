import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeCaptureSql, dropChangeCaptureSql } from '../src/schema/change-capture.js';
import { describeChangeCaptureStep, planChangeCapture } from '../src/schema/change-capture-state.js';

test('trigger plan: a new hot table gets triggers, a table no longer hot loses them, the rest is untouched', () => {
  const plan = planChangeCapture(
    { categories: 1, products: 1, legacy: 1 },
    ['categories', 'products', 'stores'],
    1,
  );
  assert.deepEqual(plan.steps, [
    { table: 'legacy', drop: 1 },
    { table: 'stores', create: 1 },
  ]);
  assert.deepEqual(plan.next, { categories: 1, products: 1, stores: 1 });
  assert.deepEqual(planChangeCapture(plan.next, ['categories', 'products', 'stores'], 1).steps, []);
});

test('trigger plan: a new helper version replaces the old triggers of every hot table', () => {
  const plan = planChangeCapture({ categories: 1, products: 1 }, ['categories', 'products'], 2);
  assert.deepEqual(plan.steps, [
    { table: 'categories', drop: 1, create: 2 },
    { table: 'products', drop: 1, create: 2 },
  ]);
  assert.equal(
    describeChangeCaptureStep(plan.steps[0]!),
    'categories: upgrade change-capture triggers v1 -> v2',
  );
});

test('the helper writes version 1 as the changefeed migration did, and refuses what is not a table name', () => {
  assert.deepEqual(changeCaptureSql(1, 'postgresql', 'stores'), [`select tandem_capture_changes('stores');`]);
  assert.equal(changeCaptureSql(1, 'sqlite', 'stores').length, 4);
  assert.equal(dropChangeCaptureSql(1, 'sqlite', 'stores').length, 4);
  assert.throws(() => changeCaptureSql(1, 'sqlite', "x'); drop table users; --"), /Not a plain table name/);
  assert.throws(() => changeCaptureSql(3, 'sqlite', 'stores'), /Unknown change-capture version 3/);
});

test('version 2 adds a TRUNCATE trigger on PostgreSQL, and leaves SQLite (no TRUNCATE) as version 1', () => {
  const v2 = changeCaptureSql(2, 'postgresql', 'stores');
  assert.deepEqual(v2.slice(0, 1), changeCaptureSql(1, 'postgresql', 'stores'));
  assert.match(
    v2.at(-1)!,
    /^create trigger "stores_change_truncate" before truncate on "stores" for each statement/,
  );
  assert.match(
    dropChangeCaptureSql(2, 'postgresql', 'stores').at(-1)!,
    /drop trigger if exists "stores_change_truncate"/,
  );
  assert.deepEqual(changeCaptureSql(2, 'sqlite', 'stores'), changeCaptureSql(1, 'sqlite', 'stores'));
  assert.deepEqual(dropChangeCaptureSql(2, 'sqlite', 'stores'), dropChangeCaptureSql(1, 'sqlite', 'stores'));
});
