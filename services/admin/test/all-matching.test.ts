/**
 * "All N matching": one of the list's bulk actions run server-side on every row the list matches
 * (every page), in batches, with progress and one audit entry per changed record. Runs on SQLite
 * and PostgreSQL (DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEntry, Product } from '@tandem/models';
import { Client, startFixture, type Fixture } from './support.js';
import { MANY, addManyProducts } from './export-support.js';
import { waitForJob, type JobView } from './job-support.js';

describe('bulk actions on all matching rows', () => {
  let fixture: Fixture;
  let root: Client;
  const em = () => fixture.db.orm.em.fork();

  before(async () => {
    fixture = await startFixture();
    await addManyProducts(fixture);
    root = new Client(fixture.origin);
    assert.equal((await root.login('root@example.com')).status, 302);
  });
  after(() => fixture.close());

  it('counts the matching rows and offers the bulk actions the staff member may run', async () => {
    const { status, body } = await root.api<{ total: number; operations: Array<{ name: string }> }>(
      '/resources/Product/actions/allMatching?filters.currency=USD&filters.q=lamp',
    );
    assert.equal(status, 200);
    assert.equal(body.total, await em().count(Product, { currency: 'USD', name: { $like: 'Lamp%' } }));
    assert.deepEqual(body.operations.map((operation) => operation.name).sort(), [
      'bulkDelete',
      'publish',
      'unpublish',
    ]);
  });

  it('publishes every matching product across pages, in batches, audited per record', async () => {
    const matching = await em().count(Product, { currency: 'EUR' });
    const unpublished = await em().count(Product, { currency: 'EUR', published: false });
    assert.ok(matching > 1000, 'more than one page and several batches');
    const started = await root.api<{ job: JobView }>(
      '/resources/Product/actions/allMatching?filters.currency=EUR',
      {
        form: { operation: 'publish' },
      },
    );
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.body.job.total, matching);
    const job = await waitForJob(root, 'Product', started.body.job.id);
    assert.equal(job.state, 'done', job.message);
    assert.equal(job.done, matching);
    assert.equal(await em().count(Product, { currency: 'EUR', published: false }), 0);
    assert.ok((await em().count(Product, { currency: 'USD', published: false })) > 0, 'others untouched');
    assert.equal(await em().count(AuditEntry, { action: 'publish' }), unpublished);
  });

  it('deletes exactly the searched rows, one audit entry each', async () => {
    const matching = await em().find(Product, { name: { $like: 'Chair 1%' }, currency: 'USD' });
    const before = await em().count(Product);
    const started = await root.api<{ job: JobView }>(
      '/resources/Product/actions/allMatching?filters.q=chair 1&filters.currency=USD',
      { form: { operation: 'bulkDelete' } },
    );
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const job = await waitForJob(root, 'Product', started.body.job.id);
    assert.equal(job.state, 'done', job.message);
    assert.equal(job.done, matching.length);
    assert.equal(await em().count(Product), before - matching.length);
    assert.equal(await em().count(Product, { id: { $in: matching.map((product) => product.id) } }), 0);
    assert.equal(await em().count(AuditEntry, { action: 'delete' }), matching.length);
    assert.ok(before - matching.length > MANY / 2);
  });

  it('refuses an unknown operation with a clear error', async () => {
    const { status, body } = await root.api('/resources/Product/actions/allMatching', {
      form: { operation: 'truncate' },
    });
    assert.equal(status, 400);
    assert.equal(body.error, 'unknown_operation');
    assert.match(String(body.message), /bulkDelete/);
  });
});
