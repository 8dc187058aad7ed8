import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Order, Write } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { revokeSession, revokeUserSessions, startUserSession, type RevocationReason } from '@tandem/tokens';
import { applierFixture, createProducts, orderWrite, stockOf } from './applier-support.js';

const SESSION_SETTINGS = { sessionAbsoluteTtlSeconds: 3600 };

/**
 * Writes accepted from a session that is revoked before they are applied: a revocation for security
 * (a password change, a deactivation, a leaked token, a staff member's revoke) voids them; the
 * holder's own logout or token revocation does not (an order placed just before signing out stands).
 */
describe(`queued writes of a revoked session (${testDialect()})`, () => {
  const fixture = applierFixture('revoked-session', 4);
  const em = () => fixture.db.orm.em.fork();
  const sessionOf = async (user: string) =>
    (await startUserSession(em(), Number(user), ['orders:write'], SESSION_SETTINGS, new Date())).sid;
  const ordersOf = (user: string) => em().count(Order, { user: Number(user) });

  test('revoked for security before the batch: the write is rejected 403, takes no stock, creates no order', async () => {
    const reasons: RevocationReason[] = [
      'password_changed',
      'two_factor_enabled',
      'user_inactive',
      'staff',
      'refresh_token_reuse',
    ];
    for (const reason of reasons) {
      const [product] = await createProducts(fixture.db, [{ stock: 5 }]);
      const sid = await sessionOf(fixture.users[0]!);
      const queued = orderWrite(fixture.users[0]!, [[product!, 2]], { sessionId: sid });
      const before = await ordersOf(fixture.users[0]!);
      assert.equal(await revokeSession(em(), sid, reason), true);

      const result = await fixture.batches.apply([queued]);
      assert.deepEqual([result.applied, result.rejected], [0, 1], reason);
      const row = await em().findOneOrFail(Write, queued.id);
      assert.equal(row.status, 'rejected');
      assert.equal(row.httpStatus, 403);
      assert.match(row.errors?._ ?? '', /session this write was sent with was revoked/);
      assert.equal(await stockOf(fixture.db, product!), 5, `${reason}: no stock taken`);
      assert.equal(await ordersOf(fixture.users[0]!), before, `${reason}: no order`);
    }
  });

  test("the holder's own logout or revocation leaves its queued writes standing", async () => {
    for (const reason of ['logout', 'revoked'] as const) {
      const [product] = await createProducts(fixture.db, [{ stock: 5 }]);
      const sid = await sessionOf(fixture.users[1]!);
      const queued = orderWrite(fixture.users[1]!, [[product!, 2]], { sessionId: sid });
      await revokeSession(em(), sid, reason);
      const result = await fixture.batches.apply([queued]);
      assert.deepEqual([result.applied, result.rejected], [1, 0], reason);
      assert.equal((await em().findOneOrFail(Write, queued.id)).httpStatus, 201);
      assert.equal(await stockOf(fixture.db, product!), 3);
    }
  });

  test('in one batch, only the revoked session’s writes are void: the others apply, in runs or one by one', async () => {
    const [product] = await createProducts(fixture.db, [{ stock: 100 }]);
    const kept = await sessionOf(fixture.users[2]!);
    const ended = await sessionOf(fixture.users[3]!);
    const otherEnded = await sessionOf(fixture.users[3]!);
    // A password change revokes every session of the user (revokeUserSessions), as the admin does.
    const writes = [
      orderWrite(fixture.users[2]!, [[product!, 1]], { sessionId: kept }),
      orderWrite(fixture.users[3]!, [[product!, 1]], { sessionId: ended }),
      orderWrite(fixture.users[2]!, [[product!, 1]], { sessionId: kept }),
      orderWrite(fixture.users[3]!, [[product!, 1]], { sessionId: otherEnded }),
      orderWrite(fixture.users[2]!, [[product!, 1]], { sessionId: null }),
    ];
    assert.equal(await revokeUserSessions(em(), Number(fixture.users[3]), 'password_changed'), 2);
    const result = await fixture.batches.apply(writes);
    assert.deepEqual([result.applied, result.rejected], [3, 2]);
    const statuses = await Promise.all(
      writes.map(async (write) => (await em().findOneOrFail(Write, write.id)).httpStatus),
    );
    assert.deepEqual(statuses, [201, 403, 201, 403, 201]);
    assert.equal(await stockOf(fixture.db, product!), 97);
  });

  test('a session revoked after its write was applied changes nothing; a redelivery is skipped', async () => {
    const [product] = await createProducts(fixture.db, [{ stock: 5 }]);
    const sid = await sessionOf(fixture.users[0]!);
    const queued = orderWrite(fixture.users[0]!, [[product!, 1]], { sessionId: sid });
    assert.equal((await fixture.batches.apply([queued])).applied, 1);
    await revokeSession(em(), sid, 'password_changed');
    const again = await fixture.batches.apply([queued]);
    assert.deepEqual([again.applied, again.rejected, again.skipped], [0, 0, 1]);
    assert.equal((await em().findOneOrFail(Write, queued.id)).httpStatus, 201);
    assert.equal(await stockOf(fixture.db, product!), 4);
  });
});
