/**
 * Attacks on "all matching" bulk jobs: running a bulk action one may not run, a cross-site post that
 * starts one, reading another staff member's job, starting many at once, and using "all matching" to
 * delete an account that outranks you (refused as it is for a hand-made selection).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@tandem/accounts';
import { AuditEntry, Product, Role, User } from '@tandem/models';
import { Client, PASSWORD, startFixture, type Fixture } from './support.js';
import { waitForJob, type JobView } from './job-support.js';

describe('attack: bulk jobs on all matching rows', () => {
  let fixture: Fixture;
  let root: Client;
  let editor: Client;
  let userManager: Client;
  const em = () => fixture.db.orm.em.fork();

  before(async () => {
    fixture = await startFixture();
    const db = em();
    const passwordHash = await hashPassword(PASSWORD);
    const managers = db.create(Role, {
      name: 'user managers',
      scopes: [],
      permissions: ['view_user', 'change_user', 'delete_user'],
    });
    const manager = db.create(User, { email: 'manager@example.com', passwordHash, isStaff: true });
    manager.roles.add(managers);
    const auditors = db.create(Role, { name: 'auditors', scopes: [], permissions: ['view_auditentry'] });
    for (const name of ['a', 'b', 'c']) db.create(User, { email: `staff-${name}@example.com`, passwordHash });
    const outranking = db.create(User, { email: 'staff-auditor@example.com', passwordHash, isStaff: true });
    outranking.roles.add(auditors);
    await db.flush();
    root = new Client(fixture.origin);
    editor = new Client(fixture.origin);
    userManager = new Client(fixture.origin);
    assert.equal((await root.login('root@example.com')).status, 302);
    assert.equal((await editor.login('editor@example.com')).status, 302);
    assert.equal((await userManager.login('manager@example.com')).status, 302);
  });
  after(() => fixture.close());

  it('refuses a bulk action the staff member may not run (editor has no delete_product)', async () => {
    const { status, body } = await editor.api('/resources/Product/actions/allMatching', {
      form: { operation: 'bulkDelete' },
    });
    assert.equal(status, 403, JSON.stringify(body));
    assert.equal(body.error, 'forbidden');
    assert.equal(await em().count(Product), 3);
    const offered = await editor.api<{ operations: Array<{ name: string }> }>(
      '/resources/Product/actions/allMatching',
    );
    assert.deepEqual(offered.body.operations.map((operation) => operation.name).sort(), [
      'publish',
      'unpublish',
    ]);
  });

  it('refuses anyone without the view permission, even to count', async () => {
    const { status } = await editor.api('/resources/User/actions/allMatching');
    assert.equal(status, 403);
    const started = await editor.api('/resources/User/actions/allMatching', {
      form: { operation: 'bulkDelete' },
    });
    assert.equal(started.status, 403);
  });

  it('refuses a cross-site post that would start a job, and changes nothing', async () => {
    for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'http://127.0.0.1:1' }] as Array<
      Record<string, string>
    >) {
      const { status, body } = await root.api('/resources/Product/actions/allMatching', {
        form: { operation: 'bulkDelete' },
        headers,
      });
      assert.equal(status, 403);
      assert.equal(body.error, 'csrf_failed');
    }
    assert.equal(await em().count(Product), 3);
  });

  it('shows a job only to the staff member who started it', async () => {
    const started = await root.api<{ job: JobView }>('/resources/Product/actions/allMatching?filters.q=pan', {
      form: { operation: 'publish' },
    });
    assert.equal(started.status, 200);
    const theirs = await editor.api(`/resources/Product/actions/allMatching?job=${started.body.job.id}`);
    assert.equal(theirs.status, 404);
    assert.ok(!JSON.stringify(theirs.body).includes(started.body.job.id));
    assert.equal((await waitForJob(root, 'Product', started.body.job.id)).state, 'done');
  });

  it('starts one job per list at a time, however many requests arrive together', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        root.api<{ job?: JobView; error?: string }>('/resources/Product/actions/allMatching', {
          form: { operation: 'unpublish' },
        }),
      ),
    );
    const started = answers.filter((answer) => answer.status === 200);
    assert.ok(started.length >= 1);
    for (const refused of answers.filter((answer) => answer.status !== 200)) {
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error, 'job_running');
    }
    // Each job that ran did so alone: the unpublish audit entries are one per product that changed.
    for (const answer of started) await waitForJob(root, 'Product', answer.body.job!.id);
    const entries = await em().find(AuditEntry, { action: 'unpublish' });
    assert.equal(new Set(entries.map((entry) => entry.recordId)).size, entries.length);
  });

  it('cannot delete an account that outranks the staff member by deleting "all matching"', async () => {
    const started = await userManager.api<{ job: JobView }>(
      '/resources/User/actions/allMatching?filters.q=staff-',
      { form: { operation: 'bulkDelete' } },
    );
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const job = await waitForJob(userManager, 'User', started.body.job.id);
    assert.equal(job.state, 'failed');
    assert.match(job.message ?? '', /staff-auditor@example\.com/);
    assert.ok(
      await em().findOne(User, { email: 'staff-auditor@example.com' }),
      'the outranking account stays',
    );
    // The batch holding it was refused whole (one transaction).
    assert.equal(await em().count(User, { email: { $like: 'staff-%' } }), 4);
  });
});
