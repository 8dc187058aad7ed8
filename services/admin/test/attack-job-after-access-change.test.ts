/**
 * Attack: start an "all matching" bulk delete, then lose the right to run it (deactivated, no longer
 * staff, the permission taken from the role, a password reset, logged out) and let the job carry on
 * in the background with the access it started with. The job must stop before its next batch; the
 * rows already done stay done. Runs on SQLite and PostgreSQL (DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@tandem/accounts';
import { Product, Role, User } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, PASSWORD, startFixture, type Fixture } from './support.js';
import { staffWith } from './staff-support.js';
import { waitForJob, type JobView } from './job-support.js';

/** Rows per job: 30 batches, far more than run between the start and the change of access. */
const ROWS = 6000;

describe(`attack: an "all matching" job after its owner loses access (${testDialect()})`, () => {
  let fixture: Fixture;
  const em = () => fixture.db.orm.em.fork();

  before(async () => {
    fixture = await startFixture();
  });
  after(() => fixture.close());

  /** ROWS products whose SKUs start with `prefix` (the job's search). */
  async function seed(prefix: string): Promise<void> {
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      sku: `${prefix}${i}`,
      name: `${prefix} item ${i}`,
      price_cents: 100,
      currency: 'EUR',
      stock: 1,
      category_id: fixture.ids.categories[0],
      tags: '[]',
    }));
    const knex = fixture.db.orm.em.getKnex();
    for (let i = 0; i < rows.length; i += 250) await knex('products').insert(rows.slice(i, i + 250));
  }

  const remaining = (prefix: string) => em().count(Product, { sku: { $like: `${prefix}%` } });

  /**
   * The remaining rows once none has gone for 3 s (a running job deletes a batch in well under that,
   * even on a loaded machine), or none is left.
   */
  async function settled(prefix: string): Promise<number> {
    let last = await remaining(prefix);
    for (let still = 0; still < 30 && last > 0;) {
      await sleep(100);
      const now = await remaining(prefix);
      still = now === last ? still + 1 : 0;
      last = now;
    }
    return last;
  }

  /** A staff member allowed to delete products starts a bulk delete of all `prefix` rows. */
  async function startJob(email: string, prefix: string): Promise<{ owner: Client; job: JobView }> {
    await seed(prefix);
    const owner = await staffWith(fixture, email, ['view_product', 'delete_product']);
    const started = await owner.api<{ job: JobView; total: number }>(
      `/resources/Product/actions/allMatching?filters.q=${prefix}`,
      { form: { operation: 'bulkDelete' } },
    );
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.body.total, ROWS);
    return { owner, job: started.body.job };
  }

  /** The job stopped part-way, saying why, and exactly the rows it reports done are gone. */
  async function assertStopped(client: Client, started: JobView, prefix: string, why: RegExp) {
    const job = await waitForJob(client, 'Product', started.id);
    assert.equal(job.state, 'failed', `the job ran on to the end: ${JSON.stringify(job)}`);
    assert.match(job.message ?? '', why);
    assert.ok(job.done < ROWS, `stopped part-way (${job.done} of ${ROWS})`);
    assert.equal(await remaining(prefix), ROWS - job.done, 'rows already done stay done');
  }

  for (const [change, prefix, flag] of [
    ['deactivated', 'JOBOFF-', { isActive: false }],
    ['no longer staff', 'JOBNOSTAFF-', { isStaff: false }],
  ] as const) {
    it(`stops when the owner's account is ${change}`, async () => {
      const email = `${prefix.toLowerCase().slice(0, -1)}@example.com`;
      const { owner, job } = await startJob(email, prefix);
      await em().nativeUpdate(User, { email }, flag);
      // The owner cannot read the job any more (their requests are refused too), so the rows tell.
      const left = await settled(prefix);
      assert.ok(left > 0, `the job deleted every row after the owner was ${change}`);
      assert.equal((await owner.api(`/resources/Product/actions/allMatching?job=${job.id}`)).status, 401);
    });
  }

  it('stops when the delete permission is taken from the owner’s role (they are told why)', async () => {
    const prefix = 'JOBREVOKE-';
    const email = 'job-revoked@example.com';
    const { owner, job } = await startJob(email, prefix);
    const db = em();
    const role = await db.findOneOrFail(Role, { name: `${email} role` });
    role.permissions = ['view_product'];
    await db.flush();
    // Still logged in and still allowed to view products: the owner polls the job as the drawer does.
    await assertStopped(owner, job, prefix, /your access changed/);
  });

  it('stops when the owner’s password is changed (their sessions end)', async () => {
    const prefix = 'JOBPASSWORD-';
    const email = 'job-password@example.com';
    const { job } = await startJob(email, prefix);
    const newPassword = 'a different horse battery';
    await em().nativeUpdate(User, { email }, { passwordHash: await hashPassword(newPassword) });
    // The old session is left as it is (a request on it would end it, which is the logout case).
    const again = new Client(fixture.origin);
    assert.equal((await again.login(email, newPassword)).status, 302);
    await assertStopped(again, job, prefix, /your access changed/);
  });

  it('stops when the owner logs out', async () => {
    const prefix = 'JOBLOGOUT-';
    const email = 'job-logout@example.com';
    const { owner, job } = await startJob(email, prefix);
    assert.equal((await owner.request('/admin/logout', { method: 'POST' })).status, 303);
    // Logged in again (a new session, which does not bring the job back): it stopped, and says why.
    const again = new Client(fixture.origin);
    assert.equal((await again.login(email, PASSWORD)).status, 302);
    await assertStopped(again, job, prefix, /logged out/);
  });
});
